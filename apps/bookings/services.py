"""Booking writes: create, cancel, reschedule and the visit-day transitions.

Exclusive booking works in three layers:

1. Each write that touches a doctor's time takes the doctor's row lock
   (``SELECT ... FOR NO KEY UPDATE``), then the patient's, with a short ``lock_timeout``.
   Locking the slot alone is not enough: overlapping slots of one doctor would race,
   and concurrent inserts into an exclusion constraint without a common lock deadlock.
2. Under the lock the validation chain (``validation.check_placement``) reads the
   committed state and refuses a taken, blocked, past or overlapping time.
3. The database constraints back it up; their violations (23505, 23P01) become the same
   domain errors. Lock timeouts, deadlocks and serialisation failures become
   ``BookingBusy`` (retryable). Nothing of it escapes as a 500.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.audit.services import audit_record
from apps.bookings.exceptions import (
    BookingBusy,
    BookingNotCancellable,
    BookingNotReschedulable,
    InvalidTransition,
    PatientDoubleBooked,
    RescheduleToOtherDoctor,
    ServiceNotOffered,
    SlotUnavailable,
)
from apps.bookings.models import (
    OCCUPYING_STATUSES,
    UPCOMING_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    EventKind,
)
from apps.bookings.policy import cancellation_terms
from apps.bookings.pricing import Pricer, PricingContext, list_price
from apps.bookings.signals import booking_changed
from apps.bookings.validation import Placement, check_placement
from apps.clinics.models import ServiceOffering
from apps.core.db import set_lock_timeout
from apps.doctors.services import doctor_lock
from apps.outbox.services import event_record
from apps.timeslots.models import Slot, SlotStatus

# PostgreSQL errors that mean "someone else is working on this right now".
_CONTENTION_SQLSTATES = {
    "55P03",  # lock_not_available: lock_timeout expired
    "40P01",  # deadlock_detected
    "40001",  # serialization_failure
}
_SLOT_CONSTRAINTS = {"booking_one_active_per_slot", "booking_no_doctor_overlap"}
_PATIENT_CONSTRAINTS = {"booking_no_patient_overlap"}


# --- Create -------------------------------------------------------------------------------------


def booking_create(
    *,
    patient,
    slot_id: int,
    service_id: int,
    notes: str = "",
    actor=None,
    pricer: Pricer = list_price,
    hold_until: datetime | None = None,
) -> Booking:
    """Book ``service_id`` on ``slot_id`` for ``patient``. One transaction.

    Lock: the slot's doctor row. Raises SlotUnavailable (taken, blocked, unknown slot,
    service does not fit), PatientDoubleBooked, SlotTooSoon, OutsideBookingWindow,
    ServiceNotOffered, or BookingBusy (lock not obtained in time; retry).
    ``actor`` is who acts when not the patient (reception booking by phone).
    ``pricer`` sets the price under the locks (see pricing.py); it may raise a DomainError.
    ``hold_until``: hold the time for the patient until then, whatever the clinic's
    payment terms (a waitlist offer; the timeline says "offered"). The hold expiry job
    frees it like any unpaid hold.
    """
    with _contention_as_busy():
        return _booking_create(
            patient=patient,
            slot_id=slot_id,
            service_id=service_id,
            notes=notes,
            actor=actor,
            pricer=pricer,
            hold_until=hold_until,
        )


@transaction.atomic
def _booking_create(
    *, patient, slot_id, service_id, notes, actor, pricer, hold_until=None
) -> Booking:
    doctor_id = _doctor_of_a_free_slot(slot_id, service_id)
    _lock_time(doctor_id, patient.pk)
    slot = Slot.objects.select_related("clinic").get(pk=slot_id)
    service = _get_service(service_id)
    now = timezone.now()
    placement = check_placement(slot=slot, service=service, patient=patient, now=now)

    clinic = slot.clinic
    price = pricer(
        PricingContext(
            patient=patient, service=service, clinic=clinic, starts_at=placement.starts_at, now=now
        )
    )
    needs_payment = clinic.requires_prepayment and price.total.amount_minor > 0
    offered = hold_until is not None
    if hold_until is None and needs_payment:
        hold_until = now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)
    booking = Booking(
        patient=patient,
        doctor_id=doctor_id,
        clinic=clinic,
        service=service,
        patient_notes=notes.strip()[:1000],
        price_base_minor=price.base.amount_minor,
        price_discount_minor=price.discount.amount_minor,
        price_promo_minor=price.promo.amount_minor,
        price_total_minor=price.total.amount_minor,
        currency=price.currency,
        status=BookingStatus.HELD if hold_until is not None else BookingStatus.CONFIRMED,
        hold_expires_at=hold_until,
        created_by=actor if actor is not None and actor != patient else None,
    )
    _apply_placement(booking, placement)
    _insert_or_translate(booking)

    by = actor or patient
    _record(booking, EventKind.REQUESTED, by, at=now, slot=slot.pk, service=service.name)
    if price.discount.amount_minor or price.promo.amount_minor:
        _record(
            booking,
            EventKind.PRICED,
            None,
            at=now,
            base=price.base.amount_minor,
            discount=price.discount.amount_minor,
            promo=price.promo.amount_minor,
            total=price.total.amount_minor,
            currency=price.currency,
        )
    if booking.hold_expires_at is not None:
        # A waitlist offer is held whatever the payment terms; paying comes after accepting.
        kind = EventKind.OFFERED if offered else EventKind.HELD
        event = _record(booking, kind, None, at=now, expires_at=booking.hold_expires_at.isoformat())
    else:
        event = _record(booking, EventKind.CONFIRMED, None, at=now)
    audit_record(
        actor=by,
        action="booking.create",
        target=booking,
        changes={
            "status": [None, booking.status],
            "starts_at": [None, booking.starts_at.isoformat()],
        },
    )
    booking_changed.send(sender=Booking, booking=booking, previous=None, event=event)
    return booking


# --- Cancel -------------------------------------------------------------------------------------


def booking_cancel(
    *, booking: Booking, actor, reason: str = "", by_clinic: bool = False
) -> Booking:
    """Cancel an upcoming booking; its time is free again at commit.

    Lock: the booking row. ``by_clinic`` marks a cancellation by staff on the clinic's
    behalf, which is always fully refundable. The refund itself is the payments app's
    answer to the ``cancelled`` event, whose data carries the policy outcome.
    Raises BookingNotCancellable when it is too late or already over.
    """
    with _contention_as_busy():
        return _booking_cancel(booking=booking, actor=actor, reason=reason, by_clinic=by_clinic)


@transaction.atomic
def _booking_cancel(*, booking, actor, reason, by_clinic) -> Booking:
    _set_lock_timeout()
    locked = Booking.objects.select_for_update().select_related("clinic").get(pk=booking.pk)
    now = timezone.now()
    if locked.status not in UPCOMING_STATUSES or locked.starts_at <= now:
        raise BookingNotCancellable(booking_id=booking.pk)
    terms = cancellation_terms(locked, now=now, by_clinic=by_clinic)
    previous = locked.status
    locked.status = BookingStatus.CANCELLED
    locked.cancelled_at = now
    locked.cancellation_reason = reason.strip()[:300]
    locked.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
    event = _record(
        locked,
        EventKind.CANCELLED,
        actor,
        at=now,
        reason=locked.cancellation_reason,
        by_clinic=by_clinic,
        previous_status=previous,
        refund_percent=terms.refund_percent,
        free_cancellation=terms.free,
    )
    audit_record(
        actor=actor,
        action="booking.cancel",
        target=locked,
        changes={"status": [previous, locked.status], "reason": [None, locked.cancellation_reason]},
    )
    booking_changed.send(sender=Booking, booking=locked, previous=previous, event=event)
    return locked


# --- Reschedule ---------------------------------------------------------------------------------


def booking_reschedule(*, booking: Booking, new_slot_id: int, actor) -> Booking:
    """Move an upcoming booking to another slot of the same doctor, atomically.

    The booking row is updated in place in one transaction: the new time is taken and the
    old one freed together, or nothing changes and the patient keeps the old time.
    Locks: the doctor row, then the booking row (the order every writer uses).
    Raises BookingNotReschedulable, RescheduleToOtherDoctor, SlotUnavailable,
    PatientDoubleBooked, SlotTooSoon, OutsideBookingWindow or BookingBusy.
    """
    with _contention_as_busy():
        return _booking_reschedule(booking=booking, new_slot_id=new_slot_id, actor=actor)


@transaction.atomic
def _booking_reschedule(*, booking, new_slot_id, actor) -> Booking:
    _lock_time(booking.doctor_id, booking.patient_id)
    locked = Booking.objects.select_for_update().get(pk=booking.pk)
    now = timezone.now()
    if locked.status not in UPCOMING_STATUSES or locked.starts_at <= now:
        raise BookingNotReschedulable(booking_id=booking.pk)
    slot = Slot.objects.select_related("clinic").filter(pk=new_slot_id).first()
    if slot is None or slot.pk == locked.slot_id:
        raise SlotUnavailable(slot_id=new_slot_id)
    if slot.doctor_id != locked.doctor_id:
        raise RescheduleToOtherDoctor(slot_id=new_slot_id)
    return move_locked_booking(locked, slot, actor=actor, now=now)


def move_locked_booking(locked: Booking, slot: Slot, *, actor, now: datetime) -> Booking:
    """Move ``locked`` to ``slot`` in place (same reference, price and payment): validate
    the new placement, save, and record the timeline step, the audit entry and the change.

    The caller holds the locks (the doctors involved, then the patient, then the booking
    row) and has checked the booking may move; the slot may be a colleague's at the same
    clinic (the emergency block). Raises SlotUnavailable, ServiceNotOffered,
    PatientDoubleBooked, SlotTooSoon or OutsideBookingWindow.
    """
    service = _get_service(locked.service_id)
    placement = check_placement(
        slot=slot, service=service, patient=locked.patient, now=now, ignore_booking_id=locked.pk
    )
    old_doctor, old_slot_id, old_start = locked.doctor_id, locked.slot_id, locked.starts_at
    locked.doctor_id, locked.clinic = slot.doctor_id, slot.clinic
    _apply_placement(locked, placement)
    try:
        with transaction.atomic():
            locked.save(
                update_fields=[
                    "doctor",
                    "slot",
                    "clinic",
                    "starts_at",
                    "ends_at",
                    "blocked_from",
                    "blocked_until",
                    "updated_at",
                ]
            )
    except IntegrityError as exc:
        raise _translate_integrity_error(exc, slot_id=slot.pk) from exc
    moved = {
        "from_starts_at": old_start.isoformat(),
        "to_starts_at": locked.starts_at.isoformat(),
        "from_slot": old_slot_id,
        "to_slot": slot.pk,
    }
    changes = {
        "starts_at": [old_start.isoformat(), locked.starts_at.isoformat()],
        "slot": [old_slot_id, slot.pk],
    }
    if old_doctor != slot.doctor_id:
        moved |= {"from_doctor": old_doctor, "to_doctor": slot.doctor_id}
        changes["doctor"] = [old_doctor, slot.doctor_id]
    event = _record(locked, EventKind.RESCHEDULED, actor, at=now, **moved)
    audit_record(actor=actor, action="booking.reschedule", target=locked, changes=changes)
    booking_changed.send(sender=Booking, booking=locked, previous=locked.status, event=event)
    return locked


# --- Visit day ----------------------------------------------------------------------------------


def booking_check_in(*, booking: Booking, actor) -> Booking:
    """The patient arrived. confirmed → checked_in, on the appointment's day (clinic time)."""
    return _transition(
        booking,
        actor=actor,
        sources=(BookingStatus.CONFIRMED,),
        target=BookingStatus.CHECKED_IN,
        kind=EventKind.CHECKED_IN,
        on_the_day=True,
    )


