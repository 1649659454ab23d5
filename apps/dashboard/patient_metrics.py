"""Patient figures: new against returning patients, and who the patients are (age band,
sex). Patients are counted once per period however many bookings they made."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Case, CharField, Count, F, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Sex, User
from apps.bookings.models import Booking
from apps.dashboard.expressions import LocalDate
from apps.dashboard.scope import FELL_THROUGH, Scope


@dataclass(frozen=True)
class PeriodPatients:
    period: date
    label: str
    patients: int
    new: int

    @property
    def returning(self) -> int:
        return self.patients - self.new


def new_vs_returning(scope: Scope) -> list[PeriodPatients]:
    """A patient is new in the period of their first booking ever at the scope's clinics
    (fallen-through holds aside), and returning in every later period they book in."""
    first_day = Subquery(
        Booking.objects.filter(patient=OuterRef("patient"), clinic__in=scope.clinics)
        .exclude(status__in=FELL_THROUGH)
        .order_by("starts_at", "pk")
        .annotate(day=LocalDate("starts_at", "clinic__timezone"))
        .values("day")[:1]
    )
    rows = (
        scope.bookings()
        .annotate(first_day=first_day)
        .values("period")
        .annotate(
            patients=Count("patient", distinct=True),
            new=Count("patient", distinct=True, filter=Q(first_day__gte=F("period"))),
        )
        .order_by()
    )
    by_period = {row["period"]: row for row in rows}
    return [
        PeriodPatients(
            period=first,
            label=scope.period_label(first),
            patients=by_period.get(first, {}).get("patients", 0),
            new=by_period.get(first, {}).get("new", 0),
        )
        for first in scope.periods()
    ]


#: (label, youngest age in the band); ages on the last day of the range.
AGE_BANDS = (
    ("0-17", 0),
    ("18-29", 18),
    ("30-44", 30),
    ("45-64", 45),
    ("65+", 65),
)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class DemographicCell:
    key: str
    label: str
    patients: int


@dataclass(frozen=True)
class Demographics:
    age_bands: list[DemographicCell]
    sexes: list[DemographicCell]
    patients: int


def _born_by(day: date, years: int) -> date:
    """The latest birth date of someone at least ``years`` old on ``day`` (29 February
    birthdays fall on 28 February in common years)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def demographics(scope: Scope) -> Demographics:
    """The distinct patients who booked in range, by age band (age on ``date_to``) and sex,
    from their patient profile; no profile or no birth date is "unknown"."""
    on = scope.date_to
    bands = [
        When(patient_profile__date_of_birth__lte=_born_by(on, youngest), then=Value(label))
        for label, youngest in reversed(AGE_BANDS)
    ]
    rows = (
        User.objects.filter(pk__in=scope.bookings().values("patient"))
        .annotate(
            band=Case(
                When(patient_profile__date_of_birth__isnull=True, then=Value(UNKNOWN)),
                *bands,
                default=Value(UNKNOWN),
                output_field=CharField(),
            ),
            sex=Case(
                When(patient_profile__isnull=True, then=Value(Sex.UNDISCLOSED)),
                default=F("patient_profile__sex"),
                output_field=CharField(),
            ),
        )
        .values("band", "sex")
        .annotate(patients=Count("pk"))
        .order_by()
    )
    band_counts: dict[str, int] = {}
    sex_counts: dict[str, int] = {}
    for row in rows:  # at most bands × sexes rows, already counted by the database
        band_counts[row["band"]] = band_counts.get(row["band"], 0) + row["patients"]
        sex_counts[row["sex"]] = sex_counts.get(row["sex"], 0) + row["patients"]
    age_labels = [(label, label) for label, _youngest in AGE_BANDS] + [(UNKNOWN, _("Unknown"))]
    return Demographics(
        age_bands=[
            DemographicCell(key, str(label), band_counts.get(key, 0)) for key, label in age_labels
        ],
        sexes=[
            DemographicCell(value, str(label), sex_counts.get(value, 0))
            for value, label in Sex.choices
        ],
        patients=sum(band_counts.values()),
    )
