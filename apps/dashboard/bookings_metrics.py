"""Booking figures: volume over time, cancellations and no-shows, lead time, top services
and doctors, doctor utilisation. One query per figure (two for utilisation), whatever
the number of bookings; Python only fills empty periods and joins aggregated rows."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Avg, Case, Count, DurationField, F, Q, Sum, Value, When
from django.db.models import ExpressionWrapper as Wrap
from django.db.models.expressions import Window
from django.db.models.functions import Rank
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import OCCUPYING_STATUSES, BookingStatus
from apps.dashboard.expressions import LocalDate
from apps.dashboard.scope import ATTENDED, Scope, billable
from apps.timeslots.models import Slot, SlotStatus

TOP_LIMIT = 10


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Totals:
    """Booking counts and their rates, for a period or for the whole range."""

    bookings: int
    attended: int
    cancelled: int
    no_shows: int

    @property
    def cancellation_rate(self) -> float | None:
        """Cancelled among all bookings."""
        return _rate(self.cancelled, self.bookings)

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among the visits that came due and were not cancelled (attended or not)."""
        return _rate(self.no_shows, self.attended + self.no_shows)


@dataclass(frozen=True)
class PeriodBookings(Totals):
    period: object
    label: str
    running_total: int


def bookings_over_time(scope: Scope) -> list[PeriodBookings]:
    rows = (
        scope.bookings()
        .values("period")
        .annotate(
            bookings=Count("pk"),
            attended=Count("pk", filter=Q(status__in=ATTENDED)),
            cancelled=Count("pk", filter=Q(status=BookingStatus.CANCELLED)),
            no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
        )
        .order_by("period")
    )
    by_period = {row["period"]: row for row in rows}
    result, running = [], 0
    for first in scope.periods():
        row = by_period.get(first, {})
        running += row.get("bookings", 0)
        result.append(
            PeriodBookings(
                period=first,
                label=scope.period_label(first),
                bookings=row.get("bookings", 0),
                attended=row.get("attended", 0),
                cancelled=row.get("cancelled", 0),
                no_shows=row.get("no_shows", 0),
                running_total=running,
            )
        )
    return result


def totals(rows: list[PeriodBookings]) -> Totals:
    """The sum of the period rows (already aggregated by the database)."""
    return Totals(
        bookings=sum(r.bookings for r in rows),
        attended=sum(r.attended for r in rows),
        cancelled=sum(r.cancelled for r in rows),
        no_shows=sum(r.no_shows for r in rows),
    )


# --- Lead time ------------------------------------------------------------------------------

#: (label, lower bound included); each bucket ends where the next starts.
LEAD_BUCKETS = (
    (_("Under 1 day"), timedelta(0)),
    (_("1 to 2 days"), timedelta(days=1)),
    (_("3 to 7 days"), timedelta(days=3)),
    (_("8 to 14 days"), timedelta(days=8)),
    (_("15 to 30 days"), timedelta(days=15)),
    (_("Over 30 days"), timedelta(days=31)),
)


@dataclass(frozen=True)
class LeadBucket:
    label: str
    bookings: int


@dataclass(frozen=True)
class LeadTime:
    buckets: list[LeadBucket]
    average: timedelta | None


def lead_time(scope: Scope) -> LeadTime:
    """Time from making a booking to its visit. A booking written up after its start (a
    walk-in recorded late) counts as zero."""
    lead = Wrap(F("starts_at") - F("created_at"), output_field=DurationField())
    clamped = Case(
        When(lead__lt=timedelta(0), then=Value(timedelta(0))),
        default=F("lead"),
        output_field=DurationField(),
    )
    aggregates = {"average": Avg(clamped, output_field=DurationField())}
    for index, (_label, lower) in enumerate(LEAD_BUCKETS):
        condition = Q() if index == 0 else Q(lead__gte=lower)
        if index + 1 < len(LEAD_BUCKETS):
            condition &= Q(lead__lt=LEAD_BUCKETS[index + 1][1])
        aggregates[f"bucket_{index}"] = Count("pk", filter=condition)
    row = scope.bookings().annotate(lead=lead).aggregate(**aggregates)
    buckets = [
        LeadBucket(label=str(label), bookings=row[f"bucket_{index}"])
        for index, (label, _lower) in enumerate(LEAD_BUCKETS)
    ]
    return LeadTime(buckets=buckets, average=row["average"])


# --- Top services and doctors ---------------------------------------------------------------


@dataclass(frozen=True)
class TopService:
    rank: int
    service: str
    clinic: str
    bookings: int
    attended: int
    revenue_minor: int
    currency: str


