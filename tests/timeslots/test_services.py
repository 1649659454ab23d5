"""Slot writes: generation reconciles the database with the plan; blocking and unblocking.

"Now" is pinned with time-machine to Thursday 1 January 2026, 12:00 UTC unless a test
moves it. Monday 5 January 2026 is the first working day generated (winter time in Berlin,
UTC+1, so 09:00 local is 08:00 UTC).
"""

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction

from apps.audit.models import AuditEntry
from apps.bookings import services as booking_services
from apps.bookings.models import BookingStatus
from apps.clinics.models import Weekday
from apps.timeslots import services
from apps.timeslots.exceptions import InvalidBlockRange
from apps.timeslots.models import ExceptionKind, Slot, SlotSource, SlotStatus
from apps.timeslots.planning import plan_slots
from tests.accounts.factories import PatientFactory
from tests.bookings.factories import BookingFactory
from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import (
    ScheduleExceptionFactory,
    ScheduleRuleFactory,
    SlotFactory,
)
from tests.timeslots.times import BERLIN, berlin_time, utc

NEW_YEAR_NOON = datetime(2026, 1, 1, 12, tzinfo=UTC)
MONDAY = date(2026, 1, 5)
SUNDAY = date(2026, 1, 11)


def slots_of(doctor) -> list[Slot]:
    return list(Slot.objects.filter(doctor=doctor).order_by("starts_at"))


def clock_starts(slots, tz: ZoneInfo = BERLIN) -> list[str]:
    return [f"{s.starts_at.astimezone(tz):%H:%M}" for s in slots]


def intervals(slots) -> list[tuple[datetime, datetime]]:
    return [(s.starts_at, s.ends_at) for s in slots]


def assert_no_two_overlap(slots) -> None:
    ordered = sorted(slots, key=lambda s: s.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert earlier.ends_at <= later.starts_at, f"{earlier} overlaps {later}"


@pytest.fixture
def new_year(time_machine):
    time_machine.move_to(NEW_YEAR_NOON, tick=False)
    return NEW_YEAR_NOON


@pytest.fixture
def clinic(db):
    return ClinicFactory(timezone="Europe/Berlin")


@pytest.fixture
def service(clinic):
    return ServiceOfferingFactory(clinic=clinic, duration_minutes=30)


@pytest.fixture
def doctor(service):
    return DoctorFactory(services=[service])


@pytest.fixture
def monday_rule(doctor, clinic):
    """Mondays 09:00-12:00 Berlin time, 30-minute slots."""
    return ScheduleRuleFactory(
        doctor=doctor,
        clinic=clinic,
        weekday=Weekday.MONDAY,
        start_time=time(9),
        end_time=time(12),
        slot_minutes=30,
    )


def generate(doctor, first=MONDAY, last=SUNDAY, **kwargs) -> services.GenerationResult:
    return services.slots_generate(doctor=doctor, first=first, last=last, **kwargs)


# --- Generation ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_generate_creates_the_planned_slots(new_year, doctor, clinic, monday_rule):
    result = generate(doctor)

    assert result == services.GenerationResult(created=6, removed=0, kept=0)
    slots = slots_of(doctor)
    assert intervals(slots) == [
        (p.starts_at, p.ends_at) for p in plan_slots(doctor=doctor, first=MONDAY, last=SUNDAY)
    ]
    assert slots[0].starts_at == utc("2026-01-05 08:00")
    assert slots[-1].ends_at == utc("2026-01-05 11:00")
    assert {(s.clinic_id, s.status, s.source) for s in slots} == {
        (clinic.pk, SlotStatus.OPEN, SlotSource.RULE)
    }


@pytest.mark.django_db
def test_slots_generate_twice_creates_nothing_the_second_time(new_year, doctor, monday_rule):
    generate(doctor)
    before = [(s.pk, s.starts_at, s.ends_at) for s in slots_of(doctor)]

    again = generate(doctor)

    assert again == services.GenerationResult(created=0, removed=0, kept=6)
    assert [(s.pk, s.starts_at, s.ends_at) for s in slots_of(doctor)] == before


@pytest.mark.django_db
def test_slots_generate_records_one_audit_entry_per_change_and_none_when_nothing_changes(
    new_year, doctor, monday_rule
):
    manager = DoctorFactory().user

    generate(doctor, actor=manager)
    generate(doctor, actor=manager)

    entries = AuditEntry.objects.filter(action="slots.generate", target_id=str(doctor.pk))
    assert [(e.actor, e.changes["created"], e.changes["removed"]) for e in entries] == [
        (manager, [0, 6], [0, 0])
    ]


@pytest.mark.django_db
def test_slots_generate_only_writes_the_local_dates_asked_for(new_year, doctor, monday_rule):
    generate(doctor, first=MONDAY, last=MONDAY + timedelta(days=13))
    second_week = [s for s in slots_of(doctor) if s.starts_at.date() > SUNDAY]
    monday_rule.slot_minutes = 60
    monday_rule.save()

    result = generate(doctor, first=MONDAY, last=SUNDAY)

    assert result.removed == 6
    assert [s for s in slots_of(doctor) if s.starts_at.date() > SUNDAY] == second_week
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in second_week)