def booking_complete(*, booking: Booking, actor) -> Booking:
    """The visit took place. checked_in (or confirmed) → completed."""
    return _transition(
        booking,
        actor=actor,
        sources=(BookingStatus.CHECKED_IN, BookingStatus.CONFIRMED),
        target=BookingStatus.COMPLETED,
        kind=EventKind.COMPLETED,
        not_before_start=True,
    )


def booking_mark_no_show(*, booking: Booking, actor) -> Booking:
    """The patient did not come. confirmed → no_show, only once the visit has started."""
    return _transition(
        booking,
        actor=actor,
        sources=(BookingStatus.CONFIRMED,),
        target=BookingStatus.NO_SHOW,
        kind=EventKind.NO_SHOW,
        not_before_start=True,
    )


@transaction.atomic
def _transition(
    booking: Booking,
    *,
    actor,
    sources: tuple[str, ...],
    target: str,
    kind: str,
    not_before_start: bool = False,
    on_the_day: bool = False,
    **data,
) -> Booking:
    now = timezone.now()
    # The row lock makes the read-check-write one step against a concurrent change.
    locked = (
        Booking.objects.select_for_update(of=("self",)).select_related("clinic").get(pk=booking.pk)
    )
    if locked.status not in sources:
        raise InvalidTransition(booking_id=booking.pk)
    if not_before_start and locked.starts_at > now:
        raise InvalidTransition(_("This can only be recorded once the appointment has started."))
    zone = ZoneInfo(locked.clinic.timezone)
    if on_the_day and locked.starts_at.astimezone(zone).date() != now.astimezone(zone).date():
        raise InvalidTransition(_("Patients can be checked in on the day of their appointment."))
    previous = locked.status
    locked.status = target
    locked.save(update_fields=["status", "updated_at"])
    event = _record(locked, kind, actor, at=now, previous_status=previous, **data)
    audit_record(
        actor=actor, action=f"booking.{kind}", target=locked, changes={"status": [previous, target]}
    )
    booking_changed.send(sender=Booking, booking=locked, previous=previous, event=event)
    return locked


