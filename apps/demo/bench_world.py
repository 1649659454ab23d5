"""A scale world for the benchmarks in bench/: many clinics, doctors, slots and bookings.

Built with bulk inserts (PostgreSQL ``COPY`` for slots, bookings and their events), not
through the services: two million slots through ``slots_generate`` would take hours. The
rows still satisfy every constraint, and the database checks it: the unique and exclusion
constraints and the indexes of the two big tables are dropped for the load and created
again afterwards, which validates every row at once (and is several times faster than
keeping them up to date row by row, as pg_restore does).

How the data stays valid by construction:

- slots are a 20-minute grid in each clinic's zone; every zone has a whole-hour offset,
  so all slots lie on one 20-minute grid in UTC and two slots overlap only if they start
  together;
- a booking covers one slot (the 20-minute service) or two contiguous ones (the
  40-minute service) of an open slot run, without buffers, so one doctor's bookings
  never overlap;
- each patient's occupied grid cells are tracked, so no patient has two visits at once;
- prices carry no reductions: total = base.
"""

import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import PatientProfile, User
from apps.accounts.roles import Role
from apps.bookings.models import OCCUPYING_STATUSES, BookingStatus, EventKind
from apps.clinics.models import Clinic, ClinicMembership, ServiceCategory, ServiceOffering
from apps.doctors.models import Doctor, Specialty
from apps.timeslots.models import ScheduleRule

#: The slug of the first bench clinic: its presence means the world is built.
MARKER_SLUG = "bench-clinic-1"
#: Bench patients and doctors have addresses here (a reserved domain: never delivered).
EMAIL_DOMAIN = "bench.invalid"
#: Bench logins never sign in.
UNUSABLE = UNUSABLE_PASSWORD_PREFIX + "bench"
SLOT_MINUTES = 20
DAY_START = time(8, 0)
SLOTS_PER_DAY = 26  # 08:00 to 16:40, last one ends 17:00
# Whole-hour offsets only (see the module docstring).
ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "Asia/Tokyo",
    "Australia/Sydney",
]
CURRENCY = {"Europe/London": "GBP", "America/New_York": "USD", "America/Chicago": "USD"}
SPECIALTIES = [
    ("general-practice", "General practice"),
    ("dermatology", "Dermatology"),
    ("cardiology", "Cardiology"),
    ("paediatrics", "Paediatrics"),
    ("gynaecology", "Gynaecology"),
    ("orthopaedics", "Orthopaedics"),
]
# name, minutes, price in minor units. World bookings use the first two; the race for
# overlapping visits in bench/contention.py uses all three.
SERVICES = [("Consultation", 20, 4500), ("Long consultation", 40, 8000), ("Check-up", 60, 12000)]


@dataclass(frozen=True)
class Scale:
    clinics: int
    doctors: int
    days: int
    bookings: int
    patients: int


SCALES = {
    "full": Scale(clinics=50, doctors=1000, days=90, bookings=200_000, patients=20_000),
    "small": Scale(clinics=3, doctors=12, days=14, bookings=400, patients=60),
}


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def world_exists() -> bool:
    return Clinic.objects.filter(slug=MARKER_SLUG).exists()