@pytest.mark.django_db
def test_slots_generate_after_a_slot_length_change_replaces_the_stale_open_slots(
    new_year, doctor, monday_rule
):
    generate(doctor)
    monday_rule.slot_minutes = 45
    monday_rule.save()

    result = generate(doctor)

    assert result == services.GenerationResult(created=4, removed=6, kept=0)
    slots = slots_of(doctor)
    assert clock_starts(slots) == ["09:00", "09:45", "10:30", "11:15"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=45) for s in slots)
    assert_no_two_overlap(slots)


@pytest.mark.django_db
def test_slots_generate_removes_future_slots_when_the_rule_is_deactivated(
    new_year, doctor, monday_rule
):
    generate(doctor)
    monday_rule.is_active = False
    monday_rule.save()

    result = generate(doctor)

    assert result == services.GenerationResult(created=0, removed=6, kept=0)
    assert slots_of(doctor) == []


@pytest.mark.django_db
def test_slots_generate_removes_the_slots_a_new_leave_covers(new_year, doctor, monday_rule):
    generate(doctor)
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.LEAVE,
        starts_at=berlin_time(MONDAY, 10),
        ends_at=berlin_time(MONDAY, 11),
    )

    result = generate(doctor)

    assert result.removed == 2
    assert clock_starts(slots_of(doctor)) == ["09:00", "09:30", "11:00", "11:30"]


@pytest.mark.django_db
def test_slots_generate_creates_extra_hours_slots(new_year, doctor, clinic):
    saturday = MONDAY + timedelta(days=5)
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=20,
        starts_at=berlin_time(saturday, 10),
        ends_at=berlin_time(saturday, 11),
    )

    assert generate(doctor).created == 3
    assert {s.source for s in slots_of(doctor)} == {SlotSource.EXTRA}


@pytest.mark.django_db
def test_slots_generate_keeps_a_blocked_slot_blocked_while_it_stays_in_the_schedule(
    new_year, doctor, monday_rule
):
    generate(doctor)
    first = slots_of(doctor)[0]
    services.slots_block(
        doctor=doctor, starts_at=first.starts_at, ends_at=first.ends_at, reason="Equipment check"
    )

    generate(doctor)

    first.refresh_from_db()
    assert (first.status, first.block_reason) == (SlotStatus.BLOCKED, "Equipment check")


# --- Bookings hold their slots ------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_generate_keeps_a_booked_slot_when_the_slot_length_changes(
    new_year, doctor, service, monday_rule
):
    generate(doctor)
    booked = slots_of(doctor)[1]  # 09:30-10:00
    booking = booking_services.booking_create(
        patient=PatientFactory(), slot_id=booked.pk, service_id=service.pk
    )
    monday_rule.slot_minutes = 45
    monday_rule.save()

    result = generate(doctor)

    slots = slots_of(doctor)
    # 09:00-09:45 and 09:45-10:30 would overlap the booked 09:30-10:00: not created.
    assert clock_starts(slots) == ["09:30", "10:30", "11:15"]
    assert result == services.GenerationResult(created=2, removed=5, kept=1)
    assert slots[0].pk == booked.pk
    booking.refresh_from_db()
    assert booking.slot_id == booked.pk
    assert_no_two_overlap(slots)