def booking_record_event(*, booking: Booking, kind: str, actor=None, **data) -> BookingEvent:
    """Add a step to the timeline that does not change the status (a refund, a reminder),
    for the apps to our right. Call inside the transaction that did the step."""
    if kind not in (EventKind.REFUNDED, EventKind.REMINDED):
        raise ValueError(f"{kind} changes the status: use its service.")
    return _record(booking, kind, actor, at=timezone.now(), **data)


# --- Payment holds ------------------------------------------------------------------------------


def booking_confirm_paid(*, booking: Booking, payment_reference: str) -> Booking | None:
    """The hold was paid: held → confirmed, as a compare-and-set.

    Returns the confirmed booking, or None when it is no longer held (the hold expired or
    the patient cancelled meanwhile): the caller then refunds the money. Confirming an
    already confirmed booking for the same payment returns it unchanged (a replay).
    """
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if (
            locked.status == BookingStatus.CONFIRMED
            and locked.events.filter(kind=EventKind.PAID, data__payment=payment_reference).exists()
        ):
            return locked
        if locked.status != BookingStatus.HELD:
            return None
        _record(locked, EventKind.PAID, None, at=timezone.now(), payment=payment_reference)
        return _transition(
            locked,
            actor=None,
            sources=(BookingStatus.HELD,),
            target=BookingStatus.CONFIRMED,
            kind=EventKind.CONFIRMED,
        )


