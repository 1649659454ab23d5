"""Reads for the patient pages: search results and a doctor's week."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby

from django.db.models import Prefetch, Q

from apps.bookings.models import Booking
from apps.bookings.selectors import Candidate, slot_first_bookable, slot_list_bookable
from apps.clinics.models import Clinic, ServiceOffering
from apps.core.money import Money
from apps.doctors.models import Doctor
from apps.reviews.selectors import with_doctor_rating
from apps.timeslots.models import Slot

#: How far ahead search results look for a doctor's next free time.
SEARCH_DAYS = 21


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    where: str = ""
    on_date: date | None = None
    specialty: str = ""
    language: str = ""
    clinic_id: int | None = None
    sort: str = "soonest"
    available_only: bool = False


@dataclass
class DoctorResult:
    """A doctor at one clinic, with the services that matched and the next free time."""

    doctor: Doctor
    clinic: Clinic
    services: list[ServiceOffering] = field(default_factory=list)
    next_slot: Slot | None = None

    @property
    def service(self) -> ServiceOffering:
        """The service the next free time is for: the shortest, then the cheapest."""
        return min(self.services, key=lambda s: (s.duration_minutes, s.price_minor, s.pk))

    @property
    def rating_average(self) -> float | None:
        """The doctor's average over their published reviews (annotated by the search)."""
        return getattr(self.doctor, "rating_average", None)

    @property
    def rating_count(self) -> int:
        return getattr(self.doctor, "rating_count", 0)

    @property
    def price_from(self) -> Money:
        return Money(min(s.price_minor for s in self.services), self.clinic.currency)

    @property
    def price_to(self) -> Money:
        return Money(max(s.price_minor for s in self.services), self.clinic.currency)


def doctor_search(query: SearchQuery, *, now: datetime) -> list[DoctorResult]:
    """Doctors matching ``query``, one result per clinic they work at, sorted as asked.

    A bounded number of queries whatever the number of results: services with their
    clinics, the matching doctors with names, ratings (annotated in the same query),
    specialties and languages, then two per time zone for the next free times.
    """
    doctors = Doctor.objects.active().select_related("user")
    if query.specialty:
        doctors = doctors.filter(
            pk__in=Doctor.objects.filter(specialties__slug=query.specialty).values("pk")
        )
    if query.language:
        doctors = doctors.filter(
            pk__in=Doctor.objects.filter(languages__code=query.language).values("pk")
        )
    doctors = doctors.prefetch_related("specialties", "languages")
    services = ServiceOffering.objects.active().select_related("clinic", "category")
    if query.where:
        services = services.filter(
            Q(clinic__city__icontains=query.where) | Q(clinic__name__icontains=query.where)
        )
    if query.clinic_id:
        services = services.filter(clinic_id=query.clinic_id)
    services = services.filter(doctors__in=doctors.values("pk")).distinct()
    rated = with_doctor_rating(doctors)
    services = services.prefetch_related(Prefetch("doctors", rated, to_attr="matching"))

    results: dict[tuple[int, int], DoctorResult] = {}
    for service in services.order_by("price_minor", "pk"):
        for doctor in service.matching:
            if not _matches_text(query.text, service, doctor):
                continue
            key = (doctor.pk, service.clinic_id)
            if key not in results:
                results[key] = DoctorResult(doctor=doctor, clinic=service.clinic)
            results[key].services.append(service)

    _attach_next_slots(list(results.values()), on_date=query.on_date, now=now)
    found = [r for r in results.values() if r.next_slot or not query.available_only]
    return sorted(found, key=_SORTS.get(query.sort, _SORTS["soonest"]))


def _matches_text(text: str, service: ServiceOffering, doctor: Doctor) -> bool:
    if not text:
        return True
    needle = text.casefold().strip()
    haystack = [
        service.name,
        service.category.name,
        doctor.user.first_name,
        doctor.user.last_name,
        doctor.display_name,
        *(s.name for s in doctor.specialties.all()),
    ]
    return any(needle in value.casefold() for value in haystack)