@pytest.mark.django_db
def test_slots_generate_keeps_a_booked_slot_when_leave_covers_it(
    new_year, doctor, service, monday_rule
):
    generate(doctor)
    booked = slots_of(doctor)[0]
    BookingFactory(slot=booked, service=service, status=BookingStatus.CONFIRMED)
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.SICK,
        starts_at=berlin_time(MONDAY, 0),
        ends_at=berlin_time(MONDAY + timedelta(days=1), 0),
    )

    result = generate(doctor)

    assert result == services.GenerationResult(created=0, removed=5, kept=1)
    assert slots_of(doctor) == [booked]


@pytest.mark.django_db
def test_slots_generate_frees_the_slot_of_a_cancelled_booking(
    new_year, doctor, service, monday_rule
):
    generate(doctor)
    slot = slots_of(doctor)[0]
    booking = BookingFactory(slot=slot, service=service, status=BookingStatus.CANCELLED)
    monday_rule.is_active = False
    monday_rule.save()

    result = generate(doctor)

    assert result.removed == 6
    assert slots_of(doctor) == []
    booking.refresh_from_db()
    assert booking.slot_id is None  # the booking keeps its own times as history


# --- The past is history ------------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_generate_never_deletes_past_slots(time_machine, doctor, monday_rule):
    time_machine.move_to(NEW_YEAR_NOON, tick=False)
    generate(doctor)
    # Monday 10:15 in Berlin: 09:00, 09:30 and 10:00 have started.
    time_machine.move_to(berlin_time(MONDAY, 10, 15), tick=False)
    monday_rule.is_active = False
    monday_rule.save()

    result = generate(doctor)

    assert result == services.GenerationResult(created=0, removed=3, kept=3)
    assert clock_starts(slots_of(doctor)) == ["09:00", "09:30", "10:00"]


@pytest.mark.django_db
def test_slots_generate_leaves_a_started_slot_alone_when_the_length_changes(
    time_machine, doctor, monday_rule
):
    time_machine.move_to(NEW_YEAR_NOON, tick=False)
    generate(doctor)
    time_machine.move_to(berlin_time(MONDAY, 9, 40), tick=False)
    monday_rule.slot_minutes = 45
    monday_rule.save()

    generate(doctor)

    slots = slots_of(doctor)
    # 09:00 and 09:30 (running) stay as they were; 09:45-10:30 would overlap 09:30-10:00.
    assert clock_starts(slots) == ["09:00", "09:30", "10:30", "11:15"]
    assert_no_two_overlap(slots)


# --- Daylight saving time -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("night", "expected"),
    [
        (
            date(2026, 3, 29),
            ["2026-03-29 00:00", "2026-03-29 00:30", "2026-03-29 01:00", "2026-03-29 01:30"],
        ),
        (
            date(2026, 10, 25),
            [
                "2026-10-24 23:00",
                "2026-10-24 23:30",
                "2026-10-25 00:00",
                "2026-10-25 00:30",
                "2026-10-25 02:00",
                "2026-10-25 02:30",
            ],
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_slots_generate_on_a_daylight_saving_night_stores_the_right_instants_once(
    new_year, doctor, clinic, night, expected
):
    ScheduleRuleFactory(
        doctor=doctor, clinic=clinic, weekday=Weekday.SUNDAY, start_time=time(1), end_time=time(4)
    )

    generate(doctor, first=night, last=night)
    again = generate(doctor, first=night, last=night)

    slots = slots_of(doctor)
    assert [s.starts_at for s in slots] == [utc(t) for t in expected]
    assert again.created == again.removed == 0
    assert_no_two_overlap(slots)


# --- Never overlapping --------------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_generate_never_creates_a_slot_overlapping_one_from_the_day_before(
    new_year, doctor, clinic
):
    # A late extra shift runs past midnight into Tuesday, where the weekly rule starts at 00:00.
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=90,
        starts_at=berlin_time(MONDAY, 23, 15),
        ends_at=berlin_time(MONDAY + timedelta(days=1), 0, 45),
    )
    ScheduleRuleFactory(
        doctor=doctor, clinic=clinic, weekday=Weekday.TUESDAY, start_time=time(0), end_time=time(2)
    )
    tuesday = MONDAY + timedelta(days=1)
    generate(doctor, first=MONDAY, last=MONDAY)

    generate(doctor, first=tuesday, last=tuesday)

    slots = slots_of(doctor)
    assert_no_two_overlap(slots)
    assert [f"{s.starts_at.astimezone(BERLIN):%a %H:%M}" for s in slots] == [
        "Mon 23:15",
        "Tue 01:00",
        "Tue 01:30",
    ]


