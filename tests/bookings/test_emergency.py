"""Emergency block: preview the consequences, then block and cancel or move in one action."""

from datetime import timedelta

import pytest

from apps.audit.models import AuditEntry
from apps.bookings import emergency, services
from apps.bookings.emergency import Choice, Decision, Outcome
from apps.bookings.exceptions import SlotUnavailable
from apps.bookings.models import Booking, BookingStatus, EventKind
from apps.outbox.models import OutboxEvent
from apps.payments import services as payment_services
from apps.payments.models import Payment, Refund
from apps.timeslots.models import SlotStatus
from tests.accounts.factories import PatientFactory, UserFactory
from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.concurrency import race
from tests.conftest import build_world
from tests.doctors.factories import DoctorFactory
from tests.payments.factories import book as checkout_book
from tests.payments.factories import make_prepaid, no_discounts, pay
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db


def book(world, patient, slot):
    return services.booking_create(patient=patient, slot_id=slot.pk, service_id=world.service.pk)


def morning(world):
    """The first four slots (two hours) of the world's day: the range to block."""
    return world.slots[0].starts_at, world.slots[3].ends_at


def preview(world, **kwargs):
    start, end = morning(world)
    return emergency.emergency_preview(
        clinic=world.clinic, doctor=world.doctor, starts_at=start, ends_at=end, **kwargs
    )


def apply(world, decisions, actor, reason="Doctor ill"):
    start, end = morning(world)
    return emergency.emergency_apply(
        clinic=world.clinic,
        doctor=world.doctor,
        starts_at=start,
        ends_at=end,
        reason=reason,
        decisions=decisions,
        actor=actor,
    )


def defaults(result_of_preview) -> dict[int, Decision]:
    """What the page submits when staff leave every row at its default."""
    return {
        a.booking.pk: Decision(Choice.MOVE, a.alternative.slot.pk)
        if a.alternative
        else Decision(Choice.CANCEL)
        for a in result_of_preview.affected
    }


@pytest.fixture
def colleague(world):
    """A second doctor at the clinic offering the same service, with two slots that day."""
    doctor = DoctorFactory(services=[world.service])
    start = world.slots[0].starts_at
    for i in range(2):
        SlotFactory(doctor=doctor, clinic=world.clinic, starts_at=start + timedelta(minutes=30 * i))
    return doctor


@pytest.fixture
def run_tasks(monkeypatch):
    """Payment calls queued after commit run here and now (as the Celery tasks would)."""
    tasks = {
        "refund_execute": payment_services.refund_execute,
        "payment_capture": payment_services.payment_capture,
        "payment_cancel": payment_services.payment_cancel,
    }
    monkeypatch.setattr(payment_services, "_dispatch", lambda name, *args: tasks[name](*args))


# --- Preview ------------------------------------------------------------------------------------


def test_preview_lists_the_slots_and_bookings_with_a_free_time_each_and_changes_nothing(
    world, patient, other_patient
):
    first = book(world, patient, world.slots[1])
    second = book(world, other_patient, world.slots[2])
    book(world, PatientFactory(), world.slots[4])  # outside the range, and not free

    seen = preview(world)

    assert (seen.slots_to_block, seen.slots_already_blocked, seen.slots_elsewhere) == (4, 0, 0)
    assert [a.booking.pk for a in seen.affected] == [first.pk, second.pk]
    # Two bookings, two different times, both after the range and the taken 11:00.
    assert [a.alternative.slot.pk for a in seen.affected] == [world.slots[5].pk, world.slots[6].pk]
    assert all(a.alternative.same_doctor for a in seen.affected)
    assert not world.doctor.slots.filter(status=SlotStatus.BLOCKED).exists()
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 3


def test_preview_offers_a_colleague_when_the_doctor_has_no_time_left(world, patient, colleague):
    world.slots[4:] = []
    world.doctor.slots.filter(starts_at__gte=morning(world)[1]).delete()
    booking = book(world, patient, world.slots[0])

    (affected,) = preview(world).affected

    assert affected.booking == booking
    assert affected.alternative.doctor == colleague
    assert not affected.alternative.same_doctor
    assert affected.default_choice == Choice.MOVE


