"""Booking admin: staff act on their clinic's bookings only, and the list stays cheap."""

import pytest

from apps.audit.models import AuditEntry
from apps.bookings import services
from apps.bookings.models import Booking, BookingStatus
from tests.bookings.factories import BookingFactory
from tests.clinics.admin_helpers import (
    assert_redirected_as_missing,
    change_url,
    changelist_url,
    listed_pks,
)
from tests.conftest import on_visit_day
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory


@pytest.fixture
def own_booking(world):
    return BookingFactory(slot=world.slots[0], service=world.service)


@pytest.fixture
def foreign_booking(other_world):
    other_world.clinic.name = "Outsider Clinic"
    other_world.clinic.save()
    other_world.doctor.user.last_name = "Outsiderova"
    other_world.doctor.user.save()
    return BookingFactory(slot=other_world.slots[0], service=other_world.service)


def run_action(client, action: str, *bookings):
    return client.post(
        changelist_url(Booking),
        {"action": action, "_selected_action": [b.pk for b in bookings], "index": "0"},
    )


def status_of(booking: Booking) -> str:
    return Booking.objects.get(pk=booking.pk).status


def test_check_in_action_with_the_other_clinics_booking_checks_in_only_own(
    client, receptionist, own_booking, foreign_booking
):
    client.force_login(receptionist)

    with on_visit_day(own_booking):
        response = run_action(client, "check_in", own_booking, foreign_booking)

    assert response.status_code == 302
    assert status_of(own_booking) == BookingStatus.CHECKED_IN
    assert status_of(foreign_booking) == BookingStatus.CONFIRMED
    assert not foreign_booking.events.exists()


def test_cancel_on_behalf_action_with_only_the_other_clinics_booking_cancels_nothing(
    client, clinic_manager, own_booking, foreign_booking
):
    client.force_login(clinic_manager)

    run_action(client, "cancel_on_behalf", foreign_booking)
    confirm_cancel(client, "Not ours to cancel", foreign_booking)

    assert status_of(foreign_booking) == BookingStatus.CONFIRMED
    assert status_of(own_booking) == BookingStatus.CONFIRMED


def confirm_cancel(client, reason: str, *bookings):
    """The second step of "cancel on behalf": the confirmation page posted with a reason."""
    return client.post(
        changelist_url(Booking),
        {
            "action": "cancel_on_behalf",
            "_selected_action": [b.pk for b in bookings],
            "confirm": "yes",
            "reason": reason,
        },
    )


def test_cancel_on_behalf_action_first_asks_for_a_reason_and_cancels_nothing(
    client, clinic_manager, own_booking
):
    client.force_login(clinic_manager)

    response = run_action(client, "cancel_on_behalf", own_booking)

    assert response.status_code == 200
    assert response.templates[0].name == "admin/bookings/booking/cancel_on_behalf.html"
    page = response.content.decode()
    assert own_booking.reference in page
    assert 'name="reason"' in page
    assert status_of(own_booking) == BookingStatus.CONFIRMED


def test_cancel_on_behalf_with_a_reason_cancels_own_clinics_booking_and_records_it(
    client, receptionist, own_booking
):
    client.force_login(receptionist)

    response = confirm_cancel(client, "  Dr. Weber is ill  today ", own_booking)

    assert response.status_code == 302
    cancelled = Booking.objects.get(pk=own_booking.pk)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancellation_reason == "Dr. Weber is ill today"
    event = cancelled.events.get(kind="cancelled")
    assert event.data["by_clinic"] is True
    assert event.data["refund_percent"] == 100
    entry = AuditEntry.objects.for_target(cancelled).get(action="booking.cancel")
    assert entry.actor == receptionist
    assert entry.changes["reason"] == [None, "Dr. Weber is ill today"]


@pytest.mark.parametrize("reason", ["", "   ", "ill", "x" * 301])
def test_cancel_on_behalf_without_a_proper_reason_shows_the_error_and_cancels_nothing(
    client, receptionist, own_booking, reason
):
    client.force_login(receptionist)

    response = confirm_cancel(client, reason, own_booking)

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert "errornote" in response.content.decode()
    assert status_of(own_booking) == BookingStatus.CONFIRMED


def test_cancel_on_behalf_confirmed_with_the_other_clinics_booking_cancels_only_own(
    client, receptionist, own_booking, foreign_booking
):
    client.force_login(receptionist)

    confirm_cancel(client, "The clinic is closed", own_booking, foreign_booking)

    assert status_of(own_booking) == BookingStatus.CANCELLED
    assert status_of(foreign_booking) == BookingStatus.CONFIRMED


