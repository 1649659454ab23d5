from datetime import timedelta

import pytest
import time_machine

from apps.bookings import services
from apps.bookings.models import BookingStatus
from tests.accounts.factories import PatientFactory
from tests.api.conftest import assert_problem, client_for
from tests.conftest import on_visit_day
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/staff/bookings/"


@pytest.fixture
def ours(world):
    return services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[0].pk, service_id=world.service.pk
    )


@pytest.fixture
def theirs(other_world):
    return services.booking_create(
        patient=PatientFactory(), slot_id=other_world.slots[0].pk, service_id=other_world.service.pk
    )


def references(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [b["reference"] for b in response.json()["results"]]


@pytest.mark.parametrize("persona", ["receptionist", "nurse", "clinic_manager", "doctor_user"])
def test_staff_see_only_their_clinics_bookings(request, persona, ours, theirs):
    client = client_for(request.getfixturevalue(persona))

    assert references(client.get(URL)) == [ours.reference]
    assert client.get(f"{URL}{ours.reference}/").json()["patient"]["id"] == ours.patient_id
    assert_problem(client.get(f"{URL}{theirs.reference}/"), 404)


def test_doctors_see_only_their_own_appointments(doctor_user, world, ours):
    colleague = DoctorFactory(services=[world.service])
    slot = SlotFactory(doctor=colleague, clinic=world.clinic, starts_at=ours.starts_at)
    theirs = services.booking_create(
        patient=PatientFactory(), slot_id=slot.pk, service_id=world.service.pk
    )
    client = client_for(doctor_user)

    assert references(client.get(URL)) == [ours.reference]
    assert_problem(client.get(f"{URL}{theirs.reference}/"), 404)


def test_platform_admins_see_every_clinic(platform_admin, ours, theirs):
    assert sorted(references(client_for(platform_admin).get(URL))) == sorted(
        [ours.reference, theirs.reference]
    )


def test_patients_cannot_use_staff_endpoints(patient, ours):
    assert_problem(client_for(patient).get(URL), 403, "permission-denied")


def test_anonymous_callers_are_asked_to_authenticate(anon, ours):
    assert_problem(anon.get(URL), 401)


@pytest.mark.parametrize("persona", ["receptionist", "nurse", "clinic_manager"])
def test_front_desk_roles_check_in_and_complete(request, persona, ours):
    client = client_for(request.getfixturevalue(persona))

    with on_visit_day(ours):
        checked_in = client.post(f"{URL}{ours.reference}/check-in/")
    with time_machine.travel(ours.starts_at + timedelta(minutes=20)):
        completed = client.post(f"{URL}{ours.reference}/complete/")

    assert checked_in.json()["status"] == "checked_in"
    assert completed.json()["status"] == "completed"
    assert [e["kind"] for e in completed.json()["timeline"]][-2:] == ["checked_in", "completed"]


def test_doctors_can_read_but_not_change_bookings(doctor_user, ours):
    client = client_for(doctor_user)

    assert client.get(URL).status_code == 200
    assert_problem(client.post(f"{URL}{ours.reference}/check-in/"), 403)
    ours.refresh_from_db()
    assert ours.status == BookingStatus.CONFIRMED


def test_staff_cannot_act_on_another_clinics_booking(receptionist, theirs):
    assert_problem(client_for(receptionist).post(f"{URL}{theirs.reference}/check-in/"), 404)
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.CONFIRMED


def test_no_show_before_the_start_is_a_409(receptionist, ours):
    assert_problem(
        client_for(receptionist).post(f"{URL}{ours.reference}/no-show/"), 409, "invalid-transition"
    )


def test_no_show_after_the_start(receptionist, ours):
    with time_machine.travel(ours.starts_at + timedelta(minutes=15)):
        response = client_for(receptionist).post(f"{URL}{ours.reference}/no-show/")

    assert response.json()["status"] == "no_show"


def test_filters_by_local_day_status_and_doctor(receptionist, world, ours):
    second = services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[3].pk, service_id=world.service.pk
    )
    services.booking_cancel(booking=second, actor=receptionist)
    client = client_for(receptionist)
    day = ours.starts_at.astimezone(world.clinic.tz).date()

    assert sorted(references(client.get(URL, {"date": day.isoformat()}))) == sorted(
        [ours.reference, second.reference]
    )
    assert references(client.get(URL, {"date": (day + timedelta(1)).isoformat()})) == []
    assert references(client.get(URL, {"status": "cancelled"})) == [second.reference]
    assert references(client.get(URL, {"doctor": world.doctor.pk, "status": "confirmed"})) == [
        ours.reference
    ]


def test_staff_lists_cost_a_fixed_number_of_queries(
    receptionist, world, django_assert_max_num_queries
):
    world.add_slots(20)
    for slot in world.slots[:20]:
        services.booking_create(
            patient=PatientFactory(), slot_id=slot.pk, service_id=world.service.pk
        )
    client = client_for(receptionist)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"page_size": 50})
    assert response.json()["count"] == 20
