"""Booking reads, already scoped to who is asking."""

from bisect import bisect_left
from datetime import datetime, timedelta
from itertools import islice

from django.db.models import QuerySet

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


def _meets_busy(busy, busy_starts, start: datetime, end: datetime) -> bool:
    # Busy ranges may overlap each other (buffers), so look at every one starting before end.
    index = bisect_left(busy_starts, end)
    return any(busy[i][1] > start for i in range(index))