def _attach_next_slots(results: list[DoctorResult], *, on_date: date | None, now: datetime):
    # Each clinic's day starts at its own midnight: ask once per time zone.
    by_zone = sorted(results, key=lambda r: r.clinic.timezone)
    for _zone, group in groupby(by_zone, key=lambda r: r.clinic.timezone):
        group = list(group)
        tz = group[0].clinic.tz
        start = datetime.combine(on_date, time.min, tzinfo=tz) if on_date else now
        start = max(start, now)
        found = slot_first_bookable(
            [Candidate(r.doctor.pk, r.clinic, r.service) for r in group],
            window_start=start,
            window_end=start + timedelta(days=SEARCH_DAYS),
            now=now,
        )
        for result in group:
            result.next_slot = found.get((result.doctor.pk, result.clinic.pk))


_NEVER = datetime.max.replace(tzinfo=UTC)
_SORTS = {
    "soonest": lambda r: (
        r.next_slot.starts_at if r.next_slot else _NEVER,
        r.doctor.user.last_name,
    ),
    "price": lambda r: (r.price_from.amount_minor, r.doctor.user.last_name),
    "name": lambda r: (r.doctor.user.last_name, r.doctor.user.first_name, r.clinic.name),
    # Best average first, more reviews first among equals; doctors without reviews last.
    "rating": lambda r: (
        r.rating_average is None,
        -(r.rating_average or 0),
        -r.rating_count,
        r.doctor.user.last_name,
    ),
}


# --- A doctor's week ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    date: date
    slots: list[Slot]


@dataclass(frozen=True)
class Week:
    start: date
    days: list[Day]

    @property
    def slot_count(self) -> int:
        return sum(len(d.slots) for d in self.days)

    def day(self, wanted: date | None) -> Day:
        """The asked-for day of this week, else the first with free times, else the first."""
        for candidate in self.days:
            if candidate.date == wanted:
                return candidate
        return next((d for d in self.days if d.slots), self.days[0])


def doctor_week(
    *, doctor: Doctor, clinic: Clinic, service: ServiceOffering, start: date, now: datetime
) -> Week:
    """The bookable slots of seven local days from ``start``, grouped by local date."""
    tz = clinic.tz
    window_start = datetime.combine(start, time.min, tzinfo=tz)
    window_end = datetime.combine(start + timedelta(days=7), time.min, tzinfo=tz)
    slots = slot_list_bookable(
        doctor_id=doctor.pk,
        clinic=clinic,
        service=service,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )
    by_day: dict[date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.starts_at.astimezone(tz).date(), []).append(slot)
    days = [start + timedelta(days=i) for i in range(7)]
    return Week(start=start, days=[Day(d, by_day.get(d, [])) for d in days])


def doctor_next_free(
    *, doctor: Doctor, clinic: Clinic, service: ServiceOffering, after: datetime, now: datetime
) -> Slot | None:
    """The doctor's next bookable slot after ``after`` (to jump past an empty week)."""
    found = slot_first_bookable(
        [Candidate(doctor.pk, clinic, service)],
        window_start=max(after, now),
        window_end=now + timedelta(days=clinic.max_advance_days),
        now=now,
    )
    return found.get((doctor.pk, clinic.pk))


def alternatives_near(
    *,
    doctor_id: int,
    clinic: Clinic,
    service: ServiceOffering,
    wanted: datetime,
    now: datetime,
    patient=None,
    moving_booking_id: int | None = None,
) -> list[Slot]:
    """Up to six bookable slots closest in time to ``wanted``, in time order.

    With ``patient``, times that clash with the patient's own appointments are left out:
    offering them would only lead to "you already have an appointment at this time".
    A booking being moved (``moving_booking_id``) does not clash with itself.
    """
    window_start, window_end = wanted - timedelta(days=3), wanted + timedelta(days=10)
    slots = slot_list_bookable(
        doctor_id=doctor_id,
        clinic=clinic,
        service=service,
        window_start=window_start,
        window_end=window_end,
        now=now,
    )
    if patient is not None:
        own = list(
            Booking.objects.occupying()
            .filter(patient=patient, starts_at__lt=window_end + timedelta(days=1))
            .filter(ends_at__gt=window_start)
            .exclude(pk=moving_booking_id)
            .values_list("starts_at", "ends_at")
        )
        length = timedelta(minutes=service.duration_minutes)
        slots = [
            s
            for s in slots
            if not any(start < s.starts_at + length and s.starts_at < end for start, end in own)
        ]
    nearest = sorted(slots, key=lambda s: abs(s.starts_at - wanted))[:6]
    return sorted(nearest, key=lambda s: s.starts_at)