def test_nurse_may_check_in_but_not_cancel_on_behalf(client, nurse, own_booking):
    client.force_login(nurse)

    page = run_action(client, "cancel_on_behalf", own_booking)
    confirm_cancel(client, "The nurse says so", own_booking)

    assert page.status_code == 302  # not an action nurses are offered
    assert status_of(own_booking) == BookingStatus.CONFIRMED
    with on_visit_day(own_booking):
        run_action(client, "check_in", own_booking)
    assert status_of(own_booking) == BookingStatus.CHECKED_IN


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("receptionist", {"check_in", "mark_no_show", "complete", "cancel_on_behalf"}),
        ("clinic_manager", {"check_in", "mark_no_show", "complete", "cancel_on_behalf"}),
        ("nurse", {"check_in", "mark_no_show", "complete"}),
        ("doctor_user", set()),
    ],
)
def test_each_role_is_offered_exactly_its_booking_actions(
    client, request, own_booking, persona, offered
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(changelist_url(Booking))

    form = response.context["action_form"]
    choices = {name for name, _label in form.fields["action"].choices if name} if form else set()
    assert choices == offered


def test_doctor_sees_only_own_appointments(client, doctor_user, world, own_booking):
    colleague = DoctorFactory(services=[world.service])
    colleagues = BookingFactory(
        slot=SlotFactory(doctor=colleague, clinic=world.clinic), service=world.service
    )
    client.force_login(doctor_user)

    listed = listed_pks(client.get(changelist_url(Booking)))
    colleagues_page = client.get(change_url(colleagues))

    assert listed == {own_booking.pk}
    assert_redirected_as_missing(colleagues_page)


def test_check_in_action_across_all_rows_touches_only_own_clinic(
    client, receptionist, own_booking, foreign_booking
):
    # "Select all N" sends select_across: the action gets the whole scoped list.
    client.force_login(receptionist)

    with on_visit_day(own_booking):
        client.post(
            changelist_url(Booking),
            {
                "action": "check_in",
                "select_across": "1",
                "_selected_action": [own_booking.pk],
                "index": "0",
            },
        )

    assert status_of(own_booking) == BookingStatus.CHECKED_IN
    assert status_of(foreign_booking) == BookingStatus.CONFIRMED


def test_doctor_may_view_but_not_check_in_a_booking(client, doctor_user, own_booking):
    client.force_login(doctor_user)

    page = client.get(change_url(own_booking))
    with on_visit_day(own_booking):
        run_action(client, "check_in", own_booking)

    assert page.status_code == 200
    assert status_of(own_booking) == BookingStatus.CONFIRMED


def test_booking_changelist_filters_offer_only_own_clinic_and_doctors(
    client, receptionist, own_booking, foreign_booking, world
):
    client.force_login(receptionist)
    response = client.get(changelist_url(Booking))
    offered = {
        str(label)
        for spec in response.context["cl"].filter_specs
        for _pk, label in getattr(spec, "lookup_choices", [])
    }
    assert "Outsider Clinic" not in offered
    assert "Outsider" not in response.content.decode()


def test_booking_changelist_filtered_by_the_other_clinic_lists_nothing(
    client, receptionist, own_booking, foreign_booking, other_world
):
    client.force_login(receptionist)
    response = client.get(changelist_url(Booking), {"clinic__id__exact": other_world.clinic.pk})
    assert listed_pks(response) == set()


def test_booking_changelist_search_by_the_other_clinics_reference_finds_nothing(
    client, receptionist, own_booking, foreign_booking
):
    client.force_login(receptionist)
    response = client.get(changelist_url(Booking), {"q": foreign_booking.reference})
    assert listed_pks(response) == set()


def test_booking_change_page_shows_the_timeline_of_own_booking(client, receptionist, own_booking):
    client.force_login(receptionist)
    with on_visit_day(own_booking):
        run_action(client, "check_in", own_booking)

    response = client.get(change_url(own_booking))

    assert response.status_code == 200
    assert "Checked in" in response.content.decode()


# Measured on the bookings list as clinic staff: session, user, two permission reads, the
# clinic and doctor filters (doctors with their users), two counts, the page and two
# date-hierarchy reads, and the sidebar's two reads of who the person is for the reviews
# admin (manager? doctor?). A query per row or per doctor would add 6 to 20 more.
BOOKING_CHANGELIST_MAX_QUERIES = 13


@pytest.mark.parametrize("persona", ["receptionist", "platform_admin"])
def test_booking_changelist_query_count_does_not_grow_with_rows(
    client, world, other_world, persona, request, django_assert_max_num_queries
):
    user = request.getfixturevalue(persona)
    world.add_slots(12)
    bookings = [BookingFactory(slot=slot, service=world.service) for slot in world.slots]
    BookingFactory(slot=other_world.slots[0], service=other_world.service)
    client.force_login(user)

    with django_assert_max_num_queries(BOOKING_CHANGELIST_MAX_QUERIES):
        response = client.get(changelist_url(Booking))

    assert {b.pk for b in bookings} <= listed_pks(response)
    assert len(bookings) == 20


def test_booking_changelist_query_count_does_not_grow_with_doctors(
    client, receptionist, world, django_assert_max_num_queries
):
    # The doctor filter names every doctor in the list: one query, not one per doctor.
    for _ in range(6):
        doctor = DoctorFactory(services=[world.service])
        BookingFactory(slot=SlotFactory(doctor=doctor, clinic=world.clinic), service=world.service)
    client.force_login(receptionist)

    with django_assert_max_num_queries(BOOKING_CHANGELIST_MAX_QUERIES):
        response = client.get(changelist_url(Booking))

    assert len(listed_pks(response)) == 6


def test_the_change_page_shows_the_bookings_audit_trail(client, receptionist, world, patient):
    booking = services.booking_create(
        patient=patient, slot_id=world.slots[1].pk, service_id=world.service.pk
    )
    client.force_login(receptionist)
    with on_visit_day(booking):
        run_action(client, "check_in", booking)

    page = client.get(change_url(booking)).content.decode()

    assert "Audit trail" in page
    assert "booking.create" in page
    assert "booking.checked_in" in page
    assert receptionist.email in page
    assert "confirmed → checked_in" in page