def test_preview_says_so_when_there_is_no_alternative(world, patient):
    world.doctor.slots.filter(starts_at__gte=morning(world)[1]).delete()
    book(world, patient, world.slots[0])

    (affected,) = preview(world).affected

    assert affected.alternative is None
    assert affected.default_choice == Choice.CANCEL


def test_preview_never_proposes_a_time_the_patient_is_busy_elsewhere(world, patient):
    book(world, patient, world.slots[0])
    elsewhere = build_world(slot_count=8)
    services.booking_create(
        patient=patient, slot_id=elsewhere.slots[4].pk, service_id=elsewhere.service.pk
    )
    assert elsewhere.slots[4].starts_at == world.slots[4].starts_at

    (affected,) = preview(world).affected

    assert affected.alternative.slot == world.slots[5]


def test_preview_and_block_leave_the_doctors_hours_at_another_clinic_alone(world, patient):
    other_clinic = ClinicFactory()
    service_there = ServiceOfferingFactory(clinic=other_clinic)
    world.doctor.services.add(service_there)
    start = world.slots[-1].ends_at
    there = SlotFactory(doctor=world.doctor, clinic=other_clinic, starts_at=start)
    theirs = services.booking_create(patient=patient, slot_id=there.pk, service_id=service_there.pk)
    end = start + timedelta(hours=1)

    seen = emergency.emergency_preview(
        clinic=world.clinic, doctor=world.doctor, starts_at=world.slots[0].starts_at, ends_at=end
    )
    block = emergency.doctor_emergency_block(
        doctor=world.doctor,
        starts_at=world.slots[0].starts_at,
        ends_at=end,
        reason="Ill",
        actor=None,
        clinic=world.clinic,
    )

    assert (seen.slots_to_block, seen.slots_elsewhere, seen.affected) == (8, 1, [])
    assert len(block.slots) == 8
    assert block.affected == []
    there.refresh_from_db()
    assert there.status == SlotStatus.OPEN
    theirs.refresh_from_db()
    assert theirs.status == BookingStatus.CONFIRMED


# --- Block everywhere (the lower-level step) -----------------------------------------------------


def test_emergency_block_blocks_slots_and_returns_the_bookings_it_touches(
    world, patient, other_patient, receptionist
):
    hit = book(world, patient, world.slots[1])
    spared = book(world, other_patient, world.slots[5])
    start, end = morning(world)

    result = emergency.doctor_emergency_block(
        doctor=world.doctor, starts_at=start, ends_at=end, reason="Doctor ill", actor=receptionist
    )

    assert [b.pk for b in result.affected] == [hit.pk]
    assert {s.pk for s in result.slots} == {s.pk for s in world.slots[0:4]}
    assert set(
        world.doctor.slots.filter(status=SlotStatus.BLOCKED).values_list("pk", flat=True)
    ) == {s.pk for s in world.slots[0:4]}
    assert spared.slot.status == SlotStatus.OPEN
    with pytest.raises(SlotUnavailable):
        book(world, other_patient, world.slots[2])


# --- Apply --------------------------------------------------------------------------------------


def test_applying_blocks_the_range_so_nobody_can_book_it(world, patient, receptionist):
    result = apply(world, {}, receptionist)

    assert result.slots_blocked == 4
    assert result.results == []
    assert set(world.doctor.slots.filter(status=SlotStatus.BLOCKED)) == set(world.slots[0:4])
    for slot in world.slots[0:4]:
        with pytest.raises(SlotUnavailable):
            book(world, patient, slot)
    entry = AuditEntry.objects.get(action="bookings.emergency_block")
    assert entry.changes["slots_blocked"] == [0, 4]
    assert entry.changes["reason"] == [None, "Doctor ill"]
    assert entry.actor == receptionist


