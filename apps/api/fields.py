from datetime import UTC, date, datetime, time

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

#: What AwareDateTimeField takes, for the schema.
INSTANT_SCHEMA = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]
}


@extend_schema_field(INSTANT_SCHEMA)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 instant with its offset (``2026-11-24T09:00:00+01:00`` or ``…Z``), or a
    date (``2026-11-24``, meaning 00:00 UTC). A time without an offset is refused: it would
    mean a different instant in every clinic."""

    default_error_messages = {
        "invalid": _(
            "Use an ISO 8601 date (2026-11-24) or date and time with an offset "
            "(2026-11-24T09:00:00+01:00)."
        ),
        "naive": _("Add a time zone offset, e.g. 2026-11-24T09:00:00Z or +01:00."),
    }

    def to_internal_value(self, value) -> datetime:
        if not isinstance(value, str) or len(value) > 40:
            self.fail("invalid")
        try:
            # A bare date first: parse_datetime would read it as a naive midnight.
            day = parse_date(value) if len(value) == 10 else None
            parsed = None if day else parse_datetime(value)
        except ValueError:
            self.fail("invalid")
        if isinstance(day, date):
            return datetime.combine(day, time.min, tzinfo=UTC)
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            # Within a day of the calendar's ends (0001-01-01T00:00+05:00 is before the first
            # instant in UTC): as a bound that means "from the beginning" or "to the end".
            if parsed.year == 1:
                return datetime.min.replace(tzinfo=UTC)
            return datetime.max.replace(tzinfo=UTC)

    def to_representation(self, value) -> str:
        return value.isoformat()