def top_services(scope: Scope, limit: int = TOP_LIMIT) -> list[TopService]:
    """Services by number of bookings; revenue is what their billable bookings charged
    after reductions, in the clinic's currency (a service belongs to one clinic)."""
    rows = (
        scope.bookings()
        .values("service", "service__name", "clinic__name", "currency")
        .annotate(
            bookings=Count("pk"),
            attended=Count("pk", filter=Q(status__in=ATTENDED)),
            revenue=Sum("price_total_minor", filter=billable(), default=0),
            rank=Window(Rank(), order_by=Count("pk").desc()),
        )
        .order_by("rank", "service__name", "service")[:limit]
    )
    return [
        TopService(
            rank=row["rank"],
            service=row["service__name"],
            clinic=row["clinic__name"],
            bookings=row["bookings"],
            attended=row["attended"],
            revenue_minor=row["revenue"],
            currency=row["currency"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class TopDoctor:
    rank: int
    doctor: str
    bookings: int
    attended: int
    no_shows: int


def _doctor_name(row: dict, prefix: str = "doctor__") -> str:
    parts = (
        row[f"{prefix}title"],
        row[f"{prefix}user__first_name"],
        row[f"{prefix}user__last_name"],
    )
    return " ".join(part for part in parts if part)


_DOCTOR_NAME_FIELDS = ("doctor__title", "doctor__user__first_name", "doctor__user__last_name")


def top_doctors(scope: Scope, limit: int = TOP_LIMIT) -> list[TopDoctor]:
    """Doctors by number of bookings across the scope's clinics (no money here: a doctor
    may work at clinics with different currencies)."""
    rows = (
        scope.bookings()
        .values("doctor", *_DOCTOR_NAME_FIELDS)
        .annotate(
            bookings=Count("pk"),
            attended=Count("pk", filter=Q(status__in=ATTENDED)),
            no_shows=Count("pk", filter=Q(status=BookingStatus.NO_SHOW)),
            rank=Window(Rank(), order_by=Count("pk").desc()),
        )
        .order_by("rank", "doctor__user__last_name", "doctor")[:limit]
    )
    return [
        TopDoctor(
            rank=row["rank"],
            doctor=_doctor_name(row),
            bookings=row["bookings"],
            attended=row["attended"],
            no_shows=row["no_shows"],
        )
        for row in rows
    ]


# --- Utilisation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Utilisation:
    doctor: str
    clinic: str
    offered_minutes: int
    booked_minutes: int

    @property
    def rate(self) -> float | None:
        return _rate(self.booked_minutes, self.offered_minutes)


def _minutes(value: timedelta | None) -> int:
    return int(value.total_seconds() // 60) if value else 0


def doctor_utilisation(scope: Scope) -> list[Utilisation]:
    """Booked minutes against offered minutes, per doctor and clinic.

    Offered: open slots (blocked ones are not on offer) starting on a local day in range.
    Booked: visits (start to end, buffers not counted) of bookings that hold the doctor's
    time, i.e. not cancelled and not fallen through, on the same days.
    """
    low, high = scope.utc_window
    length = Wrap(F("ends_at") - F("starts_at"), output_field=DurationField())
    offered = (
        Slot.objects.filter(
            clinic__in=scope.clinics,
            status=SlotStatus.OPEN,
            starts_at__gte=low,
            starts_at__lt=high,
        )
        .annotate(local_day=LocalDate("starts_at", "clinic__timezone"))
        .filter(local_day__gte=scope.date_from, local_day__lte=scope.date_to)
        .values("doctor", "clinic", "clinic__name", *_DOCTOR_NAME_FIELDS)
        .annotate(minutes=Sum(length))
        .order_by()
    )
    booked = (
        scope.bookings()
        .filter(status__in=OCCUPYING_STATUSES)
        .values("doctor", "clinic", "clinic__name", *_DOCTOR_NAME_FIELDS)
        .annotate(minutes=Sum(length))
        .order_by()
    )
    rows: dict[tuple, dict] = {}
    for source, key in ((offered, "offered"), (booked, "booked")):
        for row in source:
            entry = rows.setdefault((row["doctor"], row["clinic"]), {**row, "offered": None})
            entry[key] = row["minutes"]
    result = [
        Utilisation(
            doctor=_doctor_name(row),
            clinic=row["clinic__name"],
            offered_minutes=_minutes(row.get("offered")),
            booked_minutes=_minutes(row.get("booked")),
        )
        for row in rows.values()
    ]
    return sorted(result, key=lambda u: (-(u.rate or 0), u.doctor, u.clinic))
