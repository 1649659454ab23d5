"""Emergency block: a doctor cannot work a range of time at a clinic.

Staff first see what blocking the range would do (``emergency_preview``, read only: the
slots, the upcoming bookings in the range, and for each the first time it could move
to), then apply it in one transaction (``emergency_apply``): the slots are blocked and
each affected booking is cancelled on the clinic's behalf (fully refunded: payments
answers the ``cancelled`` event) or moved to the time staff confirmed. Patients hear of
it through the events the cancel and move steps record in the outbox.

Moving to a colleague. ``booking_reschedule`` keeps the doctor (a patient choosing a new
time must not change doctor by accident), so the move to another doctor at the same
clinic is its own step here (``_booking_reassign``): the same booking row changes doctor,
slot and time in place, under the same locks and validation chain. It keeps its
reference, price and payment (same service at the same clinic, so the same price); its
timeline says "rescheduled", naming both doctors. Cancel-and-rebook would refund and
charge the patient again and lose the booking's history, for no gain.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet, TextChoices, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.audit.services import audit_record
from apps.bookings import services
from apps.bookings.exceptions import (
    BookingNotReschedulable,
    ServiceNotOffered,
    SlotUnavailable,
)
from apps.bookings.fitting import (
    Busy,
    Visit,
    busy_by_doctor,
    fits,
    in_booking_window,
    not_covered_by_a_booking,
)
from apps.bookings.models import UPCOMING_STATUSES, Booking
from apps.clinics.models import Clinic
from apps.clinics.selectors import clinic_list_for_staff
from apps.core.db import set_lock_timeout
from apps.core.errors import DomainError
from apps.doctors.models import Doctor
from apps.doctors.services import doctor_lock
from apps.timeslots import services as timeslot_services
from apps.timeslots.exceptions import InvalidBlockRange
from apps.timeslots.models import Slot, SlotStatus

#: How far past the blocked range alternatives are looked for.
HORIZON_DAYS = 14
#: The longest range one emergency block covers (a longer absence is leave, in the schedule).
MAX_RANGE_DAYS = 31
#: A second submit of the same form waits this long for the first to finish (the doctor
#: lock), then sees its result instead of answering "busy".
LOCK_WAIT_MS = 10_000
#: Open slots looked at per doctor when proposing alternatives: enough for every affected
#: booking to find a distinct time, bounded so one query stays small.
_SLOTS_PER_DOCTOR = 48
#: Clinic roles that may block a doctor's time (platform admins may everywhere).
BLOCKING_ROLES = (Role.CLINIC_MANAGER, Role.RECEPTIONIST)


class Choice(TextChoices):
    MOVE = "move", _("Move")
    CANCEL = "cancel", _("Cancel")


class Outcome(TextChoices):
    CANCELLED = "cancelled", _("Cancelled")
    MOVED = "moved", _("Moved")
    NOT_MOVED = "not_moved", _("Not moved")
    NOT_CANCELLED = "not_cancelled", _("Not cancelled")
    UNDECIDED = "undecided", _("Not decided")


#: Outcomes that leave the booking in the blocked range: staff must look at it again.
NEEDS_ATTENTION = (Outcome.NOT_MOVED, Outcome.NOT_CANCELLED, Outcome.UNDECIDED)


# --- Who may ------------------------------------------------------------------------------------


def clinic_list_for_emergency_block(user) -> QuerySet[Clinic]:
    """Clinics where ``user`` may block a doctor's time: as a manager or receptionist of
    the clinic, or everywhere as a platform admin."""
    return clinic_list_for_staff(user, roles=BLOCKING_ROLES)


def doctor_list_at_clinic(clinic: Clinic) -> QuerySet[Doctor]:
    return Doctor.objects.at_clinic(clinic).select_related("user")


# --- Preview (read only) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """A proposed new time: ``slot`` with ``doctor`` (the same doctor, or a colleague)."""

    slot: Slot
    doctor: Doctor
    same_doctor: bool


@dataclass(frozen=True)
class Affected:
    booking: Booking
    alternative: Alternative | None

    @property
    def default_choice(self) -> str:
        return Choice.MOVE if self.alternative is not None else Choice.CANCEL


@dataclass(frozen=True)
class EmergencyPreview:
    clinic: Clinic
    doctor: Doctor
    starts_at: datetime
    ends_at: datetime
    slots_to_block: int
    slots_already_blocked: int
    #: Slots of the doctor at other clinics in the range: not touched from this clinic.
    slots_elsewhere: int
    affected: list[Affected]

    @property
    def nothing_to_do(self) -> bool:
        return not self.slots_to_block and not self.affected


def emergency_preview(
    *,
    clinic: Clinic,
    doctor: Doctor,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime | None = None,
) -> EmergencyPreview:
    """What blocking ``doctor`` at ``clinic`` for [starts_at, ends_at) would do. Reads only.

    Each affected booking gets the first time it could move to: with the same doctor
    outside the range, else with a colleague offering the same service at the clinic,
    within ``HORIZON_DAYS`` after the range. Proposals never collide with one another or
    with the patient's other bookings. A fixed number of queries however many bookings.
    """
    now = now or timezone.now()
    slot_counts = _slot_counts(doctor, clinic, starts_at, ends_at)
    bookings = list(_affected_bookings(doctor, clinic, starts_at, ends_at, now))
    alternatives = _propose(bookings, doctor, clinic, starts_at, ends_at, now)
    return EmergencyPreview(
        clinic=clinic,
        doctor=doctor,
        starts_at=starts_at,
        ends_at=ends_at,
        slots_to_block=slot_counts["open"],
        slots_already_blocked=slot_counts["blocked"],
        slots_elsewhere=slot_counts["elsewhere"],
        affected=[Affected(b, alternatives.get(b.pk)) for b in bookings],
    )


def _slot_counts(doctor, clinic, starts_at, ends_at) -> dict[str, int]:
    counts = {"open": 0, "blocked": 0, "elsewhere": 0}
    rows = (
        Slot.objects.for_doctor(doctor)
        .overlapping(starts_at, ends_at)
        .values_list("clinic_id", "status")
    )
    for clinic_id, status in rows:
        if clinic_id != clinic.pk:
            counts["elsewhere"] += 1
        else:
            counts["open" if status == SlotStatus.OPEN else "blocked"] += 1
    return counts


def _affected_bookings(doctor, clinic, starts_at, ends_at, now) -> QuerySet[Booking]:
    """Upcoming bookings of the doctor at the clinic whose visit meets the range."""
    return (
        Booking.objects.filter(doctor=doctor, clinic=clinic, status__in=UPCOMING_STATUSES)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at, starts_at__gt=now)
        .select_related("patient", "service", "clinic", "doctor__user")
        .order_by("starts_at", "pk")
    )


def _propose(bookings, doctor, clinic, starts_at, ends_at, now) -> dict[int, Alternative]:
    """Greedy, in booking order: each takes the earliest fitting time left (same doctor
    first), and that time then counts as busy for the bookings after it. Five queries."""
    if not bookings:
        return {}
    service_ids = {b.service_id for b in bookings}
    offering = Doctor.services.through.objects.filter(
        serviceoffering_id__in=service_ids,
        serviceoffering__is_active=True,
        doctor__is_active=True,
        doctor__user__is_active=True,
    ).select_related("doctor__user")
    doctors_for: dict[int, list[Doctor]] = {}
    for row in offering:
        doctors_for.setdefault(row.serviceoffering_id, []).append(row.doctor)
    doctors = {d.pk: d for ds in doctors_for.values() for d in ds}
    if not doctors:
        return {}

    window_start, window_end = now, max(ends_at, now) + timedelta(days=HORIZON_DAYS)
    slots_by_doctor = _open_slots(doctors, doctor, clinic, starts_at, ends_at, now, window_end)
    widest = max(
        (Visit.of(b.service) for b in bookings), key=lambda v: v.duration + v.before + v.after
    )
    busy = {
        pk: list(b.ranges)
        for pk, b in busy_by_doctor(
            list(doctors), window_start - widest.before, window_end + widest.duration + widest.after
        ).items()
    }
    patient_busy = _patient_busy(bookings, window_start, window_end + widest.duration)

    found: dict[int, Alternative] = {}
    for booking in bookings:
        visit = Visit.of(booking.service)
        offered_by = doctors_for.get(booking.service_id, [])
        # The same doctor first; otherwise the colleague with the earliest fitting time.
        same = [d for d in offered_by if d.pk == doctor.pk]
        others = [d for d in offered_by if d.pk != doctor.pk]
        choice = None
        for group in (same, others):
            options = []
            for candidate in group:
                slot = _first_fit(
                    slots_by_doctor.get(candidate.pk, []),
                    visit,
                    Busy(busy.get(candidate.pk, [])),
                    Busy(patient_busy.get(booking.patient_id, [])),
                    clinic,
                    now,
                )
                if slot is not None:
                    options.append((slot.starts_at, candidate.pk, slot, candidate))
            if options:
                _start, _pk, slot, candidate = min(options, key=lambda o: (o[0], o[1]))
                choice = Alternative(slot, candidate, same_doctor=candidate.pk == doctor.pk)
                break
        if choice is None:
            continue
        found[booking.pk] = choice
        start = choice.slot.starts_at
        busy.setdefault(choice.doctor.pk, []).append(
            (start - visit.before, start + visit.duration + visit.after)
        )
        patient_busy.setdefault(booking.patient_id, []).append((start, start + visit.duration))
    return found


def _open_slots(doctors, doctor, clinic, starts_at, ends_at, now, window_end) -> dict:
    """Open slots of each doctor at the clinic that no booking covers, the blocked doctor's
    range left out, at most ``_SLOTS_PER_DOCTOR`` each (ranked in the database)."""
    rows = (
        Slot.objects.open()
        .filter(doctor_id__in=list(doctors), clinic=clinic)
        .filter(starts_at__gt=now, starts_at__lt=window_end)
        .exclude(Q(doctor_id=doctor.pk, starts_at__lt=ends_at, ends_at__gt=starts_at))
        .filter(not_covered_by_a_booking())
        .annotate(rank=Window(RowNumber(), partition_by=[F("doctor_id")], order_by="starts_at"))
        .filter(rank__lte=_SLOTS_PER_DOCTOR)
        .order_by("doctor_id", "starts_at")
    )
    by_doctor: dict[int, list[Slot]] = {}
    for slot in rows:
        slot.clinic = clinic
        by_doctor.setdefault(slot.doctor_id, []).append(slot)
    return by_doctor


def _patient_busy(bookings, start, end) -> dict[int, list[tuple[datetime, datetime]]]:
    """The patients' other bookings in the window: a proposal must not overlap them."""
    busy: dict[int, list] = {}
    for patient_id, begins, finishes in (
        Booking.objects.occupying()
        .filter(patient_id__in={b.patient_id for b in bookings})
        .exclude(pk__in=[b.pk for b in bookings])
        .filter(starts_at__lt=end, ends_at__gt=start)
        .values_list("patient_id", "starts_at", "ends_at")
    ):
        busy.setdefault(patient_id, []).append((begins, finishes))
    return busy


