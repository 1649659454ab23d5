import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEntry
from apps.bookings import services
from apps.bookings.exceptions import (
    BookingNotCancellable,
    BookingNotReschedulable,
    InvalidTransition,
    OutsideBookingWindow,
    PatientDoubleBooked,
    RescheduleToOtherDoctor,
    ServiceNotOffered,
    SlotTooSoon,
    SlotUnavailable,
)
from apps.bookings.models import OCCUPYING_STATUSES, Booking, BookingStatus
from apps.timeslots.models import SlotStatus
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ServiceOfferingFactory
from tests.conftest import on_visit_day
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db


def book(world, patient, slot=None, service=None, **kwargs):
    return services.booking_create(
        patient=patient,
        slot_id=(slot or world.slots[0]).pk,
        service_id=(service or world.service).pk,
        **kwargs,
    )


# --- booking_create: the happy path -----------------------------------------------------------


def test_booking_create_confirms_a_free_slot_without_prepayment(world, patient):
    booking = book(world, patient, notes="  Knee hurts when climbing stairs.  ")

    assert booking.status == BookingStatus.CONFIRMED
    assert booking.slot == world.slots[0]
    assert booking.starts_at == world.slots[0].starts_at
    assert booking.ends_at == world.slots[0].starts_at + timedelta(minutes=30)
    assert booking.patient_notes == "Knee hurts when climbing stairs."
    assert (booking.price_base_minor, booking.price_total_minor, booking.currency) == (
        4500,
        4500,
        "EUR",
    )
    assert booking.hold_expires_at is None
    assert list(booking.events.values_list("kind", flat=True)) == ["requested", "confirmed"]


def test_booking_create_holds_the_slot_when_the_clinic_requires_prepayment(world, patient):
    world.clinic.requires_prepayment = True
    world.clinic.save()

    with time_machine.travel(timezone.now(), tick=False):
        booking = book(world, patient)
        assert booking.status == BookingStatus.HELD
        assert booking.hold_expires_at == timezone.now() + timedelta(minutes=15)
    assert list(booking.events.values_list("kind", flat=True)) == ["requested", "held"]


def test_booking_create_of_a_free_service_never_waits_for_payment(world, patient):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    free = ServiceOfferingFactory(clinic=world.clinic, price_minor=0)
    world.doctor.services.add(free)

    assert book(world, patient, service=free).status == BookingStatus.CONFIRMED


def test_booking_create_adds_buffers_to_the_blocked_time(world, patient):
    padded = ServiceOfferingFactory(
        clinic=world.clinic, duration_minutes=30, buffer_before_minutes=5, buffer_after_minutes=10
    )
    world.doctor.services.add(padded)

    booking = book(world, patient, slot=world.slots[1], service=padded)

    assert booking.blocked_from == booking.starts_at - timedelta(minutes=5)
    assert booking.blocked_until == booking.ends_at + timedelta(minutes=10)


def test_booking_create_by_reception_records_who_booked(world, patient, receptionist):
    booking = book(world, patient, actor=receptionist)

    assert booking.created_by == receptionist
    assert booking.events.first().actor == receptionist


def test_booking_create_writes_an_audit_entry_in_the_same_transaction(world, patient):
    booking = book(world, patient)

    entry = AuditEntry.objects.for_target(booking).get(action="booking.create")
    assert entry.actor == patient
    assert entry.changes["status"] == [None, "confirmed"]


# --- booking_create: the validation chain ---------------------------------------------------


def test_booking_create_rejects_a_taken_slot(world, patient, other_patient):
    book(world, patient)

    with pytest.raises(SlotUnavailable) as error:
        book(world, other_patient)
    assert error.value.message == SlotUnavailable.message
    assert Booking.objects.count() == 1


def test_booking_create_rejects_an_unknown_slot(world, patient):
    with pytest.raises(SlotUnavailable):
        services.booking_create(patient=patient, slot_id=987654, service_id=world.service.pk)


def test_booking_create_rejects_a_blocked_slot(world, patient):
    world.slots[0].status = SlotStatus.BLOCKED
    world.slots[0].save()

    with pytest.raises(SlotUnavailable):
        book(world, patient)


def test_booking_create_rejects_a_slot_in_the_past(world, patient):
    past = SlotFactory(
        doctor=world.doctor, clinic=world.clinic, starts_at=timezone.now() - timedelta(hours=2)
    )
    with pytest.raises(SlotTooSoon):
        book(world, patient, slot=past)


def test_booking_create_rejects_a_slot_inside_the_minimum_notice(world, patient):
    world.clinic.min_notice_minutes = 120
    world.clinic.save()
    soon = SlotFactory(
        doctor=world.doctor, clinic=world.clinic, starts_at=timezone.now() + timedelta(minutes=90)
    )
    with pytest.raises(SlotTooSoon):
        book(world, patient, slot=soon)


