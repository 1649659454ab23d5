"""Whether a visit fits: the building blocks the availability reads and the emergency
block share (a visit's length and buffers, a doctor's busy ranges, the exact fit check).

Pure reads; the booking services re-check everything under the doctor's lock
(apps/bookings/validation.py), so these only decide what to offer.
"""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from django.db.models import Exists, OuterRef

from apps.bookings.models import Booking
from apps.bookings.validation import covers
from apps.clinics.models import Clinic, ServiceOffering
from apps.timeslots.models import Slot


@dataclass(frozen=True, slots=True)
class Visit:
    """What booking ``service`` on a slot needs: its length and the buffers around it."""

    duration: timedelta
    before: timedelta
    after: timedelta

    def inside(self, slots: list[Slot]) -> bool:
        """Whether a visit starting at any of ``slots`` stays within that slot's own time,
        buffers included (then only the slot itself must be free)."""
        return (
            not self.before
            and not self.after
            and all(s.ends_at - s.starts_at >= self.duration for s in slots)
        )

    @classmethod
    def of(cls, service: ServiceOffering) -> "Visit":
        return cls(
            timedelta(minutes=service.duration_minutes),
            timedelta(minutes=service.buffer_before_minutes),
            timedelta(minutes=service.buffer_after_minutes),
        )


class Busy:
    """A doctor's occupied ranges (buffers included), sorted, for overlap questions."""

    def __init__(self, ranges: list[tuple[datetime, datetime]]):
        self.ranges = sorted(ranges)
        self.starts = [r[0] for r in self.ranges]

    def meets(self, start: datetime, end: datetime) -> bool:
        # Ranges may overlap each other, so every one starting before ``end`` counts.
        index = bisect_left(self.starts, end)
        return any(self.ranges[i][1] > start for i in range(index))


def fits(slots: list[Slot], index: int, visit: Visit, busy: Busy) -> bool:
    """Whether a visit starting at ``slots[index]`` is covered by the open slots from there
    on (sorted, one doctor and clinic) and its buffered range meets no booking."""
    start = slots[index].starts_at
    end = start + visit.duration
    intervals = ((s.starts_at, s.ends_at) for s in islice(slots, index, None))
    return covers(intervals, start, end) and not busy.meets(start - visit.before, end + visit.after)


def in_booking_window(slot: Slot, clinic: Clinic, now: datetime) -> bool:
    return (
        now + timedelta(minutes=clinic.min_notice_minutes)
        < slot.starts_at
        <= now + timedelta(days=clinic.max_advance_days)
    )


def busy_by_doctor(doctor_ids, start: datetime, end: datetime) -> dict[int, Busy]:
    ranges: dict[int, list] = {}
    for doctor_id, blocked_from, blocked_until in (
        Booking.objects.occupying()
        .filter(doctor_id__in=doctor_ids)
        .blocking_between(start, end)
        .values_list("doctor_id", "blocked_from", "blocked_until")
    ):
        ranges.setdefault(doctor_id, []).append((blocked_from, blocked_until))
    return {doctor_id: Busy(r) for doctor_id, r in ranges.items()}


def not_covered_by_a_booking():
    """Open slots whose own time no occupying booking covers (a cheap first sieve)."""
    covered = Booking.objects.occupying().filter(
        doctor_id=OuterRef("doctor_id"),
        blocked_from__lt=OuterRef("ends_at"),
        blocked_until__gt=OuterRef("starts_at"),
    )
    return ~Exists(covered)
