import pytest
from django.urls import reverse
from icalendar import Calendar

from apps.bookings import services
from apps.bookings.models import Booking, BookingStatus
from tests.accounts.factories import PatientFactory
from tests.bookings.factories import BookingFactory
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def booking(world, verified_patient):
    return services.booking_create(
        patient=verified_patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )


@pytest.fixture
def foreign_booking(world):
    return services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[5].pk, service_id=world.service.pk
    )


def url(name, booking):
    return reverse(f"portal:{name}", args=[booking.reference])


# --- Only one's own -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "appointment-detail",
        "appointment-cancel",
        "appointment-reschedule",
        "appointment-calendar",
    ],
)
def test_another_patients_booking_is_not_found(patient_client, foreign_booking, name):
    assert patient_client.get(url(name, foreign_booking)).status_code == 404


@pytest.mark.parametrize("name", ["appointment-cancel", "appointment-reschedule"])
def test_another_patients_booking_cannot_be_changed(patient_client, world, foreign_booking, name):
    response = patient_client.post(url(name, foreign_booking), {"slot": world.slots[6].pk})

    foreign_booking.refresh_from_db()
    assert response.status_code == 404
    assert foreign_booking.status == BookingStatus.CONFIRMED
    assert foreign_booking.slot == world.slots[5]


def test_appointments_need_sign_in(client, booking):
    assert client.get(reverse("portal:appointment-list")).status_code == 302
    assert client.get(url("appointment-detail", booking)).status_code == 302


# --- List and detail ---------------------------------------------------------------------------


def test_the_list_shows_upcoming_and_past_of_the_patient_only(
    patient_client, world, booking, foreign_booking, verified_patient
):
    past = BookingFactory(
        patient=verified_patient, status=BookingStatus.COMPLETED, service=world.service
    )
    past.starts_at = past.starts_at.replace(year=2025)
    past.ends_at = past.ends_at.replace(year=2025)
    past.blocked_from, past.blocked_until = past.starts_at, past.ends_at
    past.save()

    response = patient_client.get(reverse("portal:appointment-list"))

    assert response.context["upcoming"] == [booking]
    assert response.context["past"] == [past]
    assert foreign_booking.reference not in response.content.decode()


def test_the_list_has_an_empty_state(patient_client):
    response = patient_client.get(reverse("portal:appointment-list"))

    assert "No upcoming appointments" in response.content.decode()


def test_the_list_costs_few_queries_for_many_bookings(
    patient_client, world, verified_patient, django_assert_max_num_queries
):
    world.add_slots(30)
    for slot in world.slots[1:31]:
        services.booking_create(
            patient=verified_patient, slot_id=slot.pk, service_id=world.service.pk
        )
    with django_assert_max_num_queries(6):
        response = patient_client.get(reverse("portal:appointment-list"))
    assert len(response.context["upcoming"]) == 30


def test_the_detail_shows_the_booking_and_its_timeline(patient_client, booking):
    response = patient_client.get(url("appointment-detail", booking))

    body = response.content.decode()
    assert response.status_code == 200
    assert booking.reference in body
    assert "Requested" in body
    assert "Confirmed" in body
    assert "Cancel appointment" in body
    assert 'hx-trigger="every 3s"' not in body  # nothing pending: no polling


def test_a_pending_booking_polls_its_timeline_until_settled(patient_client, world, booking):
    Booking.objects.filter(pk=booking.pk).update(
        status=BookingStatus.HELD, hold_expires_at=booking.starts_at
    )
    headers = {**HTMX, "HX-Target": "timeline"}

    pending = patient_client.get(url("appointment-detail", booking), headers=headers)
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CONFIRMED)
    settled = patient_client.get(url("appointment-detail", booking), headers=headers)

    assert pending.status_code == 200
    assert 'hx-trigger="every 3s"' in pending.content.decode()
    assert "Waiting for payment" in pending.content.decode()
    assert settled.status_code == 286  # htmx stops polling
    assert "<html" not in settled.content.decode()


# --- Cancel --------------------------------------------------------------------------------------