def booking_release_hold(*, booking: Booking, failed: bool, reason: str) -> Booking | None:
    """End a hold: held → payment_failed (``failed``) or expired; the time is free again.

    Idempotent: a booking that is no longer held is left alone (returns None). The
    payments app answers the change by releasing discounts and promo uses.
    """
    target = BookingStatus.PAYMENT_FAILED if failed else BookingStatus.EXPIRED
    kind = EventKind.PAYMENT_FAILED if failed else EventKind.EXPIRED
    with transaction.atomic():
        locked = Booking.objects.select_for_update().filter(pk=booking.pk).first()
        if locked is None or locked.status != BookingStatus.HELD:
            return None
        return _transition(
            locked,
            actor=None,
            sources=(BookingStatus.HELD,),
            target=target,
            kind=kind,
            reason=reason,
        )


def booking_expire_holds(*, now: datetime | None = None, batch: int = 200) -> int:
    """Expire every hold whose time is up. Safe to run twice or in parallel: each booking
    is claimed with SKIP LOCKED and changed by compare-and-set. Returns how many expired."""
    now = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                Booking.objects.select_for_update(skip_locked=True)
                .filter(status=BookingStatus.HELD, hold_expires_at__lte=now)
                .order_by("hold_expires_at")[:batch]
            )
            for booking in due:
                if booking_release_hold(
                    booking=booking, failed=False, reason=str(_("The time to pay ran out."))
                ):
                    expired += 1
        if len(due) < batch:
            return expired


# --- Helpers ------------------------------------------------------------------------------------


def _lock_time(doctor_id: int, patient_id: int) -> None:
    """Lock the doctor, then the patient: the order every booking writer uses.

    The patient lock makes "no overlapping bookings for one patient" a checked rule
    rather than a race between two doctors' transactions ending in the exclusion
    constraint (where concurrent inserts without a common lock can deadlock).
    """
    _set_lock_timeout()
    doctor_lock(doctor_id)
    User.objects.select_for_update(no_key=True).filter(pk=patient_id).values_list(
        "pk", flat=True
    ).get()


def _set_lock_timeout() -> None:
    set_lock_timeout(settings.BOOKING_LOCK_TIMEOUT_MS)


def _get_service(service_id: int) -> ServiceOffering:
    service = ServiceOffering.objects.select_related("clinic").filter(pk=service_id).first()
    if service is None:
        raise ServiceNotOffered(service_id=service_id)
    return service


def _apply_placement(booking: Booking, placement: Placement) -> None:
    booking.slot = placement.slot
    booking.starts_at = placement.starts_at
    booking.ends_at = placement.ends_at
    booking.blocked_from = placement.blocked_from
    booking.blocked_until = placement.blocked_until


