"""The validation chain a booking must pass, run under the doctor's lock.

Each check raises the domain error a person can act on. The order matters: the cheap,
slot-level checks first, then those that read other bookings. The database constraints
still back the last two up.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apps.bookings.exceptions import (
    OutsideBookingWindow,
    PatientDoubleBooked,
    ServiceNotOffered,
    SlotTooSoon,
    SlotUnavailable,
)
from apps.bookings.models import Booking
from apps.clinics.models import ServiceOffering
from apps.timeslots.models import Slot


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a service would sit in the doctor's day if booked on a slot."""

    slot: Slot
    service: ServiceOffering
    starts_at: datetime
    ends_at: datetime
    blocked_from: datetime
    blocked_until: datetime

    @classmethod
    def of(cls, slot: Slot, service: ServiceOffering) -> "Placement":
        starts_at = slot.starts_at
        ends_at = starts_at + timedelta(minutes=service.duration_minutes)
        return cls(
            slot=slot,
            service=service,
            starts_at=starts_at,
            ends_at=ends_at,
            blocked_from=starts_at - timedelta(minutes=service.buffer_before_minutes),
            blocked_until=ends_at + timedelta(minutes=service.buffer_after_minutes),
        )


def check_placement(
    *,
    slot: Slot,
    service: ServiceOffering,
    patient,
    now: datetime,
    ignore_booking_id: int | None = None,
) -> Placement:
    """Run the chain; return the placement or raise. ``ignore_booking_id``: a booking
    being moved does not conflict with itself."""
    if not slot.is_open:
        raise SlotUnavailable(slot_id=slot.pk)
    check_service_offered(slot=slot, service=service)
    clinic = slot.clinic
    if slot.starts_at <= now + timedelta(minutes=clinic.min_notice_minutes):
        raise SlotTooSoon(slot_id=slot.pk)
    if slot.starts_at > now + timedelta(days=clinic.max_advance_days):
        raise OutsideBookingWindow(slot_id=slot.pk)
    placement = Placement.of(slot, service)
    if not service_fits(placement):
        raise SlotUnavailable(slot_id=slot.pk)
    others = Booking.objects.occupying().exclude(pk=ignore_booking_id)
    if (
        others.filter(doctor_id=slot.doctor_id)
        .blocking_between(placement.blocked_from, placement.blocked_until)
        .exists()
    ):
        raise SlotUnavailable(slot_id=slot.pk)
    if others.filter(
        patient=patient, starts_at__lt=placement.ends_at, ends_at__gt=placement.starts_at
    ).exists():
        raise PatientDoubleBooked(slot_id=slot.pk)
    return placement


def check_service_offered(*, slot: Slot, service: ServiceOffering) -> None:
    if (
        not service.is_active
        or service.clinic_id != slot.clinic_id
        or not service.doctors.filter(pk=slot.doctor_id).exists()
    ):
        raise ServiceNotOffered(service_id=service.pk)


def service_fits(placement: Placement) -> bool:
    """Whether open slots of the doctor at this clinic cover the whole visit.

    A 45-minute service on a 30-minute grid needs the next slot open too; at the end of
    the doctor's day it does not fit.
    """
    slot = placement.slot
    covering = (
        Slot.objects.open()
        .filter(doctor_id=slot.doctor_id, clinic_id=slot.clinic_id)
        .overlapping(placement.starts_at, placement.ends_at)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )
    return covers(list(covering), placement.starts_at, placement.ends_at)


def covers(intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    """Whether sorted ``intervals`` leave no gap in [start, end)."""
    reached = start
    for begin, finish in intervals:
        if begin > reached:
            return False
        reached = max(reached, finish)
        if reached >= end:
            return True
    return reached >= end