def _first_fit(slots, visit, doctor_busy, patient_busy, clinic, now) -> Slot | None:
    for index, slot in enumerate(slots):
        start = slot.starts_at
        if (
            in_booking_window(slot, clinic, now)
            and fits(slots, index, visit, doctor_busy)
            and not patient_busy.meets(start, start + visit.duration)
        ):
            return slot
    return None


# --- Block --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmergencyBlock:
    slots: list[Slot]
    affected: list[Booking]


@transaction.atomic
def doctor_emergency_block(
    *,
    doctor: Doctor,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    actor,
    clinic: Clinic | None = None,
) -> EmergencyBlock:
    """Block a doctor's slots in a range and return the upcoming bookings it touches.

    Nothing is cancelled here: staff decide, per booking, to cancel or move
    (``emergency_apply``). With ``clinic``: only the slots and bookings at that clinic
    (the doctor's hours at other clinics are theirs to decide), and only slots still open
    (blocking again is a no-op that writes nothing). Returns the slots this call blocked.
    Lock: the doctor row (through the slot service). Raises InvalidBlockRange.
    """
    if ends_at <= starts_at:
        raise InvalidBlockRange()
    if clinic is None:
        slots = timeslot_services.slots_block(
            doctor=doctor, starts_at=starts_at, ends_at=ends_at, reason=reason, actor=actor
        )
        affected = Booking.objects.filter(doctor=doctor)
    else:
        slots = _block_at_clinic(doctor, clinic, starts_at, ends_at, reason, actor)
        affected = Booking.objects.filter(doctor=doctor, clinic=clinic)
    affected = (
        affected.filter(status__in=UPCOMING_STATUSES)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("patient", "service", "clinic")
        .order_by("starts_at")
    )
    return EmergencyBlock(slots=slots, affected=list(affected))


