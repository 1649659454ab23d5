"""Booking reads, already scoped to who is asking."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import groupby

from django.db import connection
from django.db.models import Exists, F, Prefetch, Q, QuerySet, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber

from apps.accounts.roles import Role, is_self_scoped
from apps.bookings.fitting import (
    Busy,
    Visit,
    busy_by_doctor,
    fits,
    in_booking_window,
    not_covered_by_a_booking,
)
from apps.bookings.models import (
    ACTIVE_WAITLIST_STATUSES,
    OCCUPYING_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    OfferStatus,
    WaitlistEntry,
    WaitlistOffer,
)
from apps.clinics.models import Clinic, ClinicMembership, ServiceOffering
from apps.clinics.selectors import scope_to_clinics
from apps.core.timeutils import local_day_bounds
from apps.timeslots.models import Slot, SlotStatus


def booking_list_for_patient(patient) -> QuerySet[Booking]:
    """Only the patient's own bookings: a foreign id is simply not found."""
    if not patient.is_authenticated:
        return Booking.objects.none()
    return Booking.objects.filter(patient=patient).select_related(
        "doctor__user", "clinic", "service"
    )


def booking_list_for_staff(user) -> QuerySet[Booking]:
    """Bookings of the clinics ``user`` staffs (all for platform admins); a doctor's own
    appointments only, as in the back office."""
    bookings = scope_to_clinics(Booking.objects.all(), user)
    if is_self_scoped(user):
        bookings = bookings.filter(doctor__user=user)
    return bookings.select_related("patient", "doctor__user", "clinic", "service")


#: What a day sheet lists: visits that hold or held the doctor's time, and cancellations
#: (reception is asked about them). Lapsed holds never were appointments.
DAY_SHEET_STATUSES = (*OCCUPYING_STATUSES, BookingStatus.CANCELLED)


def booking_day_sheet(user, clinic: Clinic, day: date) -> QuerySet[Booking]:
    """The bookings of ``clinic`` starting on local calendar ``day`` (the clinic's zone),
    by doctor and time, as ``user`` may see them: the whole clinic for its nurses,
    receptionists, managers and platform admins; a doctor who holds no other role there
    sees only their own. Anyone else gets nothing. One query (patients' profiles,
    doctors, services selected with it).
    """
    start, end = local_day_bounds(day, clinic.tz)
    bookings = (
        booking_list_for_staff(user)
        .filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .filter(status__in=DAY_SHEET_STATUSES)
        .select_related("patient__patient_profile")
        .order_by("doctor__user__last_name", "doctor_id", "starts_at", "id")
    )
    if not (user.is_authenticated and user.is_platform_admin):
        roles = ClinicMembership.objects.filter(user=user, clinic=clinic).values("role")
        whole_clinic = roles.exclude(role=Role.DOCTOR)
        own = Q(Exists(roles.filter(role=Role.DOCTOR)), doctor__user=user)
        bookings = bookings.filter(Q(Exists(whole_clinic)) | own)
    return bookings


def waitlist_list_for_patient(patient) -> QuerySet[WaitlistEntry]:
    """The patient's active waitlist entries, first joined first, each with its open offer
    (``open_offers``, a list of at most one). Three queries however many entries."""
    if not patient.is_authenticated:
        return WaitlistEntry.objects.none()
    open_offers = WaitlistOffer.objects.filter(status=OfferStatus.OPEN).select_related("booking")
    return (
        WaitlistEntry.objects.filter(patient=patient, status__in=ACTIVE_WAITLIST_STATUSES)
        .select_related("clinic", "service", "doctor__user")
        .prefetch_related(Prefetch("offers", open_offers, to_attr="open_offers"))
        .order_by("created_at", "id")
    )


def waitlist_offer_list_for_patient(patient) -> QuerySet[WaitlistOffer]:
    """Only offers made to the patient: a foreign id is simply not found."""
    if not patient.is_authenticated:
        return WaitlistOffer.objects.none()
    return WaitlistOffer.objects.filter(entry__patient=patient).select_related(
        "entry", "booking__clinic", "booking__doctor__user", "booking__service"
    )


def booking_timeline(booking: Booking) -> QuerySet[BookingEvent]:
    return booking.events.select_related("actor").order_by("at", "id")


