"""The day sheet: who sees which clinic and column, the clinic's calendar day, the visit-day
steps in place (htmx), their refusals, and a bounded number of queries."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.accounts.roles import Role
from apps.audit.models import AuditEntry
from apps.bookings.exceptions import InvalidTransition
from apps.bookings.models import Booking, BookingStatus, EventKind
from apps.bookings.staff_actions import StaffAction
from apps.payments.models import Payment, PaymentStatus
from tests.accounts.factories import PatientFactory
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ClinicFactory, ClinicMembershipFactory, ServiceOfferingFactory
from tests.conftest import build_world, on_visit_day
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SHEET = reverse("backoffice:day-sheet")
#: A Tuesday morning in Berlin (UTC+1 in winter).
NOW = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
DAY = date(2026, 12, 8)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def book(world, at: datetime, *, doctor=None, status=BookingStatus.CONFIRMED, patient=None):
    slot = SlotFactory(doctor=doctor or world.doctor, clinic=world.clinic, starts_at=at)
    held = status == BookingStatus.HELD
    booking = BookingFactory(
        slot=slot,
        service=world.service,
        status=status,
        patient=patient or PatientFactory(),
        hold_expires_at=NOW + timedelta(minutes=15) if held else None,
    )
    if held:
        Payment.objects.create(
            booking=booking,
            gateway="simulated",
            amount_minor=booking.price_total_minor,
            currency=booking.currency,
            status=PaymentStatus.REQUIRES_PAYMENT,
        )
    return booking


def sheet(client, world, day: date = DAY, **headers):
    return client.get(SHEET, {"clinic": world.clinic.pk, "date": day.isoformat()}, **headers)


def action_url(booking, action: str) -> str:
    return reverse("backoffice:day-sheet-action", args=[booking.reference, action])


def cancel_url(booking) -> str:
    return reverse("backoffice:day-sheet-cancel", args=[booking.reference])


@pytest.fixture
def second_doctor(world):
    return DoctorFactory(services=[world.service])


# --- Who sees what ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["receptionist", "nurse", "clinic_manager", "platform_admin"])
def test_front_desk_staff_see_every_doctor_of_the_clinic(
    client, world, second_doctor, persona, request
):
    client.force_login(request.getfixturevalue(persona))
    mine = book(world, NOW + timedelta(hours=1))
    theirs = book(world, NOW + timedelta(hours=2), doctor=second_doctor)

    response = sheet(client, world)

    assert response.status_code == 200
    assert mine.reference in response.text
    assert theirs.reference in response.text
    assert world.doctor.display_name in response.text
    assert second_doctor.display_name in response.text


def test_a_doctor_sees_only_their_own_column_and_no_buttons(
    client, world, second_doctor, doctor_user
):
    client.force_login(doctor_user)
    mine = book(world, NOW + timedelta(hours=1))
    theirs = book(world, NOW + timedelta(hours=2), doctor=second_doctor)

    response = sheet(client, world)

    assert response.status_code == 200
    assert mine.reference in response.text
    assert theirs.reference not in response.text
    assert "Check in" not in response.text
    assert "Book a walk-in" not in response.text


def test_a_doctor_cannot_take_a_step(client, world, doctor_user):
    client.force_login(doctor_user)
    booking = book(world, NOW + timedelta(hours=1))

    response = client.post(action_url(booking, "check-in"), headers=HTMX)

    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_a_patient_is_refused(client, patient):
    client.force_login(patient)
    assert client.get(SHEET).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(SHEET)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_another_clinics_id_is_not_found(client, world, other_world, receptionist):
    client.force_login(receptionist)
    book(other_world, NOW + timedelta(hours=1))
    assert sheet(client, other_world).status_code == 404
    assert client.get(SHEET, {"clinic": "not-a-number"}).status_code == 404


def test_staff_cannot_act_on_another_clinics_booking(client, world, other_world, receptionist):
    client.force_login(receptionist)
    foreign = book(other_world, NOW + timedelta(hours=1))

    for url in (action_url(foreign, "check-in"), cancel_url(foreign)):
        response = client.post(url, {"reason": "Doctor is ill today"}, headers=HTMX)
        assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == BookingStatus.CONFIRMED
    assert not AuditEntry.objects.filter(target_id=str(foreign.pk)).exists()


def test_the_first_clinic_and_its_today_are_the_default(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=1))
    response = client.get(SHEET)
    assert response.status_code == 200
    assert booking.reference in response.text
    assert "Berlin time" in response.text


def test_a_date_that_is_not_one_says_so_and_shows_today(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=1))
    response = client.get(SHEET, {"clinic": world.clinic.pk, "date": "2026-13-45"})
    assert response.status_code == 200
    assert "That is not a date" in response.text
    assert booking.reference in response.text


def test_an_empty_day_says_so_and_offers_a_walk_in(client, world, receptionist):
    client.force_login(receptionist)
    response = sheet(client, world)
    assert "No appointments on this day" in response.text
    assert reverse("backoffice:walk-in") in response.text


# --- The clinic's calendar day ------------------------------------------------------------


def test_a_late_evening_visit_belongs_to_its_local_day_not_the_utc_one(client, receptionist):
    clinic = ClinicFactory(timezone="America/Los_Angeles")  # UTC-8 in December
    world = build_world(clinic=clinic, slot_count=1)
    _staff_at(receptionist, clinic)
    client.force_login(receptionist)
    # 23:30 on 8 December in Los Angeles is 07:30 on 9 December in UTC.
    late = book(world, datetime(2026, 12, 9, 7, 30, tzinfo=UTC))

    assert late.reference in sheet(client, world, date(2026, 12, 8)).text
    assert late.reference not in sheet(client, world, date(2026, 12, 9)).text
    assert "23:30" in sheet(client, world, date(2026, 12, 8)).text


def _staff_at(user, clinic):
    ClinicMembershipFactory(user=user, clinic=clinic, role=Role.RECEPTIONIST)


# --- Steps in place -----------------------------------------------------------------------


def test_checking_in_answers_the_row_and_records_it(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(minutes=20))

    response = client.post(action_url(booking, "check-in"), headers=HTMX)

    assert response.status_code == 200
    row = f'<li class="sheet-row sheet-row--checked_in" id="booking-{booking.reference}"'
    assert response.text.strip().startswith(row)
    assert "data-autofocus" in response.text
    assert "checked in" in response.text  # the live region's message
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN
    event = booking.events.get(kind=EventKind.CHECKED_IN)
    assert event.actor == receptionist
    audit = AuditEntry.objects.get(action="booking.checked_in", target_id=str(booking.pk))
    assert audit.actor == receptionist


@pytest.mark.parametrize(
    ("action", "status", "kind"),
    [
        ("no-show", BookingStatus.NO_SHOW, EventKind.NO_SHOW),
        ("complete", BookingStatus.COMPLETED, EventKind.COMPLETED),
    ],
)
def test_after_the_start_a_visit_is_completed_or_a_no_show(
    client, world, receptionist, action, status, kind
):
    client.force_login(receptionist)
    booking = book(world, NOW - timedelta(minutes=10))

    response = client.post(action_url(booking, action), headers=HTMX)

    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == status
    assert booking.events.filter(kind=kind, actor=receptionist).count() == 1
    audit = AuditEntry.objects.filter(action=f"booking.{kind}", target_id=str(booking.pk))
    assert audit.count() == 1


def test_a_refused_step_shows_the_services_message_in_the_row(client, world, receptionist):
    client.force_login(receptionist)
    tomorrow = book(world, NOW + timedelta(days=1))

    response = client.post(action_url(tomorrow, "check-in"), headers=HTMX)

    assert response.status_code == 409
    assert "Patients can be checked in on the day of their appointment." in response.text
    assert 'role="alert"' in response.text
    tomorrow.refresh_from_db()
    assert tomorrow.status == BookingStatus.CONFIRMED
    assert not tomorrow.events.filter(kind=EventKind.CHECKED_IN).exists()


def test_without_htmx_a_step_redirects_back_to_the_sheet_with_a_message(
    client, world, receptionist
):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(minutes=20))

    response = client.post(action_url(booking, "check-in"), follow=True)

    assert response.redirect_chain[-1][0].startswith(SHEET)
    assert "checked in" in response.text
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN


def test_an_unknown_step_is_not_found(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(minutes=20))
    assert client.post(action_url(booking, "teleport"), headers=HTMX).status_code == 404
    assert client.get(action_url(booking, "check-in")).status_code == 405


def test_on_visit_day_helper_agrees_with_the_sheet(client, world, receptionist):
    """The shared helper (half an hour before) is a moment when check-in is offered."""
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(days=2))
    with on_visit_day(booking):
        response = client.post(action_url(booking, "check-in"), headers=HTMX)
    assert response.status_code == 200


# --- Cancel on the clinic's behalf --------------------------------------------------------


def test_the_cancel_form_opens_in_the_row(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=3))
    response = client.get(cancel_url(booking), headers=HTMX)
    assert response.status_code == 200
    assert 'class="sheet-cancel"' in response.text
    assert "Reason for cancelling" in response.text


@pytest.mark.parametrize("reason", ["", "   ", "ill"])
def test_cancelling_without_a_real_reason_is_a_field_error_and_changes_nothing(
    client, world, receptionist, reason
):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=3))

    response = client.post(cancel_url(booking), {"reason": reason}, headers=HTMX)

    assert response.status_code == 422
    assert "field-error" in response.text
    assert 'class="sheet-cancel"' in response.text
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not AuditEntry.objects.filter(action="booking.cancel").exists()


def test_cancelling_with_a_reason_cancels_for_the_clinic_and_records_it(
    client, world, receptionist
):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=3))

    response = client.post(cancel_url(booking), {"reason": "Doctor is ill today"}, headers=HTMX)

    assert response.status_code == 200
    assert "sheet-row--cancelled" in response.text
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancellation_reason == "Doctor is ill today"
    event = booking.events.get(kind=EventKind.CANCELLED)
    assert event.data["by_clinic"] is True
    assert event.actor == receptionist
    assert AuditEntry.objects.get(action="booking.cancel").actor == receptionist


def test_without_htmx_the_cancel_page_works_on_its_own(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=3))

    page = client.get(cancel_url(booking))
    assert page.status_code == 200
    assert "Cancel on the clinic" in page.text
    invalid = client.post(cancel_url(booking), {"reason": ""})
    assert invalid.status_code == 422
    assert "Enter the reason for cancelling" in invalid.text
    done = client.post(cancel_url(booking), {"reason": "Doctor is ill today"})
    assert done.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_nurses_take_visit_day_steps_but_do_not_cancel(client, world, nurse):
    client.force_login(nurse)
    booking = book(world, NOW + timedelta(minutes=20))
    page = sheet(client, world)
    assert "Check in" in page.text
    assert cancel_url(booking) not in page.text
    response = client.post(cancel_url(booking), {"reason": "Doctor is ill today"}, headers=HTMX)
    assert response.status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- Buttons come from the bookings rule --------------------------------------------------


def test_the_buttons_are_the_steps_the_services_would_allow(client, world, receptionist):
    client.force_login(receptionist)
    soon = book(world, NOW + timedelta(minutes=20))
    started = book(world, NOW - timedelta(minutes=10))
    done = book(world, NOW - timedelta(hours=1, minutes=30), status=BookingStatus.COMPLETED)

    text = sheet(client, world).text

    assert action_url(soon, "check-in") in text
    assert cancel_url(soon) in text
    assert action_url(soon, "complete") not in text
    assert action_url(started, "no-show") in text
    assert action_url(started, "complete") in text
    assert cancel_url(started) not in text
    assert all(action_url(done, a) not in text for a in StaffAction.values)


def test_a_stale_button_still_gets_the_services_answer(client, world, receptionist):
    """Someone else finished the visit a moment ago: the old page's button is refused."""
    client.force_login(receptionist)
    booking = book(world, NOW - timedelta(minutes=10))
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.COMPLETED)

    response = client.post(action_url(booking, "no-show"), headers=HTMX)

    assert response.status_code == 409
    assert str(InvalidTransition.message) in response.text