def _block_at_clinic(doctor, clinic, starts_at, ends_at, reason, actor) -> list[Slot]:
    """Block the doctor's open slots at ``clinic`` in the range, run by run.

    A doctor's slots never overlap (a database constraint), so a run of consecutive
    slots at this clinic, from its first start to its last end, holds no slot of another
    clinic: ``slots_block`` over it blocks exactly that run.
    """
    doctor_lock(doctor.pk)
    slots = list(
        Slot.objects.for_doctor(doctor).overlapping(starts_at, ends_at).order_by("starts_at")
    )
    runs: list[list[Slot]] = []
    previous_here = False
    for slot in slots:
        here = slot.clinic_id == clinic.pk
        if here and previous_here:
            runs[-1].append(slot)
        elif here:
            runs.append([slot])
        previous_here = here
    blocked: list[Slot] = []
    for run in runs:
        if all(s.status != SlotStatus.OPEN for s in run):
            continue
        newly = [s.pk for s in run if s.status == SlotStatus.OPEN]
        done = timeslot_services.slots_block(
            doctor=doctor,
            starts_at=run[0].starts_at,
            ends_at=run[-1].ends_at,
            reason=reason,
            actor=actor,
        )
        blocked.extend(s for s in done if s.pk in newly)
    return blocked


