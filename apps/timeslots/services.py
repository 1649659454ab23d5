"""Slot writes: generation from the schedule, blocking and unblocking."""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.audit.services import audit_record
from apps.doctors.models import Doctor
from apps.doctors.services import doctor_lock
from apps.timeslots.exceptions import InvalidBlockRange
from apps.timeslots.models import (
    ExceptionKind,
    ScheduleException,
    ScheduleRule,
    Slot,
    SlotStatus,
)
from apps.timeslots.planning import PlannedSlot, plan_slots, utc_window
from apps.timeslots.signals import slots_in_use


@dataclass(frozen=True, slots=True)
class GenerationResult:
    created: int
    removed: int
    kept: int


@transaction.atomic
def slots_generate(*, doctor: Doctor, first: date, last: date, actor=None) -> GenerationResult:
    """Make the doctor's slots on local dates first..last match the schedule. Idempotent.

    Takes the doctor's row lock, so generation never races a booking. Future slots that
    left the schedule are removed unless a booking holds them (asked through the
    ``slots_in_use`` signal); past slots are history and never touched. A planned slot
    that would overlap a kept one is not created.
    """
    doctor_lock(doctor.pk)
    now = timezone.now()
    planned = plan_slots(doctor=doctor, first=first, last=last)
    planned_keys = {p.key for p in planned}

    window_start, window_end = utc_window(first, last)
    # Every slot that meets the window, also those of neighbouring local dates (a late slot
    # the evening before may run past midnight): a new slot must not overlap any of them.
    nearby = list(
        Slot.objects.filter(
            doctor=doctor, starts_at__lt=window_end, ends_at__gt=window_start
        ).select_related("clinic")
    )
    existing = [
        slot for slot in nearby if first <= slot.starts_at.astimezone(slot.clinic.tz).date() <= last
    ]
    stale_ids = {
        s.pk
        for s in existing
        if s.starts_at > now and (s.clinic_id, s.starts_at, s.ends_at) not in planned_keys
    }
    protected: set[int] = set()
    if stale_ids:
        for _receiver, in_use in slots_in_use.send(sender=Slot, slot_ids=stale_ids):
            protected |= set(in_use)
    removable = stale_ids - protected
    if removable:
        Slot.objects.filter(pk__in=removable).delete()

    survivors = sorted((s for s in nearby if s.pk not in removable), key=lambda s: s.starts_at)
    existing_keys = {(s.clinic_id, s.starts_at, s.ends_at) for s in survivors}
    survivor_starts = [s.starts_at for s in survivors]
    to_create = [
        Slot(
            doctor=doctor,
            clinic_id=p.clinic_id,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            source=p.source,
        )
        for p in planned
        if p.key not in existing_keys and not _overlaps_any(survivors, survivor_starts, p)
    ]
    Slot.objects.bulk_create(to_create)
    kept = len(existing) - len(removable)
    result = GenerationResult(created=len(to_create), removed=len(removable), kept=kept)
    if result.created or result.removed:
        audit_record(
            actor=actor,
            action="slots.generate",
            target=doctor,
            changes={
                "range": [first.isoformat(), last.isoformat()],
                "created": [0, result.created],
                "removed": [0, result.removed],
            },
        )
    return result


def _overlaps_any(sorted_slots: list[Slot], starts: list[datetime], planned: PlannedSlot) -> bool:
    """Whether ``planned`` meets one of ``sorted_slots`` (sorted, non-overlapping).

    Among slots starting before the planned end, the last one also ends last, so it is
    the only one to compare. ``starts`` holds their start times, for bisection.
    """
    index = bisect_left(starts, planned.ends_at)
    return index > 0 and sorted_slots[index - 1].ends_at > planned.starts_at


def slots_extend_horizon(*, days: int | None = None, today: date | None = None) -> int:
    """Generate every scheduled doctor's slots from today to the horizon. Returns created.

    One transaction per doctor, so one doctor's trouble does not hold the others back.
    Yesterday is included because "today" differs between zones.
    """
    days = settings.SLOT_HORIZON_DAYS if days is None else days
    now = timezone.now()
    today = today or now.date()
    # Not only doctors with a weekly rule: extra hours alone make slots, and a doctor whose
    # last rule was deactivated or deleted still has future slots to remove.
    doctors = Doctor.objects.filter(is_active=True).filter(
        Exists(ScheduleRule.objects.filter(doctor=OuterRef("pk"), is_active=True))
        | Exists(
            ScheduleException.objects.filter(
                doctor=OuterRef("pk"), kind=ExceptionKind.EXTRA_HOURS, ends_at__gt=now
            )
        )
        | Exists(Slot.objects.filter(doctor=OuterRef("pk"), starts_at__gt=now))
    )
    created = 0
    for doctor in doctors.order_by("pk"):
        created += slots_generate(
            doctor=doctor, first=today - timedelta(days=1), last=today + timedelta(days=days)
        ).created
    return created


@transaction.atomic
def slots_block(
    *, doctor: Doctor, starts_at: datetime, ends_at: datetime, reason: str, actor=None
) -> list[Slot]:
    """Block every slot of ``doctor`` that overlaps [starts_at, ends_at). Returns them.

    Blocked slots cannot be booked. Bookings already on them are not touched here:
    the emergency-block service in bookings handles those.
    """
    if ends_at <= starts_at:
        raise InvalidBlockRange()
    doctor_lock(doctor.pk)
    slots = list(
        Slot.objects.for_doctor(doctor).overlapping(starts_at, ends_at).order_by("starts_at")
    )
    Slot.objects.filter(pk__in=[s.pk for s in slots]).update(
        status=SlotStatus.BLOCKED, block_reason=reason[:200]
    )
    for slot in slots:
        slot.status, slot.block_reason = SlotStatus.BLOCKED, reason[:200]
    audit_record(
        actor=actor,
        action="slots.block",
        target=doctor,
        changes={
            "range": [starts_at.isoformat(), ends_at.isoformat()],
            "reason": [None, reason],
            "slots": [0, len(slots)],
        },
    )
    return slots


@transaction.atomic
def slots_unblock(*, slot_ids: list[int], actor=None) -> int:
    """Open blocked slots again. Returns how many changed."""
    changed = Slot.objects.filter(pk__in=slot_ids, status=SlotStatus.BLOCKED).update(
        status=SlotStatus.OPEN, block_reason=""
    )
    if changed:
        audit_record(actor=actor, action="slots.unblock", changes={"slots": [0, changed]})
    return changed
