"""plan_slots: from weekly rules, opening hours, closures and exceptions to UTC slots.

Dates used below (2026): Monday 5 January and Monday 23 March are winter time in Berlin
(UTC+1), Sunday 29 March clocks spring forward at 02:00 -> 03:00, Monday 30 March and
Monday 6 July are summer time (UTC+2), Sunday 25 October clocks fall back at 03:00 -> 02:00.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from apps.clinics.models import Weekday
from apps.timeslots.models import ExceptionKind, ScheduleRule, SlotSource
from apps.timeslots.planning import PlannedSlot, plan_slots
from tests.clinics.factories import (
    ClinicFactory,
    ClosureFactory,
    OpeningHoursFactory,
    ServiceOfferingFactory,
)
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import (
    ScheduleBreakFactory,
    ScheduleExceptionFactory,
    ScheduleRuleFactory,
)
from tests.timeslots.times import BERLIN, berlin_time, utc

KOLKATA = ZoneInfo("Asia/Kolkata")

WINTER_MONDAY = date(2026, 1, 5)
SPRING_FORWARD_SUNDAY = date(2026, 3, 29)
SUMMER_MONDAY = date(2026, 7, 6)
FALL_BACK_SUNDAY = date(2026, 10, 25)


def local_starts(planned: list[PlannedSlot], tz: ZoneInfo) -> list[str]:
    return [f"{slot.starts_at.astimezone(tz):%Y-%m-%d %H:%M}" for slot in planned]


def clock_starts(planned: list[PlannedSlot], tz: ZoneInfo = BERLIN) -> list[str]:
    return [f"{slot.starts_at.astimezone(tz):%H:%M}" for slot in planned]


def utc_starts(planned: list[PlannedSlot]) -> list[datetime]:
    return [slot.starts_at for slot in planned]


def assert_no_two_overlap(planned: list[PlannedSlot]) -> None:
    ordered = sorted(planned, key=lambda s: s.starts_at)
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert earlier.ends_at <= later.starts_at, f"{earlier} overlaps {later}"


@pytest.fixture
def clinic(db):
    return ClinicFactory(timezone="Europe/Berlin")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(timezone="Europe/Berlin")


@pytest.fixture
def doctor(clinic, other_clinic):
    return DoctorFactory(
        services=[
            ServiceOfferingFactory(clinic=clinic),
            ServiceOfferingFactory(clinic=other_clinic),
        ]
    )


def rule(doctor, clinic, **kwargs) -> ScheduleRule:
    return ScheduleRuleFactory(doctor=doctor, clinic=clinic, **kwargs)


# --- Weekly rules -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_slots_cuts_a_rule_into_slots_of_its_length_on_its_weekday_only(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(11))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY + timedelta(6))

    assert local_starts(planned, BERLIN) == [
        "2026-01-05 09:00",
        "2026-01-05 09:30",
        "2026-01-05 10:00",
        "2026-01-05 10:30",
    ]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in planned)
    assert {s.clinic_id for s in planned} == {clinic.pk}
    assert {s.source for s in planned} == {SlotSource.RULE}


@pytest.mark.django_db
def test_plan_slots_drops_a_last_slot_that_would_run_past_the_rules_end(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(10, 40), slot_minutes=45)

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00", "09:45"]


@pytest.mark.django_db
def test_plan_slots_returns_times_in_utc(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(10))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert all(s.starts_at.utcoffset() == timedelta(0) for s in planned)
    assert utc_starts(planned) == [utc("2026-01-05 08:00"), utc("2026-01-05 08:30")]


@pytest.mark.django_db
def test_plan_slots_ignores_an_inactive_rule(doctor, clinic):
    rule(doctor, clinic, is_active=False)

    assert plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY) == []


@pytest.mark.django_db
def test_plan_slots_ignores_other_doctors_rules(doctor, clinic):
    colleague = DoctorFactory(services=[ServiceOfferingFactory(clinic=clinic)])
    rule(colleague, clinic)

    assert plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY) == []


@pytest.mark.django_db
def test_plan_slots_only_plans_the_local_dates_asked_for(doctor, clinic):
    for weekday in (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY):
        rule(doctor, clinic, weekday=weekday, start_time=time(9), end_time=time(10))

    tuesday = WINTER_MONDAY + timedelta(days=1)
    planned = plan_slots(doctor=doctor, first=tuesday, last=tuesday)

    assert local_starts(planned, BERLIN) == ["2026-01-06 09:00", "2026-01-06 09:30"]


@pytest.mark.django_db
def test_plan_slots_keeps_an_early_morning_slot_on_its_local_date_though_utc_says_yesterday(db):
    # 00:30 in Kolkata is 19:00 UTC the day before: the local date decides.
    kolkata = ClinicFactory(timezone="Asia/Kolkata", country="IN", currency="INR")
    doctor = DoctorFactory(services=[ServiceOfferingFactory(clinic=kolkata)])
    rule(doctor, kolkata, start_time=time(0, 30), end_time=time(1))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert utc_starts(planned) == [utc("2026-01-04 19:00")]
    assert plan_slots(doctor=doctor, first=date(2026, 1, 4), last=date(2026, 1, 4)) == []


# --- Validity ranges ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_slots_respects_valid_from_and_valid_until_inclusively(doctor, clinic):
    rule(
        doctor,
        clinic,
        start_time=time(9),
        end_time=time(9, 30),
        valid_from=date(2026, 2, 9),
        valid_until=date(2026, 2, 16),
    )

    planned = plan_slots(doctor=doctor, first=date(2026, 2, 1), last=date(2026, 2, 28))

    assert local_starts(planned, BERLIN) == ["2026-02-09 09:00", "2026-02-16 09:00"]


@pytest.mark.django_db
def test_plan_slots_switches_from_an_expiring_rule_to_its_successor(doctor, clinic):
    rule(
        doctor,
        clinic,
        start_time=time(9),
        end_time=time(10),
        slot_minutes=60,
        valid_from=date(2026, 1, 1),
        valid_until=date(2026, 2, 9),
    )
    rule(
        doctor,
        clinic,
        start_time=time(14),
        end_time=time(15),
        slot_minutes=60,
        valid_from=date(2026, 2, 10),
    )

    planned = plan_slots(doctor=doctor, first=date(2026, 2, 9), last=date(2026, 2, 16))

    assert local_starts(planned, BERLIN) == ["2026-02-09 09:00", "2026-02-16 14:00"]


@pytest.mark.django_db
def test_plan_slots_gives_nothing_before_a_rule_starts(doctor, clinic):
    rule(doctor, clinic, valid_from=date(2026, 3, 1))

    assert plan_slots(doctor=doctor, first=date(2026, 2, 1), last=date(2026, 2, 28)) == []


# --- Daylight saving time -----------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_slots_puts_09_00_berlin_at_08_00_utc_in_winter_and_07_00_utc_in_summer(
    doctor, clinic
):
    rule(doctor, clinic, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(9, 30))

    planned = plan_slots(doctor=doctor, first=date(2026, 3, 23), last=date(2026, 3, 30))

    assert utc_starts(planned) == [utc("2026-03-23 08:00"), utc("2026-03-30 07:00")]
    assert clock_starts(planned) == ["09:00", "09:00"]


@pytest.mark.django_db
def test_plan_slots_keeps_wall_clock_times_across_a_whole_year_in_berlin(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(9, 30))

    planned = plan_slots(doctor=doctor, first=date(2026, 1, 1), last=date(2026, 12, 31))

    assert len(planned) == 52
    assert set(clock_starts(planned)) == {"09:00"}
    assert {s.starts_at.hour for s in planned} == {7, 8}


@pytest.mark.django_db
def test_plan_slots_skips_the_nonexistent_hour_when_clocks_spring_forward(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.SUNDAY, start_time=time(1), end_time=time(4))

    planned = plan_slots(doctor=doctor, first=SPRING_FORWARD_SUNDAY, last=SPRING_FORWARD_SUNDAY)

    # 02:00 and 02:30 never happen on that night in Berlin.
    assert clock_starts(planned) == ["01:00", "01:30", "03:00", "03:30"]
    assert utc_starts(planned) == [
        utc("2026-03-29 00:00"),
        utc("2026-03-29 00:30"),
        utc("2026-03-29 01:00"),
        utc("2026-03-29 01:30"),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in planned)
    assert_no_two_overlap(planned)


@pytest.mark.django_db
def test_plan_slots_gives_nothing_for_a_rule_inside_the_skipped_hour(doctor, clinic):
    # 02:00 would otherwise be read as 01:00 UTC, which is 03:00 on the clock that night.
    rule(doctor, clinic, weekday=Weekday.SUNDAY, start_time=time(2), end_time=time(3))

    assert plan_slots(doctor=doctor, first=SPRING_FORWARD_SUNDAY, last=SPRING_FORWARD_SUNDAY) == []


@pytest.mark.django_db
def test_plan_slots_with_hour_slots_on_the_spring_forward_night_never_overlap(doctor, clinic):
    rule(
        doctor,
        clinic,
        weekday=Weekday.SUNDAY,
        start_time=time(0, 30),
        end_time=time(4, 30),
        slot_minutes=60,
    )

    planned = plan_slots(doctor=doctor, first=SPRING_FORWARD_SUNDAY, last=SPRING_FORWARD_SUNDAY)

    assert clock_starts(planned) == ["00:30", "01:30", "03:30"]
    assert utc_starts(planned) == [
        utc("2026-03-28 23:30"),
        utc("2026-03-29 00:30"),
        utc("2026-03-29 01:30"),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in planned)
    assert_no_two_overlap(planned)


@pytest.mark.django_db
def test_plan_slots_on_the_fall_back_night_uses_the_first_of_the_repeated_hour(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.SUNDAY, start_time=time(1), end_time=time(4))

    planned = plan_slots(doctor=doctor, first=FALL_BACK_SUNDAY, last=FALL_BACK_SUNDAY)

    # 01:00 and 02:xx are still summer time (UTC+2); 03:00 is winter time (UTC+1).
    assert utc_starts(planned) == [
        utc("2026-10-24 23:00"),
        utc("2026-10-24 23:30"),
        utc("2026-10-25 00:00"),
        utc("2026-10-25 00:30"),
        utc("2026-10-25 02:00"),
        utc("2026-10-25 02:30"),
    ]
    assert clock_starts(planned) == ["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]
    assert len(set(utc_starts(planned))) == len(planned)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in planned)
    assert_no_two_overlap(planned)


@pytest.mark.django_db
def test_plan_slots_with_hour_slots_on_the_fall_back_night_never_overlap(doctor, clinic):
    rule(
        doctor,
        clinic,
        weekday=Weekday.SUNDAY,
        start_time=time(1, 30),
        end_time=time(4, 30),
        slot_minutes=60,
    )

    planned = plan_slots(doctor=doctor, first=FALL_BACK_SUNDAY, last=FALL_BACK_SUNDAY)

    assert utc_starts(planned) == [
        utc("2026-10-24 23:30"),
        utc("2026-10-25 00:30"),
        utc("2026-10-25 02:30"),
    ]
    assert all(s.ends_at - s.starts_at == timedelta(hours=1) for s in planned)
    assert_no_two_overlap(planned)


@pytest.mark.django_db
@pytest.mark.parametrize("day", [WINTER_MONDAY, SUMMER_MONDAY], ids=["january", "july"])
def test_plan_slots_in_kolkata_are_five_and_a_half_hours_ahead_of_utc_all_year(db, day):
    kolkata = ClinicFactory(timezone="Asia/Kolkata", country="IN", currency="INR")
    doctor = DoctorFactory(services=[ServiceOfferingFactory(clinic=kolkata)])
    rule(doctor, kolkata, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(10))

    planned = plan_slots(doctor=doctor, first=day, last=day)

    assert [s.starts_at.astimezone(UTC).time() for s in planned] == [time(3, 30), time(4)]
    assert clock_starts(planned, KOLKATA) == ["09:00", "09:30"]


# --- Breaks and opening hours -------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_slots_leaves_out_every_slot_that_touches_a_break(doctor, clinic):
    lunch_rule = rule(doctor, clinic, start_time=time(9), end_time=time(13))
    ScheduleBreakFactory(rule=lunch_rule, start_time=time(11), end_time=time(11, 45))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00", "09:30", "10:00", "10:30", "12:00", "12:30"]


@pytest.mark.django_db
def test_plan_slots_applies_several_breaks_and_any_overlap_with_one_counts(doctor, clinic):
    long_day = rule(doctor, clinic, start_time=time(8), end_time=time(12), slot_minutes=60)
    ScheduleBreakFactory(rule=long_day, start_time=time(9), end_time=time(10))
    # Starts inside no break, yet 10:00-11:00 runs into the second one.
    ScheduleBreakFactory(rule=long_day, start_time=time(10, 45), end_time=time(11, 15))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["08:00"]


@pytest.mark.django_db
def test_plan_slots_clips_a_rule_to_the_clinics_opening_hours(doctor, clinic):
    OpeningHoursFactory(clinic=clinic, weekday=Weekday.MONDAY, opens=time(10), closes=time(12))
    OpeningHoursFactory(clinic=clinic, weekday=Weekday.MONDAY, opens=time(13), closes=time(17))
    rule(doctor, clinic, start_time=time(9), end_time=time(14))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["10:00", "10:30", "11:00", "11:30", "13:00", "13:30"]


@pytest.mark.django_db
def test_plan_slots_drops_a_slot_that_would_run_past_closing_time(doctor, clinic):
    OpeningHoursFactory(clinic=clinic, weekday=Weekday.MONDAY, opens=time(9), closes=time(10, 15))
    rule(doctor, clinic, start_time=time(9), end_time=time(12))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00", "09:30"]


@pytest.mark.django_db
def test_plan_slots_gives_no_slots_on_a_weekday_the_clinic_has_no_opening_hours(doctor, clinic):
    OpeningHoursFactory(clinic=clinic, weekday=Weekday.TUESDAY, opens=time(8), closes=time(18))
    rule(doctor, clinic, weekday=Weekday.MONDAY)
    rule(doctor, clinic, weekday=Weekday.TUESDAY)

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY + timedelta(1))

    assert {s.starts_at.astimezone(BERLIN).date() for s in planned} == {date(2026, 1, 6)}


@pytest.mark.django_db
def test_plan_slots_at_a_clinic_without_opening_hours_follows_the_rule_alone(doctor, clinic):
    OpeningHoursFactory(clinic=ClinicFactory(), weekday=Weekday.MONDAY, opens=time(10))
    rule(doctor, clinic, start_time=time(7), end_time=time(8))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["07:00", "07:30"]


@pytest.mark.django_db
def test_plan_slots_uses_each_clinics_own_opening_hours(doctor, clinic, other_clinic):
    OpeningHoursFactory(clinic=clinic, weekday=Weekday.MONDAY, opens=time(8), closes=time(10))
    rule(doctor, clinic, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(11))
    rule(doctor, other_clinic, weekday=Weekday.TUESDAY, start_time=time(9), end_time=time(11))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY + timedelta(1))

    assert [
        (s.clinic_id, t) for s, t in zip(planned, local_starts(planned, BERLIN), strict=True)
    ] == [
        (clinic.pk, "2026-01-05 09:00"),
        (clinic.pk, "2026-01-05 09:30"),
        (other_clinic.pk, "2026-01-06 09:00"),
        (other_clinic.pk, "2026-01-06 09:30"),
        (other_clinic.pk, "2026-01-06 10:00"),
        (other_clinic.pk, "2026-01-06 10:30"),
    ]


# --- Closures -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_slots_gives_no_slots_on_a_day_the_clinic_is_closed(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.MONDAY)
    ClosureFactory(clinic=clinic, starts_on=WINTER_MONDAY, ends_on=WINTER_MONDAY)

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY + timedelta(7))

    assert {s.starts_at.astimezone(BERLIN).date() for s in planned} == {date(2026, 1, 12)}


@pytest.mark.django_db
def test_plan_slots_treats_both_ends_of_a_closure_as_closed(doctor, clinic):
    for weekday in Weekday.values:
        rule(doctor, clinic, weekday=weekday, start_time=time(9), end_time=time(9, 30))
    ClosureFactory(clinic=clinic, starts_on=date(2026, 1, 6), ends_on=date(2026, 1, 8))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=date(2026, 1, 9))

    assert [s.starts_at.astimezone(BERLIN).date() for s in planned] == [
        date(2026, 1, 5),
        date(2026, 1, 9),
    ]


@pytest.mark.django_db
def test_plan_slots_ignores_the_closure_of_another_clinic(doctor, clinic, other_clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(9, 30))
    ClosureFactory(clinic=other_clinic, starts_on=WINTER_MONDAY, ends_on=WINTER_MONDAY)

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00"]


# --- Leave, sick days and extra hours -----------------------------------------------------------


@pytest.fixture
def two_clinic_week(doctor, clinic, other_clinic):
    """Monday 09:00-10:00 at ``clinic``, Tuesday 09:00-10:00 at ``other_clinic``."""
    rule(doctor, clinic, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(10))
    rule(doctor, other_clinic, weekday=Weekday.TUESDAY, start_time=time(9), end_time=time(10))
    return WINTER_MONDAY, WINTER_MONDAY + timedelta(days=1)


@pytest.mark.django_db
def test_plan_slots_leave_without_a_clinic_removes_slots_at_every_clinic(doctor, two_clinic_week):
    monday, tuesday = two_clinic_week
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.LEAVE,
        clinic=None,
        starts_at=berlin_time(monday, 0),
        ends_at=berlin_time(tuesday + timedelta(1), 0),
    )

    assert plan_slots(doctor=doctor, first=monday, last=tuesday) == []


@pytest.mark.django_db
def test_plan_slots_leave_at_one_clinic_keeps_the_other_clinics_slots(
    doctor, clinic, other_clinic, two_clinic_week
):
    monday, tuesday = two_clinic_week
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.LEAVE,
        clinic=clinic,
        starts_at=berlin_time(monday, 0),
        ends_at=berlin_time(tuesday + timedelta(1), 0),
    )

    planned = plan_slots(doctor=doctor, first=monday, last=tuesday)

    assert {s.clinic_id for s in planned} == {other_clinic.pk}
    assert local_starts(planned, BERLIN) == ["2026-01-06 09:00", "2026-01-06 09:30"]


@pytest.mark.django_db
def test_plan_slots_removes_only_the_slots_a_partial_leave_touches(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(11))
    ScheduleExceptionFactory(
        doctor=doctor,
        starts_at=berlin_time(WINTER_MONDAY, 9, 45),
        ends_at=berlin_time(WINTER_MONDAY, 10, 15),
    )

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00", "10:30"]


@pytest.mark.django_db
def test_plan_slots_keeps_slots_that_only_touch_the_ends_of_a_leave(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(11))
    ScheduleExceptionFactory(
        doctor=doctor,
        starts_at=berlin_time(WINTER_MONDAY, 9, 30),
        ends_at=berlin_time(WINTER_MONDAY, 10, 30),
    )

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00", "10:30"]


@pytest.mark.django_db
def test_plan_slots_gives_no_slots_on_a_sick_day(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.MONDAY)
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.SICK,
        starts_at=berlin_time(WINTER_MONDAY, 0),
        ends_at=berlin_time(WINTER_MONDAY + timedelta(1), 0),
    )

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY + timedelta(7))

    assert {s.starts_at.astimezone(BERLIN).date() for s in planned} == {date(2026, 1, 12)}


@pytest.mark.django_db
def test_plan_slots_ignores_another_doctors_leave(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(9, 30))
    ScheduleExceptionFactory(
        doctor=DoctorFactory(),
        starts_at=berlin_time(WINTER_MONDAY, 0),
        ends_at=berlin_time(WINTER_MONDAY + timedelta(1), 0),
    )

    assert clock_starts(plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)) == [
        "09:00"
    ]


@pytest.mark.django_db
def test_plan_slots_adds_extra_hours_in_their_own_slot_length(doctor, clinic):
    saturday = WINTER_MONDAY + timedelta(days=5)
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=20,
        starts_at=berlin_time(saturday, 10),
        ends_at=berlin_time(saturday, 11, 10),
    )

    planned = plan_slots(doctor=doctor, first=saturday, last=saturday)

    assert clock_starts(planned) == ["10:00", "10:20", "10:40"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=20) for s in planned)
    assert {(s.clinic_id, s.source) for s in planned} == {(clinic.pk, SlotSource.EXTRA)}


@pytest.mark.django_db
def test_plan_slots_only_adds_the_extra_hours_that_fall_in_the_dates_asked_for(doctor, clinic):
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=60,
        starts_at=berlin_time(WINTER_MONDAY, 22),
        ends_at=berlin_time(WINTER_MONDAY + timedelta(1), 2),
    )

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert local_starts(planned, BERLIN) == ["2026-01-05 22:00", "2026-01-05 23:00"]


@pytest.mark.django_db
def test_plan_slots_extra_hours_over_a_rule_never_overlap_it(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(10))
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=45,
        starts_at=berlin_time(WINTER_MONDAY, 9, 15),
        ends_at=berlin_time(WINTER_MONDAY, 11, 30),
    )

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert_no_two_overlap(planned)
    assert [(t, s.source) for s, t in zip(planned, clock_starts(planned), strict=True)] == [
        ("09:00", SlotSource.RULE),
        ("09:30", SlotSource.RULE),
        ("10:00", SlotSource.EXTRA),
        ("10:45", SlotSource.EXTRA),
    ]


@pytest.mark.django_db
def test_plan_slots_a_sick_day_also_cancels_extra_hours(doctor, clinic):
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.EXTRA_HOURS,
        clinic=clinic,
        slot_minutes=30,
        starts_at=berlin_time(WINTER_MONDAY, 18),
        ends_at=berlin_time(WINTER_MONDAY, 20),
    )
    ScheduleExceptionFactory(
        doctor=doctor,
        kind=ExceptionKind.SICK,
        starts_at=berlin_time(WINTER_MONDAY, 0),
        ends_at=berlin_time(WINTER_MONDAY + timedelta(1), 0),
    )

    assert plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY) == []


# --- Overlapping rules --------------------------------------------------------------------------


@pytest.mark.django_db
def test_plan_slots_two_overlapping_rules_never_give_overlapping_slots(doctor, clinic):
    # clean() forbids this; rows written around it (admin bulk edits, data imports) must not
    # turn into a double-booked doctor.
    rule(doctor, clinic, start_time=time(9), end_time=time(12), slot_minutes=30)
    rule(doctor, clinic, start_time=time(10, 20), end_time=time(13, 30), slot_minutes=45)

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert_no_two_overlap(planned)
    assert clock_starts(planned) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
        "12:35",
    ]


@pytest.mark.django_db
def test_plan_slots_two_identical_rules_give_each_slot_once(doctor, clinic):
    rule(doctor, clinic, start_time=time(9), end_time=time(10))
    rule(doctor, clinic, start_time=time(9), end_time=time(10))

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert clock_starts(planned) == ["09:00", "09:30"]


@pytest.mark.django_db
def test_plan_slots_rules_at_two_clinics_at_the_same_time_never_overlap(
    doctor, clinic, other_clinic
):
    rule(doctor, clinic, start_time=time(9), end_time=time(11), slot_minutes=60)
    rule(doctor, other_clinic, start_time=time(9, 30), end_time=time(11, 30), slot_minutes=30)

    planned = plan_slots(doctor=doctor, first=WINTER_MONDAY, last=WINTER_MONDAY)

    assert_no_two_overlap(planned)
    assert [(s.clinic_id, t) for s, t in zip(planned, clock_starts(planned), strict=True)] == [
        (clinic.pk, "09:00"),
        (clinic.pk, "10:00"),
        (other_clinic.pk, "11:00"),
    ]


# --- Rule validation (what keeps bad rules out in the first place) -----------------------------


@pytest.mark.django_db
def test_schedule_rule_clean_requires_the_doctor_to_offer_a_service_at_the_clinic(doctor):
    elsewhere = ClinicFactory()
    new_rule = ScheduleRule(
        doctor=doctor,
        clinic=elsewhere,
        weekday=Weekday.MONDAY,
        start_time=time(9),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )

    with pytest.raises(ValidationError) as raised:
        new_rule.full_clean()

    assert "clinic" in raised.value.message_dict


@pytest.mark.django_db
def test_schedule_rule_clean_rejects_an_overlap_with_another_active_rule(doctor, clinic):
    rule(doctor, clinic, weekday=Weekday.MONDAY, start_time=time(9), end_time=time(12))
    overlapping = ScheduleRule(
        doctor=doctor,
        clinic=clinic,
        weekday=Weekday.MONDAY,
        start_time=time(11),
        end_time=time(14),
        valid_from=date(2026, 1, 1),
    )

    with pytest.raises(ValidationError, match="overlaps another active rule"):
        overlapping.full_clean()


@pytest.mark.django_db
def test_schedule_rule_clean_accepts_a_rule_that_follows_an_expired_one(doctor, clinic):
    rule(doctor, clinic, valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31))
    successor = ScheduleRule(
        doctor=doctor,
        clinic=clinic,
        weekday=Weekday.MONDAY,
        start_time=time(9),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )

    successor.full_clean()


@pytest.mark.django_db
def test_schedule_rule_clean_reports_a_missing_start_date_as_a_field_error(doctor, clinic):
    rule(doctor, clinic)
    incomplete = ScheduleRule(
        doctor=doctor,
        clinic=clinic,
        weekday=Weekday.MONDAY,
        start_time=time(9),
        end_time=time(12),
        valid_from=None,
    )

    with pytest.raises(ValidationError) as raised:
        incomplete.full_clean()

    assert "valid_from" in raised.value.message_dict
