"""Who the HTTP scenarios book as, and which free times they book. Runs in the bench
process (Django set up), against the same database as the server."""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.models import PatientProfile, User
from apps.accounts.services import api_token_create
from apps.bookings.models import Booking
from apps.clinics.models import ServiceOffering
from apps.demo.bench_world import EMAIL_DOMAIN, MARKER_SLUG, UNUSABLE
from apps.doctors.models import Doctor
from apps.timeslots.models import Slot

CLIENT_EMAIL_PREFIX = "bench-client-"


@dataclass(frozen=True)
class Actor:
    user_id: int
    token: str


def make_actors(count: int) -> list[Actor]:
    """``count`` new verified patients, each with an API token."""
    run = uuid.uuid4().hex[:8]
    users = User.objects.bulk_create(
        User(
            email=f"{CLIENT_EMAIL_PREFIX}{run}-{i}@{EMAIL_DOMAIN}",
            first_name="Bench",
            last_name=f"Client {i}",
            password=UNUSABLE,
        )
        for i in range(count)
    )
    PatientProfile.objects.bulk_create(PatientProfile(user=user) for user in users)
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    return [Actor(user.pk, api_token_create(user=user, name="bench")[1]) for user in users]


def forget_client_bookings() -> int:
    """Delete the bookings earlier bench runs made over HTTP, so the world keeps its size.
    (Audit entries name bookings by id and stay: the log is append-only.)"""
    deleted, _ = Booking.objects.filter(patient__email__startswith=CLIENT_EMAIL_PREFIX).delete()
    return deleted


def bench_doctor_ids() -> list[int]:
    """The bench world's doctors, in id order (the world's clinics start at MARKER_SLUG)."""
    return list(
        Doctor.objects.filter(user__email__endswith=f"@{EMAIL_DOMAIN}")
        .filter(services__clinic__slug__startswith=MARKER_SLUG.rsplit("-", 1)[0])
        .order_by("pk")
        .distinct()
        .values_list("pk", flat=True)
    )


def services_by_clinic() -> dict[int, dict[int, ServiceOffering]]:
    """clinic id -> {duration in minutes: service}."""
    result: dict[int, dict[int, ServiceOffering]] = {}
    for service in ServiceOffering.objects.filter(is_active=True).select_related("clinic"):
        result.setdefault(service.clinic_id, {})[service.duration_minutes] = service
    return result


def free_slots(doctor_ids: list[int], per_doctor: int, *, runs_of: int = 1) -> dict[int, list]:
    """Open slots no booking covers, from two hours ahead, for each doctor: lists of
    ``runs_of`` back-to-back slots (a run is what a longer visit needs)."""
    now = timezone.now()
    covered = Booking.objects.occupying().filter(
        doctor_id=OuterRef("doctor_id"),
        blocked_from__lt=OuterRef("ends_at"),
        blocked_until__gt=OuterRef("starts_at"),
    )
    slots = (
        Slot.objects.open()
        .filter(doctor_id__in=doctor_ids, starts_at__gt=now + timedelta(hours=2))
        .filter(starts_at__lt=now + timedelta(days=40))
        .filter(~Exists(covered))
        .order_by("doctor_id", "starts_at")
        .values_list("pk", "doctor_id", "clinic_id", "starts_at", "ends_at")
    )
    found: dict[int, list] = {d: [] for d in doctor_ids}
    current: list = []
    for row in slots.iterator(chunk_size=5000):
        if current and (current[-1][1] != row[1] or current[-1][4] != row[3]):
            current = []
        current.append(row)
        if len(current) == runs_of:
            if len(found[row[1]]) < per_doctor:
                found[row[1]].append(list(current))
            current = []
    return found


def double_bookings(doctor_ids: list[int]) -> int:
    """Pairs of occupying bookings of one doctor that overlap in time (must be 0), or of
    one slot: counted in SQL over these doctors, independent of the constraints."""
    from django.db import connection

    from apps.bookings.models import OCCUPYING_STATUSES

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM bookings_booking a JOIN bookings_booking b "
            "ON a.doctor_id = b.doctor_id AND a.id < b.id "
            "AND (a.slot_id = b.slot_id OR (a.blocked_from < b.blocked_until "
            "AND b.blocked_from < a.blocked_until)) "
            "WHERE a.doctor_id = ANY(%s) AND a.status = ANY(%s) AND b.status = ANY(%s)",
            [doctor_ids, list(OCCUPYING_STATUSES), list(OCCUPYING_STATUSES)],
        )
        return cursor.fetchone()[0]