# --- Refresh and queries ------------------------------------------------------------------


def test_htmx_refresh_answers_the_sheet_body_only(client, world, receptionist):
    client.force_login(receptionist)
    booking = book(world, NOW + timedelta(hours=1))
    response = sheet(client, world, headers=HTMX)
    assert response.status_code == 200
    assert 'id="day-sheet-body"' in response.text[:200]
    assert "<html" not in response.text
    assert booking.reference in response.text
    assert "every 60s" in response.text
    assert response["Vary"].count("HX-Request") == 1


def test_the_sheet_takes_the_same_queries_for_one_or_twenty_bookings(
    client, world, receptionist, django_assert_max_num_queries
):
    client.force_login(receptionist)
    book(world, NOW + timedelta(hours=1))
    sheet(client, world)  # warm the session and permission caches as a real page would be
    with django_assert_max_num_queries(12) as one:
        sheet(client, world)
    more_doctors = [DoctorFactory(services=[world.service]) for _ in range(3)]
    for i in range(19):
        book(
            world,
            NOW + timedelta(hours=2, minutes=30 * i),
            doctor=more_doctors[i % 3],
            status=BookingStatus.HELD if i % 5 == 0 else BookingStatus.CONFIRMED,
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = sheet(client, world)
    assert response.text.count('class="sheet-row ') == 20
    assert "Payment: Waiting for the patient" in response.text


def test_a_service_at_another_clinic_does_not_leak_onto_the_sheet(
    client, world, other_world, receptionist
):
    client.force_login(receptionist)
    book(other_world, datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    ServiceOfferingFactory(clinic=other_world.clinic)
    assert "No appointments on this day" in sheet(client, world).text


def test_a_doctor_cannot_fetch_another_doctors_row(client, world, second_doctor, doctor_user):
    client.force_login(doctor_user)
    theirs = book(world, NOW + timedelta(hours=2), doctor=second_doctor)
    mine = book(world, NOW + timedelta(hours=1))
    row = "backoffice:day-sheet-row"
    assert client.get(reverse(row, args=[theirs.reference]), headers=HTMX).status_code == 404
    assert client.get(reverse(row, args=[mine.reference]), headers=HTMX).status_code == 200
