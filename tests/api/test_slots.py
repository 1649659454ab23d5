from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bookings import services
from apps.timeslots.models import SlotStatus
from tests.accounts.factories import PatientFactory
from tests.api.conftest import assert_problem
from tests.clinics.factories import ServiceOfferingFactory
from tests.conftest import build_world
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db


def slot_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [s["id"] for s in response.json()["results"]]


def test_slots_are_only_the_free_ones_with_utc_times_and_the_zone(anon, world):
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[1].pk, service_id=world.service.pk
    )
    world.slots[2].status = SlotStatus.BLOCKED
    world.slots[2].save()

    response = anon.get("/api/v1/slots/", {"doctor": world.doctor.pk})

    assert slot_ids(response) == [s.pk for i, s in enumerate(world.slots) if i not in (1, 2)]
    first = response.json()["results"][0]
    assert first["starts_at"].endswith("Z")
    assert first["timezone"] == "Europe/Berlin"
    local = world.slots[0].starts_at.astimezone(world.clinic.tz)
    assert first["local_starts_at"] == local.isoformat()


def test_with_a_service_only_starts_where_it_fits(anon, world):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    world.slots[4].status = SlotStatus.BLOCKED
    world.slots[4].save()

    response = anon.get("/api/v1/slots/", {"service": hour.pk})

    # An hour needs two free half hours in a row: not before the blocked slot, not at the end.
    assert slot_ids(response) == [s.pk for s in world.slots[0:3] + world.slots[5:7]]


def test_buffers_of_neighbouring_bookings_count(anon, world):
    padded = ServiceOfferingFactory(clinic=world.clinic, buffer_after_minutes=10)
    world.doctor.services.add(padded)
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[3].pk, service_id=world.service.pk
    )

    free = slot_ids(anon.get("/api/v1/slots/", {"service": padded.pk}))

    assert world.slots[2].pk not in free  # its clean-up time would run into slot 3
    assert world.slots[1].pk in free


def test_filters_by_clinic_and_specialty(anon, world, other_world):
    other_world.doctor.specialties.clear()

    assert set(slot_ids(anon.get("/api/v1/slots/", {"clinic": other_world.clinic.pk}))) == {
        s.pk for s in other_world.slots
    }
    day = world.slots[0].starts_at.date()
    wide = {
        "specialty": "general-practice",
        "date_from": day.isoformat(),
        "date_to": (day + timedelta(days=1)).isoformat(),
    }
    assert set(slot_ids(anon.get("/api/v1/slots/", wide))) == {s.pk for s in world.slots}


def test_first_available_gives_the_earliest_time_per_doctor(anon, world, other_world):
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    response = anon.get("/api/v1/slots/", {"first_available": "true"})

    assert sorted(slot_ids(response)) == sorted([world.slots[1].pk, other_world.slots[0].pk])


def test_first_available_for_a_specialty_across_clinics(anon, world):
    elsewhere = build_world()
    elsewhere.doctor.specialties.clear()

    response = anon.get(
        "/api/v1/slots/", {"first_available": "true", "specialty": "general-practice"}
    )

    assert slot_ids(response) == [world.slots[0].pk]


def test_the_window_is_respected(anon, world):
    late = SlotFactory(
        doctor=world.doctor, clinic=world.clinic, starts_at=world.slots[0].starts_at + timedelta(9)
    )
    date_from = (world.slots[0].starts_at + timedelta(8)).date().isoformat()

    response = anon.get("/api/v1/slots/", {"doctor": world.doctor.pk, "date_from": date_from})

    assert slot_ids(response) == [late.pk]


def test_slots_in_the_past_or_inside_the_notice_are_not_offered(anon, world):
    world.clinic.min_notice_minutes = 60 * 24 * 5
    world.clinic.save()

    assert slot_ids(anon.get("/api/v1/slots/", {"doctor": world.doctor.pk})) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-11-24T09:00:00"}, "date_from"),
        ({"date_from": "tomorrow"}, "date_from"),
        ({"date_to": "2026-13-45"}, "date_to"),
        ({"doctor": "1", "date_to": "2000-01-01"}, "date_to"),
        ({"service": "99999999999999999999"}, "service"),
        ({"first_available": "maybe"}, "first_available"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_queries_are_400_problems_naming_the_field(anon, world, query, field):
    body = assert_problem(anon.get("/api/v1/slots/", query), 400, "invalid-request")
    assert field in body["errors"]


def test_a_wide_search_is_limited_to_a_short_window(anon, world):
    far = (timezone.now() + timedelta(days=10)).date().isoformat()

    body = assert_problem(anon.get("/api/v1/slots/", {"date_to": far}), 400)
    assert "date_to" in body["errors"]
    assert slot_ids(anon.get("/api/v1/slots/", {"doctor": world.doctor.pk, "date_to": far}))


def test_an_unknown_service_is_a_clear_error(anon, world):
    body = assert_problem(anon.get("/api/v1/slots/", {"service": 424242}), 400)
    assert body["errors"] == {"service": ["No such active service."]}


def test_slot_lists_cost_a_fixed_number_of_queries(anon, world, django_assert_max_num_queries):
    world.add_slots(60)
    for _ in range(3):
        build_world()
    with django_assert_max_num_queries(6):
        response = anon.get("/api/v1/slots/", {"service": world.service.pk, "page_size": 100})
    assert response.json()["count"] == 68
    with django_assert_max_num_queries(6):
        anon.get("/api/v1/slots/", {"first_available": "true"})