def test_booking_create_rejects_a_slot_beyond_the_booking_window(world, patient):
    world.clinic.max_advance_days = 1
    world.clinic.save()

    with pytest.raises(OutsideBookingWindow):
        book(world, patient)  # the world's slots are two days ahead


def test_booking_create_rejects_a_service_the_doctor_does_not_offer(world, patient):
    other = ServiceOfferingFactory(clinic=world.clinic)

    with pytest.raises(ServiceNotOffered):
        book(world, patient, service=other)


def test_booking_create_rejects_a_service_of_another_clinic(world, other_world, patient):
    with pytest.raises(ServiceNotOffered):
        book(world, patient, service=other_world.service)


def test_booking_create_rejects_an_inactive_service(world, patient):
    world.service.is_active = False
    world.service.save()

    with pytest.raises(ServiceNotOffered):
        book(world, patient)


def test_booking_create_rejects_an_unknown_service(world, patient):
    with pytest.raises(ServiceNotOffered):
        services.booking_create(patient=patient, slot_id=world.slots[0].pk, service_id=424242)


def test_a_long_service_needs_the_following_slots_open(world, patient, other_patient):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    book(world, other_patient, slot=world.slots[2])

    # 09:30 + 60 min runs into the 10:00 booking.
    with pytest.raises(SlotUnavailable):
        book(world, patient, slot=world.slots[1], service=hour)
    # 10:30 + 60 min is free.
    assert book(world, patient, slot=world.slots[3], service=hour).ends_at == (
        world.slots[4].ends_at
    )


def test_a_long_service_does_not_fit_at_the_end_of_the_day(world, patient):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)

    with pytest.raises(SlotUnavailable):
        book(world, patient, slot=world.slots[-1], service=hour)


def test_a_long_service_does_not_fit_over_a_blocked_slot(world, patient):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    world.slots[1].status = SlotStatus.BLOCKED
    world.slots[1].save()

    with pytest.raises(SlotUnavailable):
        book(world, patient, slot=world.slots[0], service=hour)


def test_a_booking_covering_the_next_slot_makes_that_slot_unavailable(
    world, patient, other_patient
):
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    book(world, patient, slot=world.slots[0], service=hour)

    with pytest.raises(SlotUnavailable):
        book(world, other_patient, slot=world.slots[1])


def test_a_buffer_after_makes_the_next_slot_unavailable(world, patient, other_patient):
    padded = ServiceOfferingFactory(clinic=world.clinic, buffer_after_minutes=10)
    world.doctor.services.add(padded)
    book(world, patient, slot=world.slots[0], service=padded)

    with pytest.raises(SlotUnavailable):
        book(world, other_patient, slot=world.slots[1])
    assert book(world, other_patient, slot=world.slots[2]).status == BookingStatus.CONFIRMED


def test_a_cancelled_booking_frees_its_slot(world, patient, other_patient):
    first = book(world, patient)
    services.booking_cancel(booking=first, actor=patient)

    assert book(world, other_patient).status == BookingStatus.CONFIRMED


def test_a_patient_cannot_hold_two_overlapping_visits(world, other_world, patient):
    book(world, patient)

    # The other clinic's first slot is at the same time, with another doctor.
    with pytest.raises(PatientDoubleBooked) as error:
        book(other_world, patient)
    assert error.value.message == "You already have an appointment at this time."
    assert patient.bookings.count() == 1


def test_back_to_back_visits_for_one_patient_are_fine(world, patient):
    book(world, patient, slot=world.slots[0])

    assert book(world, patient, slot=world.slots[1]).status == BookingStatus.CONFIRMED


# --- Database backstops -------------------------------------------------------------------------


def test_the_database_refuses_two_active_bookings_on_one_slot(world, patient, other_patient):
    BookingFactory(slot=world.slots[0], patient=patient, service=world.service)

    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(slot=world.slots[0], patient=other_patient, service=world.service)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints")