# --- Apply --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """What staff chose for one booking: cancel it, or move it to ``slot_id``."""

    choice: str
    slot_id: int | None = None


@dataclass(frozen=True)
class BookingResult:
    booking: Booking
    outcome: str
    #: The time the booking had before (a moved booking's ``booking`` has the new one).
    old_starts_at: datetime
    old_doctor: Doctor
    problem: str = ""


@dataclass(frozen=True)
class EmergencyResult:
    slots_blocked: int
    results: list[BookingResult] = field(default_factory=list)
    #: Bookings the form decided about that were already cancelled or moved (a repeat).
    already_handled: int = 0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def nothing_to_do(self) -> bool:
        return not self.slots_blocked and not self.results

    @property
    def needs_attention(self) -> list[BookingResult]:
        return [r for r in self.results if r.outcome in NEEDS_ATTENTION]


def emergency_apply(
    *,
    clinic: Clinic,
    doctor: Doctor,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    decisions: dict[int, Decision],
    actor,
) -> EmergencyResult:
    """Block the range and carry out staff's decision for each affected booking, in one
    transaction. Safe to submit twice: what is done already is not done again.

    Locks, in the order every booking writer uses: the doctor rows (the blocked doctor
    and every doctor a booking moves to, in primary-key order), then the patients of the
    affected bookings (primary-key order), then each booking row in its own step.

    Each booking's step runs in a savepoint: a move whose time was taken meanwhile (or a
    cancellation that is no longer possible) is rolled back alone and reported, and the
    booking stays where it is for staff to decide again; the rest goes through. A booking
    that turned up after the preview (no decision) is left alone and reported. One audit
    entry sums the action up (only when something changed); the cancel and move steps
    write their own. Raises InvalidBlockRange, or BookingBusy when the doctor lock is not
    obtained within ``LOCK_WAIT_MS``.
    """
    with services._contention_as_busy():
        return _emergency_apply(
            clinic=clinic,
            doctor=doctor,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason.strip(),
            decisions=decisions,
            actor=actor,
        )