@pytest.mark.django_db
def test_slots_generate_with_overlapping_rules_creates_no_overlapping_slots(
    new_year, doctor, clinic, monday_rule
):
    ScheduleRuleFactory(
        doctor=doctor,
        clinic=clinic,
        weekday=Weekday.MONDAY,
        start_time=time(10, 20),
        end_time=time(13, 30),
        slot_minutes=45,
    )

    generate(doctor)

    slots = slots_of(doctor)
    assert_no_two_overlap(slots)
    assert clock_starts(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:35"]


@pytest.mark.django_db
def test_slots_generate_after_a_series_of_edits_never_leaves_overlapping_slots(
    new_year, doctor, clinic, service, monday_rule
):
    generate(doctor)
    booking_services.booking_create(
        patient=PatientFactory(), slot_id=slots_of(doctor)[3].pk, service_id=service.pk
    )
    for minutes, start in ((45, time(9)), (20, time(8, 50)), (60, time(9, 10)), (25, time(9))):
        monday_rule.slot_minutes, monday_rule.start_time = minutes, start
        monday_rule.save()
        generate(doctor)
        assert_no_two_overlap(slots_of(doctor))


# --- The horizon job ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_extend_horizon_generates_from_yesterday_to_the_horizon(
    new_year, doctor, clinic, monday_rule
):
    colleague = DoctorFactory(services=[ServiceOfferingFactory(clinic=clinic)])
    ScheduleRuleFactory(doctor=colleague, clinic=clinic, weekday=Weekday.TUESDAY)

    created = services.slots_extend_horizon(days=14, today=MONDAY)

    # Mondays 5, 12 and 19 January (the 19th is the horizon); Tuesdays 6 and 13 January.
    assert created == 3 * 6 + 2 * 6
    assert {s.starts_at.date() for s in slots_of(doctor)} == {
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
    }
    assert services.slots_extend_horizon(days=14, today=MONDAY) == 0


@pytest.mark.django_db
def test_slots_extend_horizon_skips_an_inactive_doctor(new_year, doctor, monday_rule):
    doctor.is_active = False
    doctor.save()

    assert services.slots_extend_horizon(days=14, today=MONDAY) == 0
    assert slots_of(doctor) == []


@pytest.mark.django_db
def test_slots_extend_horizon_removes_the_slots_of_a_doctors_last_deactivated_rule(
    new_year, doctor, monday_rule
):
    services.slots_extend_horizon(days=14, today=MONDAY)
    monday_rule.is_active = False
    monday_rule.save()

    services.slots_extend_horizon(days=14, today=MONDAY)

    assert slots_of(doctor) == []


@pytest.mark.django_db
def test_slots_extend_horizon_generates_extra_hours_of_a_doctor_without_weekly_rules(
    new_year, doctor, clinic
):
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=30,
        starts_at=berlin_time(MONDAY, 18),
        ends_at=berlin_time(MONDAY, 19),
    )

    assert services.slots_extend_horizon(days=14, today=MONDAY) == 2


# --- Blocking -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_slots_block_returns_and_blocks_exactly_the_overlapping_slots(
    new_year, doctor, monday_rule
):
    generate(doctor)
    colleague_slot = SlotFactory(starts_at=berlin_time(MONDAY, 10))

    blocked = services.slots_block(
        doctor=doctor,
        starts_at=berlin_time(MONDAY, 9, 45),
        ends_at=berlin_time(MONDAY, 10, 30),
        reason="Power cut",
    )

    # 09:30-10:00 and 10:00-10:30 overlap; 09:00-09:30 and 10:30-11:00 only touch the range.
    assert clock_starts(blocked) == ["09:30", "10:00"]
    assert {(s.status, s.block_reason) for s in blocked} == {(SlotStatus.BLOCKED, "Power cut")}
    stored = {s.pk: s.status for s in slots_of(doctor)}
    assert [stored[s.pk] for s in blocked] == [SlotStatus.BLOCKED, SlotStatus.BLOCKED]
    assert sum(status == SlotStatus.OPEN for status in stored.values()) == 4
    colleague_slot.refresh_from_db()
    assert colleague_slot.status == SlotStatus.OPEN


