"""Time helpers: the database stores UTC, people see the clinic's local time."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. Europe/Berlin).")


def local_datetime(day: date, at: time, tz: ZoneInfo) -> datetime | None:
    """The aware instant of wall-clock ``at`` on ``day`` in ``tz``.

    Returns None when that wall time does not exist (the hour skipped when clocks go
    forward). In the repeated hour when clocks go back, the first occurrence is used.
    """
    candidate = datetime.combine(day, at, tzinfo=tz)
    round_trip = candidate.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None):
        return None
    return candidate


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The half-open instant range [start, end) of a local calendar day (23 to 25 hours)."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    return start, end


def daterange(first: date, last: date):
    """Each date from ``first`` to ``last`` inclusive."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)