def _doctor_of_a_free_slot(slot_id: int, service_id: int) -> int:
    """The slot's doctor, or SlotUnavailable at once when the slot is unknown, not open or
    the visit would meet the blocked time of one of the doctor's bookings: read before
    any lock, so the losers of a race for a time answer without queueing for the
    doctor's lock. A slot that passes is checked again under the lock (the authority);
    one that fails here was taken when the request asked.

    The visit is the service's length and buffers from the slot's start when the doctor
    offers that service at the slot's clinic (PostgreSQL); otherwise only the slot's
    start, which any visit there covers.
    """
    # Plain SQL: this runs for every booking request, and building the same query through
    # the ORM costs more than PostgreSQL takes to answer it (bench/findings.md).
    with connection.cursor() as cursor:
        cursor.execute(*_free_slot_query(slot_id, service_id))
        found = cursor.fetchone()
    if found is None or found[1] != SlotStatus.OPEN or found[2]:
        raise SlotUnavailable(slot_id=slot_id)
    return found[0]


def _free_slot_query(slot_id: int, service_id: int) -> tuple[str, list]:
    occupying = ", ".join(["%s"] * len(OCCUPYING_STATUSES))
    if connection.vendor != "postgresql":
        return (
            f"""
            SELECT s.doctor_id, s.status, EXISTS (
                SELECT 1 FROM bookings_booking b
                WHERE b.doctor_id = s.doctor_id AND b.status IN ({occupying})
                  AND b.blocked_from <= s.starts_at AND b.blocked_until > s.starts_at
            )
            FROM timeslots_slot s WHERE s.id = %s
            """,  # noqa: S608 - only placeholders are interpolated
            [*OCCUPYING_STATUSES, slot_id],
        )
    # Without the service (unknown, elsewhere, not the doctor's) the visit shrinks to the
    # slot's start: lo = hi = start, and the test below becomes "start inside a booking".
    return (
        f"""
        SELECT s.doctor_id, s.status, EXISTS (
            SELECT 1 FROM bookings_booking b
            WHERE b.doctor_id = s.doctor_id AND b.status IN ({occupying})
              AND b.blocked_until > s.starts_at - make_interval(
                    mins => COALESCE(sv.buffer_before_minutes, 0))
              AND (b.blocked_from < s.starts_at + make_interval(
                    mins => COALESCE(sv.duration_minutes + sv.buffer_after_minutes, 0))
                   OR b.blocked_from <= s.starts_at)
        )
        FROM timeslots_slot s
        LEFT JOIN clinics_serviceoffering sv
          ON sv.id = %s AND sv.clinic_id = s.clinic_id AND sv.is_active
         AND EXISTS (SELECT 1 FROM doctors_doctor_services ds
                     WHERE ds.doctor_id = s.doctor_id AND ds.serviceoffering_id = sv.id)
        WHERE s.id = %s
        """,  # noqa: S608 - only placeholders are interpolated
        [*OCCUPYING_STATUSES, service_id, slot_id],
    )


def _insert_or_translate(booking: Booking) -> None:
    try:
        # A savepoint: a constraint violation must not poison the caller's transaction.
        with transaction.atomic():
            booking.save(force_insert=True)
    except IntegrityError as exc:
        raise _translate_integrity_error(exc, slot_id=booking.slot_id) from exc


def _translate_integrity_error(exc: IntegrityError, *, slot_id: int | None) -> Exception:
    """The constraints that back the validation chain speak the same domain language."""
    cause = exc.__cause__
    constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
    if constraint in _SLOT_CONSTRAINTS:
        return SlotUnavailable(slot_id=slot_id)
    if constraint in _PATIENT_CONSTRAINTS:
        return PatientDoubleBooked(slot_id=slot_id)
    if connection.vendor == "sqlite" and "bookings_booking.slot_id" in str(exc):
        return SlotUnavailable(slot_id=slot_id)
    return exc


@contextmanager
def _contention_as_busy() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        sqlstate = getattr(exc.__cause__, "sqlstate", None)
        if sqlstate in _CONTENTION_SQLSTATES or "database is locked" in str(exc):
            raise BookingBusy() from exc
        raise


def _record(booking: Booking, kind: str, actor, *, at: datetime, **data) -> BookingEvent:
    """A timeline step, and the same step as an outbox event, in the caller's transaction."""
    event = BookingEvent.objects.create(
        booking=booking,
        kind=kind,
        at=at,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data=data,
    )
    event_record(
        kind=f"booking.{kind}",
        dedupe_key=f"booking-event-{event.pk}",
        payload={"booking": booking.pk, "event": event.pk, "reference": booking.reference},
    )
    return event