def slot_list_bookable(
    *,
    doctor_id: int,
    clinic: Clinic,
    service: ServiceOffering,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    """The doctor's slots in [window_start, window_end) where ``service`` can be booked now.

    Two queries whatever the window: open slots, and the doctor's occupied time. A slot
    qualifies when the visit fits in open slots and its buffers meet no booking. The
    booking service checks the same under the lock; this list is what people choose from.
    """
    if window_start >= window_end:
        return []
    visit = Visit.of(service)
    # Slots starting up to one visit length past the window can complete a visit in it.
    open_slots = list(
        Slot.objects.open()
        .filter(doctor_id=doctor_id, clinic=clinic)
        .filter(starts_at__gte=window_start, starts_at__lt=window_end + visit.duration)
        .order_by("starts_at")
    )
    busy = busy_by_doctor(
        [doctor_id], window_start - visit.before, window_end + visit.duration + visit.after
    ).get(doctor_id, Busy([]))
    return [
        slot
        for index, slot in enumerate(open_slots)
        if slot.starts_at < window_end
        and in_booking_window(slot, clinic, now)
        and fits(open_slots, index, visit, busy)
    ]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A doctor at a clinic, asked about with one service (it decides length and buffers)."""

    doctor_id: int
    clinic: Clinic
    service: ServiceOffering


def slot_first_bookable(
    candidates: list[Candidate],
    *,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    per_pair: int = 24,
) -> dict[tuple[int, int], Slot]:
    """The earliest bookable slot of each (doctor, clinic) candidate in the window.

    Two queries for any number of candidates: the first few open slots of each pair that
    no booking covers, and the bookings around them; then the exact check of
    ``slot_list_bookable`` in Python. Usually the first free slot fits, so each pair is
    first asked for ``FIRST_LOOK`` slots; only pairs where none of those fit are asked
    again for ``per_pair`` (two more queries). A pair whose first ``per_pair`` free slots
    all fail is left out rather than guessed.
    """
    first_look = min(FIRST_LOOK, per_pair)
    found, unsettled = _first_bookable(candidates, window_start, window_end, now, first_look)
    if unsettled and per_pair > first_look:
        again = [c for c in candidates if (c.doctor_id, c.clinic.pk) in unsettled]
        found |= _first_bookable(again, window_start, window_end, now, per_pair)[0]
    return found


#: How many free slots per (doctor, clinic) the first look at "first available" reads.
FIRST_LOOK = 4


def _first_bookable(
    candidates: list[Candidate],
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    per_pair: int,
) -> tuple[dict[tuple[int, int], Slot], set[tuple[int, int]]]:
    """The first bookable slot per pair among its first ``per_pair`` free slots, and the
    pairs left unsettled: none of those fit, but there were ``per_pair`` of them, so more
    may follow."""
    if not candidates:
        return {}, set()
    by_pair = {(c.doctor_id, c.clinic.pk): c for c in candidates}
    earliest = max(
        window_start, now + timedelta(minutes=min(c.clinic.min_notice_minutes for c in candidates))
    )
    # Without the clinic joined: thousands of wide clinic rows cost more than the query;
    # each candidate already holds its clinic, given to the slots found below.
    free = list(
        _first_free_per_pair(list(by_pair), earliest, window_end, per_pair).order_by(
            "doctor_id", "clinic_id", "starts_at"
        )
    )
    if not free:
        return {}, set()
    groups = {
        pair: list(group)
        for pair, group in groupby(free, key=lambda s: (s.doctor_id, s.clinic_id))
        if pair in by_pair
    }
    visits = {pair: Visit.of(by_pair[pair].service) for pair in groups}
    # The bookings around the slots matter only where a visit has buffers or is longer
    # than a slot: the free slots found have no booking over their own time.
    reaching = [pair for pair, slots in groups.items() if not visits[pair].inside(slots)]
    busy = {}
    if reaching:
        around = [s for pair in reaching for s in groups[pair]]
        busy = busy_by_doctor(
            {pair[0] for pair in reaching},
            min(s.starts_at for s in around) - max(visits[p].before for p in reaching),
            max(s.ends_at for s in around)
            + max(visits[p].duration + visits[p].after for p in reaching),
        )
    found: dict[tuple[int, int], Slot] = {}
    unsettled: set[tuple[int, int]] = set()
    for pair, slots in groups.items():
        candidate, visit = by_pair[pair], visits[pair]
        doctor_busy = busy.get(pair[0], Busy([]))
        slot = next(
            (
                s
                for i, s in enumerate(slots)
                if in_booking_window(s, candidate.clinic, now)
                and fits(slots, i, visit, doctor_busy)
            ),
            None,
        )
        if slot is not None:
            slot.clinic = candidate.clinic
            found[pair] = slot
        elif len(slots) == per_pair:
            unsettled.add(pair)
    return found, unsettled


def _first_free_per_pair(
    pairs: list[tuple[int, int]], earliest: datetime, window_end: datetime, per_pair: int
) -> QuerySet[Slot]:
    """The first ``per_pair`` open slots of each (doctor, clinic) pair in the window that no
    booking covers.

    On PostgreSQL a LATERAL join walks each pair's slots in index order and stops after
    ``per_pair``: a few thousand index probes for a specialty across all clinics, instead
    of ranking every slot in the window against every booking (a hash anti-join over the
    whole bookings table: several times slower at 2 million slots, see
    docs/performance.md). A slot is covered exactly when the doctor's first occupying
    booking ending after the slot starts also begins before it ends: one doctor's
    occupying bookings never overlap (the ``booking_no_doctor_overlap`` exclusion
    constraint), so that one booking decides, found with one probe of
    ``booking_occupying_doctor_idx``. Elsewhere (SQLite) a window function ranks them.
    """
    slots = Slot.objects.open().filter(starts_at__gt=earliest, starts_at__lt=window_end)
    if connection.vendor != "postgresql":
        return (
            slots.filter(doctor_id__in={d for d, _c in pairs}, clinic_id__in={c for _d, c in pairs})
            .filter(not_covered_by_a_booking())
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("doctor_id"), F("clinic_id")],
                    order_by="starts_at",
                )
            )
            .filter(rank__lte=per_pair)
        )
    # Parameters only: the statuses are our constants, the rest ids, instants and a count.
    # "(clinic matches) IS TRUE" keeps the planner from combining the clinic index into a
    # bitmap scan of the whole window: it walks slot_open_doctor_start_idx in time order
    # and stops at ``per_pair`` (the planner takes doctor and clinic as independent).
    lateral = """
        SELECT first.id
        FROM unnest(%s::bigint[], %s::bigint[]) AS pair (doctor_id, clinic_id)
        CROSS JOIN LATERAL (
            SELECT slot.id FROM timeslots_slot slot
            WHERE slot.doctor_id = pair.doctor_id AND (slot.clinic_id = pair.clinic_id) IS TRUE
              AND slot.status = %s AND slot.starts_at > %s AND slot.starts_at < %s
              AND NOT EXISTS (
                  SELECT 1 FROM (
                      SELECT booking.blocked_from FROM bookings_booking booking
                      WHERE booking.doctor_id = slot.doctor_id
                        AND booking.status = ANY(%s)
                        AND booking.blocked_until > slot.starts_at
                      ORDER BY booking.blocked_until
                      LIMIT 1
                  ) AS next_booking
                  WHERE next_booking.blocked_from < slot.ends_at)
            ORDER BY slot.starts_at
            LIMIT %s
        ) AS first
    """
    params = [
        [d for d, _c in pairs],
        [c for _d, c in pairs],
        SlotStatus.OPEN,
        earliest,
        window_end,
        list(OCCUPYING_STATUSES),
        per_pair,
    ]
    return slots.filter(pk__in=RawSQL(lateral, params))  # noqa: S611 - parameters only


def slot_list_available(
    slots: QuerySet[Slot],
    *,
    service: ServiceOffering | None,
    window_start: datetime,
    window_end: datetime,
    now: datetime,
) -> list[Slot]:
    """Slots of ``slots`` (already narrowed by doctor, clinic...) that can be booked now.

    With ``service``: only the service's clinic and doctors, and only starts where the
    whole visit fits (the exact check). Without: slots whose own time is free. Two queries.
    """
    visit = Visit.of(service) if service is not None else None
    slots = slots.open().filter(
        starts_at__gte=window_start,
        starts_at__lt=window_end + (visit.duration if visit else timedelta(0)),
    )
    if service is not None:
        slots = slots.filter(clinic_id=service.clinic_id, doctor__services=service)
    free = list(
        slots.filter(not_covered_by_a_booking())
        .select_related("clinic")
        .order_by("doctor_id", "clinic_id", "starts_at")
    )
    busy = {}
    if visit is not None and free:
        busy = busy_by_doctor(
            {s.doctor_id for s in free},
            window_start - visit.before,
            window_end + visit.duration + visit.after,
        )
    available = []
    for (doctor_id, _clinic_id), group in groupby(free, key=lambda s: (s.doctor_id, s.clinic_id)):
        group = list(group)
        for index, slot in enumerate(group):
            if slot.starts_at >= window_end or not in_booking_window(slot, slot.clinic, now):
                continue
            if visit is None or fits(group, index, visit, busy.get(doctor_id, Busy([]))):
                available.append(slot)
    return sorted(available, key=lambda s: (s.starts_at, s.doctor_id))