def test_cancelling_refunds_a_paid_booking_in_full_and_tells_the_patient(
    world, patient, receptionist, run_tasks, django_capture_on_commit_callbacks
):
    no_discounts()
    make_prepaid(world)
    booking = checkout_book(world, patient, slot=1)
    pay(booking)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        result = apply(world, {booking.pk: Decision(Choice.CANCEL)}, receptionist)

    (done,) = result.results
    assert done.outcome == Outcome.CANCELLED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancellation_reason == "Doctor ill"
    cancelled = booking.events.get(kind=EventKind.CANCELLED)
    assert cancelled.data["by_clinic"] is True
    assert cancelled.data["refund_percent"] == 100
    assert Refund.objects.get(payment__booking=booking).amount_minor == 4500
    assert OutboxEvent.objects.filter(
        kind="booking.cancelled", payload__booking=booking.pk
    ).exists()
    assert AuditEntry.objects.filter(action="booking.cancel", target_id=str(booking.pk)).exists()
    summary = AuditEntry.objects.get(action="bookings.emergency_block")
    assert (summary.changes["cancelled"], summary.changes["moved"]) == ([0, 1], [0, 0])


def test_moving_keeps_the_patients_booking_at_the_new_time(world, patient, receptionist):
    booking = book(world, patient, world.slots[1])
    (affected,) = preview(world).affected
    target = affected.alternative.slot

    result = apply(world, defaults(preview(world)), receptionist)

    (done,) = result.results
    assert done.outcome == Outcome.MOVED
    assert done.old_starts_at == world.slots[1].starts_at
    booking.refresh_from_db()
    assert (booking.status, booking.slot_id, booking.starts_at) == (
        BookingStatus.CONFIRMED,
        target.pk,
        target.starts_at,
    )
    assert booking.events.filter(kind=EventKind.RESCHEDULED).count() == 1
    assert OutboxEvent.objects.filter(
        kind="booking.rescheduled", payload__booking=booking.pk
    ).exists()
    world.slots[1].refresh_from_db()
    assert world.slots[1].status == SlotStatus.BLOCKED


def test_moving_to_a_colleague_keeps_reference_price_and_payment(
    world, patient, receptionist, colleague, run_tasks, django_capture_on_commit_callbacks
):
    no_discounts()
    make_prepaid(world)
    world.doctor.slots.filter(starts_at__gte=morning(world)[1]).delete()
    booking = checkout_book(world, patient, slot=0)
    pay(booking)
    payment = Payment.objects.get(booking=booking)
    (affected,) = preview(world).affected
    assert affected.alternative.doctor == colleague

    with django_capture_on_commit_callbacks(execute=True):
        result = apply(world, defaults(preview(world)), receptionist)

    assert [r.outcome for r in result.results] == [Outcome.MOVED]
    moved = Booking.objects.get(pk=booking.pk)
    assert (moved.doctor, moved.slot, moved.reference) == (
        colleague,
        affected.alternative.slot,
        booking.reference,
    )
    assert moved.price_total_minor == booking.price_total_minor
    assert Payment.objects.get(booking=moved).pk == payment.pk
    assert not Refund.objects.exists()
    step = moved.events.get(kind=EventKind.RESCHEDULED)
    assert (step.data["from_doctor"], step.data["to_doctor"]) == (world.doctor.pk, colleague.pk)
    assert AuditEntry.objects.get(action="booking.reschedule").changes["doctor"] == [
        world.doctor.pk,
        colleague.pk,
    ]


def test_a_time_taken_meanwhile_leaves_the_booking_in_place_and_says_so(
    world, patient, other_patient, receptionist
):
    booking = book(world, patient, world.slots[1])
    decisions = defaults(preview(world))
    book(world, other_patient, world.slots[4])  # someone books the proposed time first

    result = apply(world, decisions, receptionist)

    (done,) = result.results
    assert done.outcome == Outcome.NOT_MOVED
    assert done.problem == str(SlotUnavailable.message)
    assert result.needs_attention == [done]
    booking.refresh_from_db()
    assert (booking.status, booking.slot_id) == (BookingStatus.CONFIRMED, world.slots[1].pk)
    assert not booking.events.filter(kind=EventKind.RESCHEDULED).exists()
    # The block itself went through; a second look offers the next free time.
    assert result.slots_blocked == 4
    (again,) = preview(world).affected
    assert again.alternative.slot == world.slots[5]