@transaction.atomic
def _emergency_apply(*, clinic, doctor, starts_at, ends_at, reason, decisions, actor):
    set_lock_timeout(max(settings.BOOKING_LOCK_TIMEOUT_MS, LOCK_WAIT_MS))
    targets = {d.slot_id for d in decisions.values() if d.choice == Choice.MOVE and d.slot_id}
    doctor_ids = {doctor.pk} | set(
        Slot.objects.filter(pk__in=targets).values_list("doctor_id", flat=True)
    )
    for doctor_id in sorted(doctor_ids):
        doctor_lock(doctor_id)
    now = timezone.now()
    affected = list(_affected_bookings(doctor, clinic, starts_at, ends_at, now))
    _lock_patients(b.patient_id for b in affected)

    block = doctor_emergency_block(
        doctor=doctor,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        actor=actor,
        clinic=clinic,
    )
    results = [
        _carry_out(booking, decisions.get(booking.pk), reason=reason, actor=actor)
        for booking in affected
    ]
    still_here = {b.pk for b in affected}
    result = EmergencyResult(
        slots_blocked=len(block.slots),
        results=results,
        already_handled=sum(1 for pk in decisions if pk not in still_here),
    )
    if block.slots or any(r.outcome in (Outcome.CANCELLED, Outcome.MOVED) for r in results):
        audit_record(
            actor=actor,
            action="bookings.emergency_block",
            target=doctor,
            changes={
                "clinic": [None, clinic.pk],
                "range": [None, [starts_at.isoformat(), ends_at.isoformat()]],
                "reason": [None, reason],
                "slots_blocked": [0, result.slots_blocked],
                "cancelled": [0, result.count(Outcome.CANCELLED)],
                "moved": [0, result.count(Outcome.MOVED)],
                "left": [0, len(result.needs_attention)],
            },
        )
    return result


def _lock_patients(patient_ids: Iterable[int]) -> None:
    ids = sorted(set(patient_ids))
    if ids:
        # ORDER BY under FOR NO KEY UPDATE: the rows are locked in primary-key order.
        list(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _carry_out(booking: Booking, decision: Decision | None, *, reason, actor) -> BookingResult:
    old_start, old_doctor = booking.starts_at, booking.doctor

    def result(outcome, changed=booking, problem=""):
        return BookingResult(changed, outcome, old_start, old_doctor, str(problem))

    if decision is None:
        return result(Outcome.UNDECIDED)
    try:
        if decision.choice == Choice.CANCEL:
            cancelled = services.booking_cancel(
                booking=booking, actor=actor, reason=reason, by_clinic=True
            )
            return result(Outcome.CANCELLED, cancelled)
        if decision.slot_id is None:
            return result(Outcome.NOT_MOVED, problem=_("No new time was chosen."))
        moved = _booking_move(booking=booking, slot_id=decision.slot_id, actor=actor)
        return result(Outcome.MOVED, moved)
    except DomainError as error:
        outcome = Outcome.NOT_CANCELLED if decision.choice == Choice.CANCEL else Outcome.NOT_MOVED
        return result(outcome, problem=error.message)


def _booking_move(*, booking: Booking, slot_id: int, actor) -> Booking:
    target_doctor = Slot.objects.filter(pk=slot_id).values_list("doctor_id", flat=True).first()
    if target_doctor is None:
        raise SlotUnavailable(slot_id=slot_id)
    if target_doctor == booking.doctor_id:
        return services.booking_reschedule(booking=booking, new_slot_id=slot_id, actor=actor)
    return _booking_reassign(booking=booking, slot_id=slot_id, actor=actor)


@transaction.atomic
def _booking_reassign(*, booking: Booking, slot_id: int, actor) -> Booking:
    """Move an upcoming booking to a colleague's slot at the same clinic, in place.

    Locks: both doctors (primary-key order), the patient, then the booking row; the
    emergency action holds them already. Same validation chain as any booking, the
    booking itself ignored. Raises BookingNotReschedulable, SlotUnavailable,
    ServiceNotOffered, PatientDoubleBooked, SlotTooSoon or OutsideBookingWindow.
    """
    slot = Slot.objects.select_related("clinic").filter(pk=slot_id).first()
    if slot is None:
        raise SlotUnavailable(slot_id=slot_id)
    for doctor_id in sorted({booking.doctor_id, slot.doctor_id}):
        doctor_lock(doctor_id)
    _lock_patients([booking.patient_id])
    locked = Booking.objects.select_for_update().select_related("patient").get(pk=booking.pk)
    now = timezone.now()
    if locked.status not in UPCOMING_STATUSES or locked.starts_at <= now:
        raise BookingNotReschedulable(booking_id=booking.pk)
    if slot.clinic_id != locked.clinic_id:
        raise ServiceNotOffered(service_id=locked.service_id)
    return services.move_locked_booking(locked, slot, actor=actor, now=now)
