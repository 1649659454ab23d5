from datetime import date, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.bookings import services
from apps.timeslots.models import SlotStatus
from tests.clinics.factories import (
    ClinicFactory,
    ClosureFactory,
    OpeningHoursFactory,
    ServiceOfferingFactory,
)
from tests.conftest import build_world
from tests.doctors.factories import DoctorFactory, SpecialtyFactory, SpokenLanguageFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def names(response) -> list[str]:
    return [r.doctor.display_name for r in response.context["page"].object_list]


# --- Search --------------------------------------------------------------------------------------


def test_home_lists_doctors_with_their_next_free_time(client, world):
    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    result = response.context["page"].object_list[0]
    assert result.next_slot == world.slots[0]
    assert "Book this time" in response.content.decode()
    assert f"?slot={world.slots[0].pk}&amp;service={world.service.pk}" in response.content.decode()


def test_the_next_free_time_skips_taken_and_too_short_times(client, world, patient):
    services.booking_create(patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk)
    world.slots[1].status = SlotStatus.BLOCKED
    world.slots[1].save()

    result = client.get(reverse("portal:home")).context["page"].object_list[0]

    assert result.next_slot == world.slots[2]


def test_the_next_free_time_respects_the_service_length(client, world):
    """An hour-long service needs two free 30-minute slots in a row."""
    world.service.duration_minutes = 60
    world.service.save()
    world.slots[1].status = SlotStatus.BLOCKED
    world.slots[1].save()

    result = client.get(reverse("portal:home")).context["page"].object_list[0]

    assert result.next_slot == world.slots[2]


def test_search_by_text_matches_specialty_service_and_doctor_name(client, world, other_world):
    world.doctor.specialties.set([SpecialtyFactory(name="Dermatology", slug="dermatology")])
    other_world.doctor.user.last_name = "Okonkwo"
    other_world.doctor.user.save()

    assert names(client.get(reverse("portal:home"), {"q": "derma"})) == [world.doctor.display_name]
    assert names(client.get(reverse("portal:home"), {"q": "okonkwo"})) == [
        other_world.doctor.display_name
    ]


def test_search_by_city_and_filters_by_specialty_and_language(client, world, other_world):
    other_world.clinic.city = "Munich"
    other_world.clinic.save()
    world.doctor.languages.set([SpokenLanguageFactory(code="tr", name="Turkish")])
    cardiology = SpecialtyFactory(name="Cardiology", slug="cardiology")
    other_world.doctor.specialties.set([cardiology])

    assert names(client.get(reverse("portal:home"), {"where": "munich"})) == [
        other_world.doctor.display_name
    ]
    assert names(client.get(reverse("portal:home"), {"language": "tr"})) == [
        world.doctor.display_name
    ]
    assert names(client.get(reverse("portal:home"), {"specialty": "cardiology"})) == [
        other_world.doctor.display_name
    ]


def test_search_sorts_by_price_and_soonest(client, world, other_world):
    world.service.price_minor = 9000
    world.service.save()
    other_world.slots[0].delete()  # the other doctor is free later

    by_price = names(client.get(reverse("portal:home"), {"sort": "price"}))
    soonest = names(client.get(reverse("portal:home"), {"sort": "soonest"}))

    assert by_price == [other_world.doctor.display_name, world.doctor.display_name]
    assert soonest == [world.doctor.display_name, other_world.doctor.display_name]


def test_only_available_hides_doctors_without_free_times(client, world, other_world):
    other_world.doctor.slots.all().delete()

    assert len(names(client.get(reverse("portal:home")))) == 2
    assert names(client.get(reverse("portal:home"), {"available": "on"})) == [
        world.doctor.display_name
    ]


def test_search_from_a_date_starts_there(client, world):
    later = SlotFactory(
        doctor=world.doctor, clinic=world.clinic, starts_at=world.slots[0].starts_at + timedelta(10)
    )
    on = later.starts_at.astimezone(world.clinic.tz).date().isoformat()

    result = client.get(reverse("portal:home"), {"date": on}).context["page"].object_list[0]

    assert result.next_slot == later


def test_htmx_search_answers_only_the_result_list(client, world):
    response = client.get(reverse("portal:home"), {"q": "consult"}, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert 'id="results-heading"' in body
    assert "HX-Request" in response["Vary"]


def test_a_past_date_is_a_clear_error_not_an_empty_list(client, world):
    response = client.get(reverse("portal:home"), {"date": "2020-01-01"}, headers=HTMX)

    assert response.status_code == 422
    assert "Choose today or a later date." in response.content.decode()


def test_search_results_cost_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    kolkata = ClinicFactory(timezone="Asia/Kolkata", currency="INR")
    for clinic in (world.clinic, kolkata):
        for _ in range(6):
            service = ServiceOfferingFactory(clinic=clinic)
            doctor = DoctorFactory(services=[service])
            doctor.languages.set([SpokenLanguageFactory()])
            SlotFactory(doctor=doctor, clinic=clinic)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("portal:home"))
    assert response.context["page"].paginator.count == 13