def test_the_database_refuses_overlapping_bookings_of_one_doctor(world, patient, other_patient):
    first = BookingFactory(slot=world.slots[0], patient=patient, service=world.service)
    overlapping = SlotFactory(
        doctor=world.doctor,
        clinic=world.clinic,
        starts_at=first.starts_at + timedelta(days=30),  # any other slot row
    )

    with pytest.raises(IntegrityError, match="booking_no_doctor_overlap"), transaction.atomic():
        BookingFactory(
            slot=overlapping,
            patient=other_patient,
            service=world.service,
            starts_at=first.starts_at + timedelta(minutes=15),
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints")
def test_the_database_refuses_overlapping_bookings_of_one_patient(world, other_world, patient):
    first = BookingFactory(slot=world.slots[0], patient=patient, service=world.service)

    with pytest.raises(IntegrityError, match="booking_no_patient_overlap"), transaction.atomic():
        BookingFactory(
            slot=other_world.slots[0],
            patient=patient,
            service=other_world.service,
            starts_at=first.starts_at + timedelta(minutes=10),
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraints")
def test_the_exclusion_constraints_cover_exactly_the_occupying_statuses():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname IN ('booking_no_doctor_overlap', 'booking_no_patient_overlap')"
        )
        definitions = dict(cursor.fetchall())
    assert set(definitions) == {"booking_no_doctor_overlap", "booking_no_patient_overlap"}
    for definition in definitions.values():
        assert set(re.findall(r"'(\w+)'::character varying", definition)) == set(OCCUPYING_STATUSES)


def test_a_constraint_violation_becomes_slot_unavailable(world, patient, other_patient):
    """If the chain ever misses a conflict, the constraint still answers in domain terms."""
    taken = BookingFactory(slot=world.slots[0], patient=other_patient, service=world.service)
    # Simulate a check that raced: the row exists, but the chain is skipped.
    booking = Booking(
        patient=patient,
        doctor=world.doctor,
        clinic=world.clinic,
        service=world.service,
        status=BookingStatus.CONFIRMED,
        price_base_minor=1,
        price_total_minor=1,
        currency="EUR",
        slot=taken.slot,
        starts_at=taken.starts_at,
        ends_at=taken.ends_at,
        blocked_from=taken.starts_at,
        blocked_until=taken.ends_at,
    )
    with pytest.raises(SlotUnavailable):
        services._insert_or_translate(booking)
    assert Booking.objects.filter(slot=taken.slot).count() == 1


# --- booking_cancel ------------------------------------------------------------------------------


def test_booking_cancel_before_the_cutoff_is_free(world, patient):
    booking = book(world, patient)

    cancelled = services.booking_cancel(booking=booking, actor=patient, reason="Feeling better")

    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancellation_reason == "Feeling better"
    event = cancelled.events.get(kind="cancelled")
    assert event.data["free_cancellation"] is True
    assert event.data["refund_percent"] == 100
    assert event.actor == patient


def test_booking_cancel_after_the_cutoff_applies_the_late_refund_share(world, patient):
    world.clinic.cancellation_cutoff_hours = 72
    world.clinic.late_cancellation_refund_percent = 50
    world.clinic.save()
    booking = book(world, patient)  # two days ahead: inside the 72 h cut-off

    event = services.booking_cancel(booking=booking, actor=patient).events.get(kind="cancelled")

    assert event.data["free_cancellation"] is False
    assert event.data["refund_percent"] == 50


def test_booking_cancel_by_the_clinic_is_always_free(world, patient, receptionist):
    world.clinic.cancellation_cutoff_hours = 72
    world.clinic.save()
    booking = book(world, patient)

    cancelled = services.booking_cancel(booking=booking, actor=receptionist, by_clinic=True)

    assert cancelled.events.get(kind="cancelled").data["refund_percent"] == 100


def test_booking_cancel_refuses_a_booking_already_cancelled(world, patient):
    booking = book(world, patient)
    services.booking_cancel(booking=booking, actor=patient)

    with pytest.raises(BookingNotCancellable):
        services.booking_cancel(booking=booking, actor=patient)
    assert booking.events.filter(kind="cancelled").count() == 1


def test_booking_cancel_refuses_a_visit_that_has_started(world, patient):
    booking = book(world, patient)

    with (
        time_machine.travel(booking.starts_at + timedelta(minutes=1)),
        pytest.raises(BookingNotCancellable),
    ):
        services.booking_cancel(booking=booking, actor=patient)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- booking_reschedule -----------------------------------------------------------------------


def test_booking_reschedule_moves_the_booking_and_frees_the_old_slot(world, patient, other_patient):
    booking = book(world, patient, slot=world.slots[0])

    moved = services.booking_reschedule(
        booking=booking, new_slot_id=world.slots[3].pk, actor=patient
    )

    assert moved.pk == booking.pk
    assert moved.slot == world.slots[3]
    assert moved.starts_at == world.slots[3].starts_at
    assert moved.status == BookingStatus.CONFIRMED
    event = moved.events.get(kind="rescheduled")
    assert event.data["from_slot"] == world.slots[0].pk
    assert event.data["to_slot"] == world.slots[3].pk
    assert book(world, other_patient, slot=world.slots[0]).status == BookingStatus.CONFIRMED


def test_booking_reschedule_into_a_taken_slot_keeps_the_old_time(world, patient, other_patient):
    booking = book(world, patient, slot=world.slots[0])
    book(world, other_patient, slot=world.slots[3])

    with pytest.raises(SlotUnavailable):
        services.booking_reschedule(booking=booking, new_slot_id=world.slots[3].pk, actor=patient)

    booking.refresh_from_db()
    assert booking.slot == world.slots[0]
    assert not booking.events.filter(kind="rescheduled").exists()


def test_booking_reschedule_into_an_overlapping_own_slot_is_allowed(world, patient):
    """Moving 30 minutes later overlaps the old time: the booking must not block itself."""
    hour = ServiceOfferingFactory(clinic=world.clinic, duration_minutes=60)
    world.doctor.services.add(hour)
    booking = book(world, patient, slot=world.slots[0], service=hour)

    moved = services.booking_reschedule(
        booking=booking, new_slot_id=world.slots[1].pk, actor=patient
    )

    assert moved.starts_at == world.slots[1].starts_at


def test_booking_reschedule_to_another_doctor_is_refused(world, patient):
    booking = book(world, patient)
    colleague = DoctorFactory(services=[world.service])
    their_slot = SlotFactory(doctor=colleague, clinic=world.clinic)

    with pytest.raises(RescheduleToOtherDoctor):
        services.booking_reschedule(booking=booking, new_slot_id=their_slot.pk, actor=patient)


def test_booking_reschedule_to_the_same_slot_is_refused(world, patient):
    booking = book(world, patient)

    with pytest.raises(SlotUnavailable):
        services.booking_reschedule(booking=booking, new_slot_id=world.slots[0].pk, actor=patient)


def test_booking_reschedule_of_a_cancelled_booking_is_refused(world, patient):
    booking = book(world, patient)
    services.booking_cancel(booking=booking, actor=patient)

    with pytest.raises(BookingNotReschedulable):
        services.booking_reschedule(booking=booking, new_slot_id=world.slots[2].pk, actor=patient)


def test_booking_reschedule_runs_the_whole_validation_chain(world, patient):
    booking = book(world, patient)
    world.slots[4].status = SlotStatus.BLOCKED
    world.slots[4].save()

    with pytest.raises(SlotUnavailable):
        services.booking_reschedule(booking=booking, new_slot_id=world.slots[4].pk, actor=patient)
    past = SlotFactory(
        doctor=world.doctor, clinic=world.clinic, starts_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(SlotTooSoon):
        services.booking_reschedule(booking=booking, new_slot_id=past.pk, actor=patient)


# --- Visit-day transitions ------------------------------------------------------------------------


def test_check_in_then_complete(world, patient, receptionist):
    booking = book(world, patient)

    with on_visit_day(booking):
        services.booking_check_in(booking=booking, actor=receptionist)
    with time_machine.travel(booking.starts_at + timedelta(minutes=20)):
        done = services.booking_complete(booking=booking, actor=receptionist)

    assert done.status == BookingStatus.COMPLETED
    assert list(done.events.values_list("kind", flat=True)) == [
        "requested",
        "confirmed",
        "checked_in",
        "completed",
    ]


def test_check_in_only_on_the_visit_day_in_the_clinics_zone(world, patient, receptionist):
    world.clinic.timezone = "Pacific/Auckland"  # UTC+13 in November
    world.clinic.save()
    booking = book(world, patient)
    local_midnight = booking.starts_at.astimezone(ZoneInfo("Pacific/Auckland")).replace(
        hour=0, minute=0
    )

    with pytest.raises(InvalidTransition, match="day of their appointment"):
        services.booking_check_in(booking=booking, actor=receptionist)
    with (
        time_machine.travel(local_midnight - timedelta(minutes=1)),
        pytest.raises(InvalidTransition),
    ):
        services.booking_check_in(booking=booking, actor=receptionist)
    with time_machine.travel(local_midnight + timedelta(minutes=1)):
        checked_in = services.booking_check_in(booking=booking, actor=receptionist)

    assert checked_in.status == BookingStatus.CHECKED_IN


def test_no_show_only_after_the_start(world, patient, receptionist):
    booking = book(world, patient)

    with pytest.raises(InvalidTransition):
        services.booking_mark_no_show(booking=booking, actor=receptionist)
    with time_machine.travel(booking.starts_at + timedelta(minutes=15)):
        assert services.booking_mark_no_show(booking=booking, actor=receptionist).status == (
            BookingStatus.NO_SHOW
        )


def test_transitions_refuse_a_booking_in_the_wrong_state(world, patient, receptionist):
    booking = book(world, patient)
    services.booking_cancel(booking=booking, actor=patient)

    with pytest.raises(InvalidTransition):
        services.booking_check_in(booking=booking, actor=receptionist)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