def test_submitting_twice_does_everything_once(world, patient, other_patient, receptionist):
    moved = book(world, patient, world.slots[1])
    cancelled = book(world, other_patient, world.slots[2])
    decisions = defaults(preview(world))
    decisions[cancelled.pk] = Decision(Choice.CANCEL)

    first = apply(world, decisions, receptionist)
    audit_after_first = AuditEntry.objects.count()
    events_after_first = OutboxEvent.objects.count()
    second = apply(world, decisions, receptionist)

    assert sorted(r.outcome for r in first.results) == [Outcome.CANCELLED, Outcome.MOVED]
    assert second.nothing_to_do
    assert second.already_handled == 2
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count()) == (
        audit_after_first,
        events_after_first,
    )
    moved.refresh_from_db()
    assert moved.events.filter(kind=EventKind.RESCHEDULED).count() == 1
    assert Booking.objects.get(pk=cancelled.pk).status == BookingStatus.CANCELLED


def test_a_booking_made_after_the_preview_is_left_for_staff_to_decide(
    world, patient, other_patient, receptionist
):
    known = book(world, patient, world.slots[1])
    decisions = defaults(preview(world))
    newcomer = book(world, other_patient, world.slots[3])

    result = apply(world, decisions, receptionist)

    outcomes = {r.booking.pk: r.outcome for r in result.results}
    assert outcomes == {known.pk: Outcome.MOVED, newcomer.pk: Outcome.UNDECIDED}
    newcomer.refresh_from_db()
    assert newcomer.status == BookingStatus.CONFIRMED


def test_a_forged_target_at_another_clinic_is_not_moved(world, other_world, patient, receptionist):
    booking = book(world, patient, world.slots[1])

    forged = {booking.pk: Decision(Choice.MOVE, other_world.slots[0].pk)}

    result = apply(world, forged, receptionist)

    assert [r.outcome for r in result.results] == [Outcome.NOT_MOVED]
    booking.refresh_from_db()
    assert booking.slot_id == world.slots[1].pk


# --- Under real concurrency ---------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("to_colleague", [False, True])
def test_emergency_move_racing_a_patient_for_the_same_time_never_double_books(
    settings, to_colleague
):
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000
    for _round in range(4):
        _race_one_round(to_colleague=to_colleague)


def _race_one_round(*, to_colleague: bool) -> None:
    world = build_world(slot_count=6)
    if to_colleague:
        world.doctor.slots.filter(starts_at__gte=morning(world)[1]).delete()
        doctor = DoctorFactory(services=[world.service])
        contested = SlotFactory(
            doctor=doctor, clinic=world.clinic, starts_at=world.slots[0].starts_at
        )
    else:
        contested = world.slots[4]
    staff, patient, rival = UserFactory(), PatientFactory(), PatientFactory()
    booking = book(world, patient, world.slots[1])
    decisions = defaults(preview(world))
    assert decisions[booking.pk].slot_id == contested.pk

    outcomes = race(
        [
            lambda: apply(world, decisions, staff),
            lambda: services.booking_create(
                patient=rival, slot_id=contested.pk, service_id=world.service.pk
            ),
        ]
    )

    assert not any(o.unexpected for o in outcomes), outcomes
    emergency_result, rival_booking = outcomes[0].value, outcomes[1].value
    assert emergency_result is not None
    on_contested = Booking.objects.occupying().filter(slot=contested)
    assert on_contested.count() == 1
    (outcome,) = [r.outcome for r in emergency_result.results]
    if rival_booking is None:
        assert isinstance(outcomes[1].domain_error, SlotUnavailable)
        assert outcome == Outcome.MOVED
        assert on_contested.get().pk == booking.pk
    else:
        assert outcome == Outcome.NOT_MOVED
        assert on_contested.get().pk == rival_booking.pk
        assert Booking.objects.get(pk=booking.pk).slot_id == world.slots[1].pk