def test_cancel_shows_the_consequence_before_confirming(patient_client, booking):
    response = patient_client.get(url("appointment-cancel", booking))

    body = response.content.decode()
    assert "Cancel this appointment?" in body
    assert "No charge: you have not paid anything online." in body
    assert "Free cancellation until" in body
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_cancel_of_a_prepaid_late_booking_states_the_refund(patient_client, world, booking):
    world.clinic.requires_prepayment = True
    world.clinic.cancellation_cutoff_hours = 24 * 30
    world.clinic.late_cancellation_refund_percent = 50
    world.clinic.save()

    response = patient_client.get(url("appointment-cancel", booking), headers=HTMX)

    assert "you get €22.50 back (50%), €22.50 is kept" in response.content.decode()


def test_cancel_confirmed_frees_the_time(patient_client, world, booking):
    response = patient_client.post(url("appointment-cancel", booking), {"reason": "Feeling better"})

    booking.refresh_from_db()
    assert response.status_code == 302
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancellation_reason == "Feeling better"
    other = verify(PatientFactory())
    assert services.booking_create(
        patient=other, slot_id=world.slots[0].pk, service_id=world.service.pk
    )


def test_cancelling_twice_is_a_clear_message(patient_client, booking):
    patient_client.post(url("appointment-cancel", booking))

    response = patient_client.post(url("appointment-cancel", booking), headers=HTMX)

    assert response.status_code == 409
    assert "can no longer be cancelled" in response.content.decode()


# --- Reschedule ----------------------------------------------------------------------------------


def test_reschedule_offers_the_same_doctors_times(patient_client, world, booking):
    day = world.slots[0].starts_at.astimezone(world.clinic.tz).date().isoformat()

    response = patient_client.get(url("appointment-reschedule", booking), {"day": day})

    slots = response.context["day"].slots
    assert world.slots[0] not in slots  # its own current time is taken (by itself)
    assert world.slots[1] in slots
    assert f"?slot={world.slots[1].pk}" in response.content.decode()


def test_reschedule_confirm_moves_the_booking(patient_client, world, booking):
    page = patient_client.get(url("appointment-reschedule", booking), {"slot": world.slots[3].pk})
    response = patient_client.post(
        url("appointment-reschedule", booking), {"slot": world.slots[3].pk}
    )

    booking.refresh_from_db()
    assert "Move your appointment?" in page.content.decode()
    assert response.status_code == 302
    assert booking.slot == world.slots[3]


def test_reschedule_to_a_time_taken_meanwhile_keeps_the_old_one(patient_client, world, booking):
    services.booking_create(
        patient=PatientFactory(), slot_id=world.slots[3].pk, service_id=world.service.pk
    )

    response = patient_client.post(
        url("appointment-reschedule", booking), {"slot": world.slots[3].pk}, headers=HTMX
    )

    booking.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 409
    assert "This time was just taken." in body
    assert "Nothing changed" in body
    assert booking.slot == world.slots[0]
    assert response.context["alternatives"]


def test_reschedule_to_another_doctors_slot_is_not_found(patient_client, other_world, booking):
    response = patient_client.post(
        url("appointment-reschedule", booking), {"slot": other_world.slots[1].pk}
    )

    booking.refresh_from_db()
    assert response.status_code == 404
    assert booking.slot.doctor_id == booking.doctor_id


def test_a_cancelled_booking_cannot_be_moved(patient_client, world, booking):
    services.booking_cancel(booking=booking, actor=booking.patient)

    response = patient_client.get(url("appointment-reschedule", booking))

    assert response.status_code == 302
    assert response["Location"] == url("appointment-detail", booking)


# --- Calendar ------------------------------------------------------------------------------------


def test_the_calendar_file_has_the_appointment_in_utc(patient_client, booking):
    response = patient_client.get(url("appointment-calendar", booking))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert f'filename="clinix-{booking.reference}.ics"' in response["Content-Disposition"]
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["UID"]) == f"{booking.reference}@clinix"
    assert event.decoded("DTSTART") == booking.starts_at
    assert event.decoded("DTEND") == booking.ends_at
    assert str(event["STATUS"]) == "CONFIRMED"
    assert booking.clinic.name in str(event["LOCATION"])


def test_a_cancelled_appointment_exports_as_cancelled(patient_client, booking):
    services.booking_cancel(booking=booking, actor=booking.patient)

    response = patient_client.get(url("appointment-calendar", booking))

    event = Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert str(event["STATUS"]) == "CANCELLED"
