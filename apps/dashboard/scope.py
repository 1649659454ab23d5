"""What a dashboard page looks at: which clinics, which local dates, which periods.

Every metric takes a ``Scope`` and returns plain rows. The clinics come already limited to
what the viewer may see (``permissions.dashboard_clinics``); the dates are calendar days
in each clinic's own zone, both ends included.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import DateField, Q, QuerySet
from django.db.models.functions import Trunc
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.bookings.models import Booking, BookingStatus
from apps.clinics.models import Clinic
from apps.dashboard.expressions import LocalDate
from apps.payments.models import PaymentStatus

#: Statuses that never became a booking: a hold that lapsed or whose payment failed.
FELL_THROUGH = (BookingStatus.EXPIRED, BookingStatus.PAYMENT_FAILED)
#: Statuses of a booking that stood at its time (the visit was due): billable.
KEPT = (
    BookingStatus.CONFIRMED,
    BookingStatus.CHECKED_IN,
    BookingStatus.COMPLETED,
    BookingStatus.NO_SHOW,
)
ATTENDED = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
#: Zones reach from UTC-12 to UTC+14: a local day lies within a day either side in UTC.
_ZONE_SLACK = timedelta(days=1)


class Granularity:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    CHOICES = (DAY, WEEK, MONTH)


@dataclass(frozen=True)
class Scope:
    clinics: QuerySet[Clinic]
    date_from: date
    date_to: date
    granularity: str = Granularity.DAY

    @property
    def utc_window(self) -> tuple[datetime, datetime]:
        """A UTC range that surely holds every local day of the scope (index friendly);
        the exact cut is the local-date filter."""
        start = datetime.combine(self.date_from, time.min, tzinfo=UTC)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=UTC)
        return start - _ZONE_SLACK, end + _ZONE_SLACK

    def period_of(self, local_date_expression):
        """The period (its first day) a local date falls in, as a database expression."""
        if self.granularity == Granularity.DAY:
            return local_date_expression
        return Trunc(local_date_expression, self.granularity, output_field=DateField())

    def periods(self) -> list[date]:
        """The first day of each period from ``date_from`` to ``date_to`` (for empty ones)."""
        first = period_start(self.date_from, self.granularity)
        result = []
        while first <= self.date_to:
            result.append(first)
            first = next_period(first, self.granularity)
        return result

    def period_label(self, first: date) -> str:
        if self.granularity == Granularity.MONTH:
            return date_format(first, "YEAR_MONTH_FORMAT")
        if self.granularity == Granularity.WEEK:
            return _("Week of %(day)s") % {"day": date_format(first, "MONTH_DAY_FORMAT")}
        return date_format(first, "MONTH_DAY_FORMAT")

    def period_short_label(self, first: date) -> str:
        """For chart axes: "7 Nov" (a day, or the Monday of a week), "Nov 2026"."""
        if self.granularity == Granularity.MONTH:
            return date_format(first, "M Y")
        return date_format(first, "j M")

    def bookings(self) -> QuerySet[Booking]:
        """Bookings at the scope's clinics whose visit falls on a local day in range, with
        ``local_day`` and ``period`` annotated. Fallen-through holds are left out."""
        low, high = self.utc_window
        return (
            Booking.objects.filter(clinic__in=self.clinics, starts_at__gte=low, starts_at__lt=high)
            .exclude(status__in=FELL_THROUGH)
            .annotate(local_day=LocalDate("starts_at", "clinic__timezone"))
            .filter(local_day__gte=self.date_from, local_day__lte=self.date_to)
            .annotate(period=self.period_of(LocalDate("starts_at", "clinic__timezone")))
        )


def period_start(day: date, granularity: str) -> date:
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def next_period(first: date, granularity: str) -> date:
    if granularity == Granularity.WEEK:
        return first + timedelta(days=7)
    if granularity == Granularity.MONTH:
        return (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first + timedelta(days=1)


def billable() -> Q:
    """Bookings that earn their price: kept ones, and cancelled ones whose payment went
    through (what was given back is in the refunds)."""
    return Q(status__in=KEPT) | Q(
        status=BookingStatus.CANCELLED, payment__status=PaymentStatus.SUCCEEDED
    )
