"""From weekly rules and exceptions to the slots a doctor should have. Pure: no writes.

Rules are wall-clock times in the clinic's zone, so a 09:00 rule is 09:00 local on both
sides of a daylight-saving change (08:00 or 07:00 UTC in Berlin). A wall time that does
not exist (clocks jump forward) yields no slot; in the repeated hour (clocks go back)
the first occurrence is used and the slot's end is computed in real elapsed time, so no
two slots overlap.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from apps.clinics.models import Clinic
from apps.core.timeutils import daterange, local_datetime
from apps.doctors.models import Doctor
from apps.timeslots.models import ExceptionKind, ScheduleException, ScheduleRule, SlotSource

# Every zone's local day lies inside [day 00:00 UTC - 14 h, day+1 00:00 UTC + 14 h).
_ZONE_SLACK = timedelta(hours=14)


@dataclass(frozen=True, slots=True)
class PlannedSlot:
    clinic_id: int
    starts_at: datetime
    ends_at: datetime
    source: str

    @property
    def key(self) -> tuple[int, datetime, datetime]:
        return (self.clinic_id, self.starts_at, self.ends_at)


def utc_window(first: date, last: date) -> tuple[datetime, datetime]:
    """A UTC range containing the local days first..last in every time zone."""
    start = datetime.combine(first, time.min, tzinfo=UTC) - _ZONE_SLACK
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC) + _ZONE_SLACK
    return start, end


def plan_slots(*, doctor: Doctor, first: date, last: date) -> list[PlannedSlot]:
    """The slots ``doctor`` should have on the local dates first..last (inclusive)."""
    window_start, window_end = utc_window(first, last)
    rules = list(
        ScheduleRule.objects.filter(doctor=doctor, is_active=True, valid_from__lte=last)
        .exclude(valid_until__lt=first)
        .select_related("clinic")
        .prefetch_related("breaks", "clinic__closures", "clinic__opening_hours")
    )
    exceptions = list(
        ScheduleException.objects.filter(
            doctor=doctor, starts_at__lt=window_end, ends_at__gt=window_start
        ).select_related("clinic")
    )
    time_off = [e for e in exceptions if e.kind != ExceptionKind.EXTRA_HOURS]

    planned: list[PlannedSlot] = []
    for rule in rules:
        planned.extend(_slots_from_rule(rule, first, last))
    for extra in exceptions:
        if extra.kind == ExceptionKind.EXTRA_HOURS:
            planned.extend(_slots_from_extra_hours(extra, first, last))

    planned = [s for s in planned if not _overlaps_time_off(s, time_off)]
    return _without_overlaps(planned)


def _slots_from_rule(rule: ScheduleRule, first: date, last: date) -> list[PlannedSlot]:
    clinic: Clinic = rule.clinic
    tz = clinic.tz
    closures = list(clinic.closures.all())
    hours_by_weekday: dict[int, list[tuple[int, int]]] = {}
    for hours in clinic.opening_hours.all():
        hours_by_weekday.setdefault(hours.weekday, []).append(
            (_minutes(hours.opens), _minutes(hours.closes))
        )
    breaks = [(_minutes(b.start_time), _minutes(b.end_time)) for b in rule.breaks.all()]
    length = rule.slot_minutes
    begin, end = _minutes(rule.start_time), _minutes(rule.end_time)

    slots = []
    for day in daterange(max(first, rule.valid_from), min(last, rule.valid_until or last)):
        if day.weekday() != rule.weekday or any(c.covers(day) for c in closures):
            continue
        # A clinic without opening hours configured does not restrict its doctors' rules.
        open_intervals = hours_by_weekday.get(day.weekday()) if hours_by_weekday else None
        if hours_by_weekday and not open_intervals:
            continue
        for start_min in range(begin, end - length + 1, length):
            stop_min = start_min + length
            if any(start_min < b_end and b_start < stop_min for b_start, b_end in breaks):
                continue
            if open_intervals is not None and not any(
                o <= start_min and stop_min <= c for o, c in open_intervals
            ):
                continue
            local_start = local_datetime(day, _time(start_min), tz)
            if local_start is None:  # skipped by a daylight-saving jump
                continue
            starts_at = local_start.astimezone(UTC)
            slots.append(
                PlannedSlot(
                    clinic.pk, starts_at, starts_at + timedelta(minutes=length), SlotSource.RULE
                )
            )
    return slots


def _slots_from_extra_hours(extra: ScheduleException, first: date, last: date) -> list[PlannedSlot]:
    tz = extra.clinic.tz
    step = timedelta(minutes=extra.slot_minutes)
    slots = []
    starts_at = extra.starts_at.astimezone(UTC)
    while starts_at + step <= extra.ends_at:
        if first <= starts_at.astimezone(tz).date() <= last:
            slots.append(
                PlannedSlot(extra.clinic_id, starts_at, starts_at + step, SlotSource.EXTRA)
            )
        starts_at += step
    return slots


def _overlaps_time_off(slot: PlannedSlot, time_off: list[ScheduleException]) -> bool:
    return any(
        (off.clinic_id is None or off.clinic_id == slot.clinic_id)
        and off.starts_at < slot.ends_at
        and slot.starts_at < off.ends_at
        for off in time_off
    )


def _without_overlaps(planned: list[PlannedSlot]) -> list[PlannedSlot]:
    """Keep the earliest of overlapping slots (two rules, or extra hours over a rule)."""
    kept: list[PlannedSlot] = []
    for slot in sorted(
        planned, key=lambda s: (s.starts_at, s.source != SlotSource.RULE, s.clinic_id)
    ):
        if kept and slot.starts_at < kept[-1].ends_at:
            continue
        kept.append(slot)
    return kept


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)