def test_search_pages_keep_the_query(client, world):
    for _ in range(11):
        DoctorFactory(services=[world.service])
    response = client.get(reverse("portal:home"), {"q": "consult"})

    assert response.context["page"].has_next()
    assert "?q=consult&amp;page=2" in response.content.decode()


# --- Clinic page ---------------------------------------------------------------------------------


def test_clinic_page_shows_hours_closures_services_and_doctors(client, world):
    OpeningHoursFactory(clinic=world.clinic, weekday=0, opens=time(8), closes=time(12))
    OpeningHoursFactory(clinic=world.clinic, weekday=0, opens=time(13), closes=time(18))
    today = timezone.now().date()
    ClosureFactory(
        clinic=world.clinic, starts_on=today + timedelta(5), ends_on=today + timedelta(5)
    )
    ClosureFactory(
        clinic=world.clinic,
        starts_on=date(2020, 1, 1),
        ends_on=date(2020, 1, 1),
        reason="Long ago",
    )

    response = client.get(reverse("portal:clinic-detail", args=[world.clinic.slug]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "08:00–12:00, 13:00–18:00" in body
    assert "Sunday" in body
    assert "Closed" in body
    assert "Public holiday" in body
    assert "Long ago" not in body
    assert "€45.00" in body
    assert world.doctor.display_name in body


def test_an_inactive_clinic_has_no_page(client, world):
    world.clinic.is_active = False
    world.clinic.save()

    assert client.get(reverse("portal:clinic-detail", args=[world.clinic.slug])).status_code == 404


def test_clinic_page_queries_are_bounded(client, world, django_assert_max_num_queries):
    for _ in range(5):
        DoctorFactory(services=[ServiceOfferingFactory(clinic=world.clinic)])
    with django_assert_max_num_queries(12):
        client.get(reverse("portal:clinic-detail", args=[world.clinic.slug]))


# --- Doctor page and week strip ------------------------------------------------------------------


def doctor_url(world, **params):
    return reverse("portal:doctor-detail", args=[world.doctor.slug]), params


def test_doctor_page_shows_the_week_in_clinic_time(client, world):
    url, _ = doctor_url(world)
    day = world.slots[0].starts_at.astimezone(world.clinic.tz).date()

    response = client.get(url, {"day": day.isoformat()})

    body = response.content.decode()
    assert response.status_code == 200
    assert [s.pk for s in response.context["day"].slots] == [s.pk for s in world.slots]
    first_local = world.slots[0].starts_at.astimezone(world.clinic.tz)
    assert f">{first_local:%H:%M}</a>" in body
    assert "Berlin time (Europe/Berlin)" in body


def test_doctor_page_htmx_answers_only_the_picker(client, world):
    url, _ = doctor_url(world)

    response = client.get(url, headers=HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="slot-picker"') or 'id="slot-picker"' in body[:400]
    assert "<html" not in body
    assert "About" not in body


def test_switching_service_changes_which_times_fit(client, world):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60, name="Long visit")
    world.doctor.services.add(hour)
    url, _ = doctor_url(world)
    day = world.slots[0].starts_at.astimezone(world.clinic.tz).date().isoformat()

    short = client.get(url, {"service": world.service.pk, "day": day}, headers=HTMX)
    long = client.get(url, {"service": hour.pk, "day": day}, headers=HTMX)

    assert len(short.context["day"].slots) == len(world.slots)
    assert len(long.context["day"].slots) == len(world.slots) - 1  # the last cannot hold an hour


def test_an_empty_week_offers_the_next_free_time(client, world):
    url, _ = doctor_url(world)
    far = SlotFactory(
        doctor=world.doctor, clinic=world.clinic, starts_at=world.slots[0].starts_at + timedelta(20)
    )
    for slot in world.slots:
        slot.delete()

    response = client.get(url)

    assert response.context["week"].slot_count == 0
    assert response.context["next_free"] == far
    assert "Next free time" in response.content.decode()


def test_nonsense_picker_values_fall_back_to_defaults(client, world):
    url, _ = doctor_url(world)

    response = client.get(url, {"clinic": "abc", "service": "999999", "week": "not-a-date"})

    assert response.status_code == 200
    assert response.context["service"] == world.service


def test_an_unknown_or_inactive_doctor_has_no_page(client, world):
    assert client.get(reverse("portal:doctor-detail", args=["nobody"])).status_code == 404
    world.doctor.is_active = False
    world.doctor.save()
    url, _ = doctor_url(world)
    assert client.get(url).status_code == 404


def test_doctor_page_queries_are_bounded(client, world, django_assert_max_num_queries):
    world.add_slots(100)
    url, _ = doctor_url(world)
    with django_assert_max_num_queries(14):
        client.get(url)


def test_other_clinics_of_a_doctor_are_offered(client, world):
    elsewhere = build_world().clinic
    world.doctor.services.add(ServiceOfferingFactory(clinic=elsewhere))
    url, _ = doctor_url(world)

    response = client.get(url, {"clinic": elsewhere.pk})

    assert response.context["clinic"] == elsewhere
    assert elsewhere.name in response.content.decode()
