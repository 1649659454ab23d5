"""Booking reads, already scoped to who is asking."""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby, islice

from django.db.models import Exists, F, OuterRef, QuerySet, Window
from django.db.models.functions import RowNumber

from apps.bookings.models import Booking, BookingEvent
from apps.bookings.validation import covers
from apps.clinics.models import Clinic, ServiceOffering
from apps.clinics.selectors import scope_to_clinics
from apps.timeslots.models import Slot


def booking_list_for_patient(patient) -> QuerySet[Booking]:
    """Only the patient's own bookings: a foreign id is simply not found."""
    if not patient.is_authenticated:
        return Booking.objects.none()
    return Booking.objects.filter(patient=patient).select_related(
        "doctor__user", "clinic", "service"
    )


def booking_list_for_staff(user) -> QuerySet[Booking]:
    """Bookings of the clinics ``user`` staffs (all for platform admins)."""
    return scope_to_clinics(Booking.objects.all(), user).select_related(
        "patient", "doctor__user", "clinic", "service"
    )


def booking_timeline(booking: Booking) -> QuerySet[BookingEvent]:
    return booking.events.select_related("actor").order_by("at", "id")


def slot_list_bookable(
    *,
    doctor_id: int,
    clinic: Clinic,
    service: ServiceOffering,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    """The doctor's slots in [window_start, window_end) where ``service`` can be booked now.

    Two queries whatever the window: open slots, and the doctor's occupied time. A slot
    qualifies when the visit fits in open slots and its buffers meet no booking. The
    booking service checks the same under the lock; this list is what people choose from.
    """
    too_soon = now + timedelta(minutes=clinic.min_notice_minutes)  # must start after this
    too_far = now + timedelta(days=clinic.max_advance_days)  # must start no later than this
    if window_start >= window_end or window_start > too_far:
        return []
    duration = timedelta(minutes=service.duration_minutes)
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    # Slots starting up to one visit length past the window can complete a visit in it.
    open_slots = list(
        Slot.objects.open()
        .filter(doctor_id=doctor_id, clinic=clinic)
        .filter(starts_at__gte=window_start, starts_at__lt=window_end + duration)
        .order_by("starts_at")
    )
    busy = sorted(
        Booking.objects.occupying()
        .filter(doctor_id=doctor_id)
        .blocking_between(window_start - before, window_end + duration + after)
        .values_list("blocked_from", "blocked_until")
    )
    busy_starts = [b[0] for b in busy]
    intervals = [(s.starts_at, s.ends_at) for s in open_slots]
    bookable = []
    for index, slot in enumerate(open_slots):
        start = slot.starts_at
        if start >= window_end or start <= too_soon or start > too_far:
            continue
        end = start + duration
        if not covers(islice(intervals, index, None), start, end):
            continue
        if _meets_busy(busy, busy_starts, start - before, end + after):
            continue
        bookable.append(slot)
    return bookable


@dataclass(frozen=True, slots=True)
class Candidate:
    """A doctor at a clinic, asked about with one service (it decides length and buffers)."""

    doctor_id: int
    clinic: Clinic
    service: ServiceOffering


def slot_first_bookable(
    candidates: list[Candidate],
    *,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    per_pair: int = 24,
) -> dict[tuple[int, int], Slot]:
    """The earliest bookable slot of each (doctor, clinic) candidate in the window.

    Three queries for any number of candidates: the first ``per_pair`` open slots of each
    pair that no booking covers (a window function ranks them in the database), the
    bookings around them, then the same exact check as ``slot_list_bookable`` (visit length
    and buffers) in Python. A pair whose first ``per_pair`` free slots all fail is left
    out rather than guessed.
    """
    if not candidates:
        return {}
    by_pair = {(c.doctor_id, c.clinic.pk): c for c in candidates}
    earliest = max(
        window_start, now + timedelta(minutes=min(c.clinic.min_notice_minutes for c in candidates))
    )
    covered = Booking.objects.occupying().filter(
        doctor_id=OuterRef("doctor_id"),
        blocked_from__lt=OuterRef("ends_at"),
        blocked_until__gt=OuterRef("starts_at"),
    )
    free = list(
        Slot.objects.open()
        .filter(
            doctor_id__in={d for d, _c in by_pair},
            clinic_id__in={c for _d, c in by_pair},
            starts_at__gt=earliest,
            starts_at__lt=window_end,
        )
        .filter(~Exists(covered))
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("doctor_id"), F("clinic_id")], order_by="starts_at"
            )
        )
        .filter(rank__lte=per_pair)
        .order_by("doctor_id", "clinic_id", "starts_at")
    )
    if not free:
        return {}
    longest = max(
        timedelta(minutes=c.service.duration_minutes + c.service.buffer_after_minutes)
        for c in candidates
    )
    before = max(timedelta(minutes=c.service.buffer_before_minutes) for c in candidates)
    busy_by_doctor: dict[int, list[tuple[datetime, datetime]]] = {}
    for doctor_id, blocked_from, blocked_until in (
        Booking.objects.occupying()
        .filter(doctor_id__in={s.doctor_id for s in free})
        .blocking_between(free[0].starts_at - before, max(s.ends_at for s in free) + longest)
        .order_by("blocked_from")
        .values_list("doctor_id", "blocked_from", "blocked_until")
    ):
        busy_by_doctor.setdefault(doctor_id, []).append((blocked_from, blocked_until))

    found: dict[tuple[int, int], Slot] = {}
    for pair, group in groupby(free, key=lambda s: (s.doctor_id, s.clinic_id)):
        candidate = by_pair.get(pair)
        if candidate is None:
            continue
        slots = list(group)
        slot = _first_fitting(slots, candidate, busy_by_doctor.get(pair[0], []), now)
        if slot is not None:
            found[pair] = slot
    return found


def _first_fitting(slots: list[Slot], candidate: Candidate, busy, now: datetime) -> Slot | None:
    clinic, service = candidate.clinic, candidate.service
    too_soon = now + timedelta(minutes=clinic.min_notice_minutes)
    too_far = now + timedelta(days=clinic.max_advance_days)
    duration = timedelta(minutes=service.duration_minutes)
    before = timedelta(minutes=service.buffer_before_minutes)
    after = timedelta(minutes=service.buffer_after_minutes)
    intervals = [(s.starts_at, s.ends_at) for s in slots]
    busy_starts = [b[0] for b in busy]
    for index, slot in enumerate(slots):
        start = slot.starts_at
        if start <= too_soon or start > too_far:
            continue
        end = start + duration
        if covers(islice(intervals, index, None), start, end) and not _meets_busy(
            busy, busy_starts, start - before, end + after
        ):
            return slot
    return None


def _meets_busy(busy, busy_starts, start: datetime, end: datetime) -> bool:
    # Busy ranges may overlap each other (buffers), so look at every one starting before end.
    index = bisect_left(busy_starts, end)
    return any(busy[i][1] > start for i in range(index))