def build(scale: Scale, *, seed: int = 1, today: date | None = None, log=print) -> Report:
    """Build the world in one transaction. PostgreSQL only (COPY)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The bench world needs PostgreSQL.")
    rng = random.Random(seed)
    today = today or timezone.now().date()
    first_day = today - timedelta(days=scale.days // 2)
    report = Report()
    clock = _Clock(report, log)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        with clock("catalogue, clinics, doctors"):
            clinics, services = _clinics(scale, rng)
            doctors = _doctors(scale, rng, clinics, services, first_day)
        with clock("patients"):
            patients = _patients(scale, rng)
        with clock("slots"):
            slots = _slots(scale, rng, clinics, doctors, first_day)
        with clock("bookings"):
            booked = _bookings(scale, rng, slots, patients, services)
        report.counts.update(
            clinics=len(clinics), doctors=len(doctors), patients=len(patients),
            slots=len(slots.ids), bookings=booked,
        )  # fmt: skip
        with clock("analyze"), connection.cursor() as cursor:
            for table in ("timeslots_slot", "bookings_booking", "bookings_bookingevent"):
                cursor.execute(f"ANALYZE {table}")
    return report


class _Clock:
    def __init__(self, report: Report, log):
        self.report, self.log = report, log

    @contextmanager
    def __call__(self, what: str) -> Iterator[None]:
        started = timezone.now()
        yield
        seconds = (timezone.now() - started).total_seconds()
        self.report.seconds[what] = round(seconds, 2)
        self.log(f"  {what}: {seconds:.1f} s")


# --- Clinics, services, doctors -----------------------------------------------------------------


def _clinics(scale: Scale, rng: random.Random):
    category, _ = ServiceCategory.objects.get_or_create(
        slug="consultation", defaults={"name": "Consultation"}
    )
    clinics = Clinic.objects.bulk_create(
        Clinic(
            name=f"Bench Clinic {i}",
            slug=f"bench-clinic-{i}",
            address=f"{i} Bench Street",
            city=f"Bench City {i % 10}",
            country="DE",
            timezone=ZONES[i % len(ZONES)],
            currency=CURRENCY.get(ZONES[i % len(ZONES)], "EUR"),
            max_advance_days=scale.days,
        )
        for i in range(1, scale.clinics + 1)
    )
    services = ServiceOffering.objects.bulk_create(
        ServiceOffering(
            clinic=clinic, category=category, name=name, duration_minutes=minutes, price_minor=price
        )
        for clinic in clinics
        for name, minutes, price in SERVICES
    )
    by_clinic: dict[int, list[ServiceOffering]] = {}
    for service in services:
        by_clinic.setdefault(service.clinic_id, []).append(service)
    return clinics, by_clinic


def _doctors(scale, rng, clinics, services, first_day) -> list[tuple[Doctor, Clinic]]:
    specialties = []
    for slug, name in SPECIALTIES:
        specialty, _ = Specialty.objects.get_or_create(slug=slug, defaults={"name": name})
        specialties.append(specialty)
    users = User.objects.bulk_create(
        (
            User(
                email=f"bench-doctor-{i}@{EMAIL_DOMAIN}",
                first_name=f"Doc{i}",
                last_name=f"Bench{i}",
                role=Role.DOCTOR,
                is_staff=True,
                password=UNUSABLE,
            )
            for i in range(1, scale.doctors + 1)
        ),
        batch_size=2000,
    )
    doctors = Doctor.objects.bulk_create(
        (Doctor(user=user, slug=f"bench-doctor-{user.pk}") for user in users), batch_size=2000
    )
    placed = [(doctor, clinics[i % len(clinics)]) for i, doctor in enumerate(doctors)]
    Doctor.specialties.through.objects.bulk_create(
        (
            Doctor.specialties.through(doctor=doctor, specialty=specialties[i % len(specialties)])
            for i, doctor in enumerate(doctors)
        ),
        batch_size=5000,
    )
    Doctor.services.through.objects.bulk_create(
        (
            Doctor.services.through(doctor=doctor, serviceoffering=service)
            for doctor, clinic in placed
            for service in services[clinic.pk]
        ),
        batch_size=5000,
    )
    ClinicMembership.objects.bulk_create(
        (ClinicMembership(user=d.user, clinic=c, role=Role.DOCTOR) for d, c in placed),
        batch_size=5000,
    )
    ScheduleRule.objects.bulk_create(
        (
            ScheduleRule(
                doctor=doctor,
                clinic=clinic,
                weekday=weekday,
                start_time=DAY_START,
                end_time=time(17, 0),
                slot_minutes=SLOT_MINUTES,
                valid_from=first_day,
            )
            for doctor, clinic in placed
            for weekday in range(6)
        ),
        batch_size=5000,
    )
    return placed


def _patients(scale: Scale, rng: random.Random) -> list[int]:
    users = User.objects.bulk_create(
        (
            User(
                email=f"bench-patient-{i}@{EMAIL_DOMAIN}",
                first_name=f"Pat{i}",
                last_name=f"Bench{i}",
                password=UNUSABLE,
            )
            for i in range(1, scale.patients + 1)
        ),
        batch_size=2000,
    )
    sexes = ["female", "male", "female", "male", "other", "undisclosed"]
    PatientProfile.objects.bulk_create(
        (
            PatientProfile(
                user=user,
                sex=rng.choice(sexes),
                # Ages 0 to 90, and a few without a date of birth.
                date_of_birth=None
                if rng.random() < 0.03
                else date(1936, 1, 1) + timedelta(days=rng.randrange(90 * 365)),
            )
            for user in users
        ),
        batch_size=2000,
    )
    return [user.pk for user in users]


# --- Slots --------------------------------------------------------------------------------------


@dataclass
class _Slots:
    """Parallel arrays of the slots written, in (doctor, start) order."""

    ids: list[int] = field(default_factory=list)
    doctor: list[int] = field(default_factory=list)
    clinic: list[int] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)
    open: list[bool] = field(default_factory=list)


def _slots(scale, rng, clinics, doctors, first_day) -> _Slots:
    slots = _Slots()
    next_id = _next_id("timeslots_slot")
    step = timedelta(minutes=SLOT_MINUTES)
    created = timezone.now().isoformat()
    # Each clinic's day starts, computed once: (UTC start of 08:00 local) per day.
    day_starts: dict[int, list[datetime]] = {}
    for clinic in clinics:
        zone = ZoneInfo(clinic.timezone)
        starts = []
        for offset in range(scale.days):
            day = first_day + timedelta(days=offset)
            if day.weekday() == 6:  # closed on Sundays
                continue
            starts.append(datetime.combine(day, DAY_START, tzinfo=zone).astimezone(UTC))
        day_starts[clinic.pk] = starts
    buffer = io.StringIO()
    with _bulk_load("timeslots_slot"), connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY timeslots_slot (id, doctor_id, clinic_id, starts_at, ends_at, status, source,"
            " block_reason, created_at) FROM STDIN"
        ) as copy:
            for doctor, clinic in doctors:
                for day_start in day_starts[clinic.pk]:
                    for n in range(SLOTS_PER_DAY):
                        start = day_start + n * step
                        is_open = rng.random() >= 0.01
                        slots.ids.append(next_id)
                        slots.doctor.append(doctor.pk)
                        slots.clinic.append(clinic.pk)
                        slots.starts.append(start)
                        slots.open.append(is_open)
                        buffer.write(
                            f"{next_id}\t{doctor.pk}\t{clinic.pk}\t{start.isoformat()}\t"
                            f"{(start + step).isoformat()}\t"
                            f"{'open' if is_open else 'blocked'}\trule\t"
                            f"{'' if is_open else 'Bench: blocked'}\t{created}\n"
                        )
                        next_id += 1
                if buffer.tell() > 4_000_000:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        _reset_sequence(cursor, "timeslots_slot")
    return slots


# --- Bookings -----------------------------------------------------------------------------------


def _bookings(scale, rng, slots: _Slots, patients: list[int], services) -> int:
    now = timezone.now()
    total = len(slots.ids)
    consultation = {c: s[0] for c, s in services.items()}
    long_consultation = {c: s[1] for c, s in services.items()}
    taken = bytearray(total)  # slot index -> covered by a booking
    busy: dict[int, set[int]] = {}  # patient -> 20-minute UTC grid cells occupied
    references: set[str] = set()
    booking_id = _next_id("bookings_booking")
    event_id = _next_id("bookings_bookingevent")
    step = timedelta(minutes=SLOT_MINUTES)
    written = 0
    bookings_buffer, events_buffer = io.StringIO(), io.StringIO()
    order = rng.sample(range(total), min(total, int(scale.bookings * 1.3) + 10))
    with (
        _bulk_load("bookings_booking"),
        _bulk_load("bookings_bookingevent"),
        connection.cursor() as cursor,
    ):
        raw = cursor.cursor
        with raw.copy(
            "COPY bookings_booking (id, reference, patient_id, doctor_id, clinic_id, service_id,"
            " slot_id, starts_at, ends_at, blocked_from, blocked_until, status,"
            " price_base_minor, price_discount_minor, price_promo_minor, price_total_minor,"
            " currency, patient_notes, hold_expires_at, cancelled_at, cancellation_reason,"
            " created_by_id, created_at, updated_at) FROM STDIN"
        ) as copy:
            for index in order:
                if written >= scale.bookings:
                    break
                if taken[index] or not slots.open[index]:
                    continue
                start = slots.starts[index]
                clinic_id = slots.clinic[index]
                service = consultation[clinic_id]
                cells = 1
                nxt = index + 1
                if (
                    rng.random() < 0.2
                    and nxt < total
                    and slots.doctor[nxt] == slots.doctor[index]
                    and slots.starts[nxt] == start + step
                    and slots.open[nxt]
                    and not taken[nxt]
                ):
                    service, cells = long_consultation[clinic_id], 2
                cell = int(start.timestamp()) // (SLOT_MINUTES * 60)
                wanted = set(range(cell, cell + cells))
                patient = _free_patient(rng, patients, busy, wanted)
                if patient is None:
                    continue
                status, lead = _status_and_lead(rng, start, now)
                occupying = status in OCCUPYING_STATUSES
                if occupying:
                    busy.setdefault(patient, set()).update(wanted)
                    for k in range(cells):
                        taken[index + k] = 1
                else:
                    taken[index] = 1  # keep the world simple: one booking row per slot
                end = start + step * cells
                created = start - lead
                cancelled = created + (start - created) / 2 if not occupying else None
                reference = _reference(rng, references)
                bookings_buffer.write(
                    f"{booking_id}\t{reference}\t{patient}\t{slots.doctor[index]}\t{clinic_id}\t"
                    f"{service.pk}\t{slots.ids[index]}\t{start.isoformat()}\t{end.isoformat()}\t"
                    f"{start.isoformat()}\t{end.isoformat()}\t{status}\t"
                    f"{service.price_minor}\t0\t0\t{service.price_minor}\t"
                    f"{service.clinic.currency}\t\t\\N\t"
                    f"{cancelled.isoformat() if cancelled else chr(92) + 'N'}\t"
                    f"{'Bench: plans changed' if cancelled else ''}\t\\N\t"
                    f"{created.isoformat()}\t{(cancelled or created).isoformat()}\n"
                )
                events_buffer.write(
                    f"{event_id}\t{booking_id}\t{EventKind.REQUESTED}\t{created.isoformat()}"
                    f"\t\\N\t{{}}\n"
                )
                booking_id += 1
                event_id += 1
                written += 1
                if bookings_buffer.tell() > 4_000_000:
                    copy.write(bookings_buffer.getvalue())
                    bookings_buffer = io.StringIO()
            copy.write(bookings_buffer.getvalue())
        with raw.copy(
            "COPY bookings_bookingevent (id, booking_id, kind, at, actor_id, data) FROM STDIN"
        ) as copy:
            copy.write(events_buffer.getvalue())
        _reset_sequence(cursor, "bookings_booking")
        _reset_sequence(cursor, "bookings_bookingevent")
    return written


def _free_patient(rng, patients, busy, wanted: set[int]) -> int | None:
    for _attempt in range(20):
        patient = rng.choice(patients)
        if not busy.get(patient, set()) & wanted:
            return patient
    return None


def _status_and_lead(rng: random.Random, start: datetime, now: datetime):
    """A plausible status for a visit at ``start`` and how long before it was booked."""
    draw = rng.random()
    if start < now:
        lead = timedelta(minutes=rng.randrange(60, 30 * 24 * 60))
        if draw < 0.12:
            return BookingStatus.CANCELLED, lead
        if draw < 0.17:
            return BookingStatus.NO_SHOW, lead
        return BookingStatus.COMPLETED, lead
    # A future visit was booked at some point before now.
    latest = max(int((start - now).total_seconds() // 60), 61)
    lead = timedelta(minutes=rng.randrange(60, latest + 30 * 24 * 60))
    lead = max(lead, start - now + timedelta(minutes=1))
    if draw < 0.12:
        return BookingStatus.CANCELLED, lead
    return BookingStatus.CONFIRMED, lead


_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _reference(rng: random.Random, seen: set[str]) -> str:
    while True:
        chars = "".join(rng.choices(_ALPHABET, k=8))
        reference = f"{chars[:4]}-{chars[4:]}"
        if reference not in seen:
            seen.add(reference)
            return reference


# --- Bulk loading -------------------------------------------------------------------------------


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608 - our names
        return cursor.fetchone()[0]


def _reset_sequence(cursor, table: str) -> None:
    cursor.execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - our names
        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
    )


@contextmanager
def _bulk_load(table: str) -> Iterator[None]:
    """Drop ``table``'s unique, exclusion and foreign-key constraints and its secondary
    indexes, let the caller load rows, then create them all again: building an index once
    is much faster than updating it per row, and re-creating them validates every row."""
    with connection.cursor() as cursor:
        # Deferred foreign-key checks of rows written so far must run before an ALTER TABLE.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'x', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