@pytest.mark.django_db
def test_slots_block_records_an_audit_entry(new_year, doctor, monday_rule):
    generate(doctor)

    services.slots_block(
        doctor=doctor,
        starts_at=berlin_time(MONDAY, 9),
        ends_at=berlin_time(MONDAY, 12),
        reason="Fire drill",
    )

    entry = AuditEntry.objects.get(action="slots.block")
    assert entry.changes["slots"] == [0, 6]
    assert entry.target_id == str(doctor.pk)


@pytest.mark.django_db
def test_slots_block_cuts_a_long_reason_to_the_column_length(new_year, doctor, monday_rule):
    generate(doctor)

    blocked = services.slots_block(
        doctor=doctor,
        starts_at=berlin_time(MONDAY, 9),
        ends_at=berlin_time(MONDAY, 9, 30),
        reason="x" * 500,
    )

    assert len(Slot.objects.get(pk=blocked[0].pk).block_reason) == 200


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, -30], ids=["empty", "inverted"])
def test_slots_block_rejects_a_range_that_does_not_move_forward(
    new_year, doctor, monday_rule, minutes
):
    generate(doctor)
    start = berlin_time(MONDAY, 9)

    with pytest.raises(InvalidBlockRange):
        services.slots_block(
            doctor=doctor,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            reason="Oops",
        )

    assert not Slot.objects.filter(status=SlotStatus.BLOCKED).exists()


@pytest.mark.django_db
def test_slots_unblock_opens_blocked_slots_and_counts_only_those(new_year, doctor, monday_rule):
    generate(doctor)
    blocked = services.slots_block(
        doctor=doctor,
        starts_at=berlin_time(MONDAY, 9),
        ends_at=berlin_time(MONDAY, 10),
        reason="Meeting",
    )
    still_open = slots_of(doctor)[-1]

    changed = services.slots_unblock(slot_ids=[s.pk for s in blocked] + [still_open.pk])

    assert changed == 2
    assert {(s.status, s.block_reason) for s in slots_of(doctor)} == {(SlotStatus.OPEN, "")}


# --- The database as the backstop ---------------------------------------------------------------


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")


@pytest.mark.django_db
def test_the_database_rejects_an_overlapping_slot_of_the_same_doctor(postgres_only, doctor):
    SlotFactory(doctor=doctor, starts_at=utc("2026-01-05 08:00"), minutes=30)

    with pytest.raises(IntegrityError, match="slot_no_doctor_overlap"), transaction.atomic():
        SlotFactory(doctor=doctor, starts_at=utc("2026-01-05 08:15"), minutes=30)


@pytest.mark.django_db
def test_the_database_accepts_back_to_back_slots_and_other_doctors_at_the_same_time(
    postgres_only, doctor
):
    SlotFactory(doctor=doctor, starts_at=utc("2026-01-05 08:00"), minutes=30)

    SlotFactory(doctor=doctor, starts_at=utc("2026-01-05 08:30"), minutes=30)
    SlotFactory(starts_at=utc("2026-01-05 08:00"), minutes=30)

    assert Slot.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_slots_generate_run_four_times_at_once_creates_each_slot_exactly_once(
    postgres_only, doctor, monday_rule
):
    # The doctor's row lock makes the later runs wait and then find everything in place;
    # without it they would all insert and the losers would die on the constraints.
    runners = 4
    start = threading.Barrier(runners)
    results, errors = [], []

    def run():
        try:
            connection.ensure_connection()  # connected before the start signal
            start.wait(timeout=10)
            results.append(
                services.slots_generate(
                    doctor=doctor, first=date(2099, 1, 5), last=date(2099, 1, 11)
                )
            )
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(r.created for r in results) == [0, 0, 0, 6]
    assert Slot.objects.filter(doctor=doctor).count() == 6
