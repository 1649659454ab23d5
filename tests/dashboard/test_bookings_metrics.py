from datetime import UTC, date, datetime, timedelta

import pytest

from apps.bookings.models import BookingStatus
from apps.dashboard import bookings_metrics
from apps.timeslots.models import SlotStatus
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ServiceOfferingFactory
from tests.dashboard.helpers import Place, scope_of
from tests.doctors.factories import DoctorFactory
from tests.timeslots.factories import SlotFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)


def _counts(rows):
    return {row.period: row.bookings for row in rows if row.bookings}


def test_a_booking_at_half_past_midnight_in_kolkata_lands_on_the_local_day():
    kolkata = Place("Asia/Kolkata", "INR")
    booking = kolkata.book(kolkata.at(DAY, 0, 30))
    assert booking.starts_at.astimezone(UTC).date() == DAY - timedelta(days=1)  # UTC: the 14th

    rows = bookings_metrics.bookings_over_time(scope_of([kolkata.clinic], DAY - timedelta(1), DAY))

    assert _counts(rows) == {DAY: 1}


def test_a_late_evening_booking_in_new_york_stays_on_its_local_day():
    new_york = Place("America/New_York", "USD")
    booking = new_york.book(new_york.at(DAY, 23, 30))
    assert booking.starts_at.astimezone(UTC).date() == DAY + timedelta(days=1)  # UTC: the 16th

    on_the_day = bookings_metrics.bookings_over_time(scope_of([new_york.clinic], DAY, DAY))
    next_day = bookings_metrics.bookings_over_time(
        scope_of([new_york.clinic], DAY + timedelta(1), DAY + timedelta(1))
    )

    assert _counts(on_the_day) == {DAY: 1}
    assert _counts(next_day) == {}


def test_clinics_in_different_zones_are_dated_in_one_query_each_on_its_own_calendar(
    django_assert_num_queries,
):
    kolkata, new_york = Place("Asia/Kolkata", "INR"), Place("America/New_York", "USD")
    kolkata.book(kolkata.at(DAY, 0, 30))  # 14 Jan 19:00 UTC
    new_york.book(new_york.at(DAY, 23, 30))  # 16 Jan 04:30 UTC
    scope = scope_of([kolkata.clinic, new_york.clinic], DAY - timedelta(1), DAY + timedelta(1))

    with django_assert_num_queries(1):
        rows = bookings_metrics.bookings_over_time(scope)

    assert _counts(rows) == {DAY: 2}


def test_bookings_over_time_counts_statuses_and_leaves_out_lapsed_holds():
    place = Place()
    statuses = [
        BookingStatus.COMPLETED,
        BookingStatus.COMPLETED,
        BookingStatus.CHECKED_IN,
        BookingStatus.NO_SHOW,
        BookingStatus.CANCELLED,
        BookingStatus.CONFIRMED,
        BookingStatus.EXPIRED,
        BookingStatus.PAYMENT_FAILED,
    ]
    for hour, status in enumerate(statuses, start=8):
        place.book(place.at(DAY, hour), status=status)
    place.book(place.at(DAY + timedelta(days=1), 9), status=BookingStatus.CANCELLED)

    rows = bookings_metrics.bookings_over_time(
        scope_of([place.clinic], DAY, DAY + timedelta(days=2))
    )

    first, second, third = rows
    assert (first.bookings, first.attended, first.cancelled, first.no_shows) == (6, 3, 1, 1)
    assert first.cancellation_rate == pytest.approx(1 / 6)
    assert first.no_show_rate == pytest.approx(1 / 4)  # 1 no-show among 3 attended + 1 missed
    assert (second.bookings, second.cancelled, second.cancellation_rate) == (1, 1, 1.0)
    assert second.no_show_rate is None  # no visit came due
    assert (third.bookings, third.running_total) == (0, 7)
    assert [r.running_total for r in rows] == [6, 7, 7]
    totals = bookings_metrics.totals(rows)
    assert (totals.bookings, totals.cancelled) == (7, 2)


def test_weeks_start_on_monday_and_months_on_the_first_and_quiet_periods_show_zero():
    place = Place()
    place.book(place.at(date(2026, 1, 4), 10))  # Sunday: week of Monday 29 December
    place.book(place.at(date(2026, 1, 5), 10))  # Monday: a new week
    place.book(place.at(date(2026, 3, 2), 10))
    clinics = [place.clinic]

    weeks = bookings_metrics.bookings_over_time(
        scope_of(clinics, date(2026, 1, 1), date(2026, 1, 18), "week")
    )
    months = bookings_metrics.bookings_over_time(
        scope_of(clinics, date(2026, 1, 1), date(2026, 3, 31), "month")
    )

    assert [(r.period, r.bookings) for r in weeks] == [
        (date(2025, 12, 29), 1),
        (date(2026, 1, 5), 1),
        (date(2026, 1, 12), 0),
    ]
    assert [(r.period, r.bookings) for r in months] == [
        (date(2026, 1, 1), 2),
        (date(2026, 2, 1), 0),
        (date(2026, 3, 1), 1),
    ]


def test_other_clinics_bookings_are_not_counted():
    mine, theirs = Place(), Place()
    mine.book(mine.at(DAY, 9))
    theirs.book(theirs.at(DAY, 9))
    theirs.book(theirs.at(DAY, 10))

    rows = bookings_metrics.bookings_over_time(scope_of([mine.clinic], DAY, DAY))

    assert _counts(rows) == {DAY: 1}


def test_lead_time_buckets_and_average():
    place = Place()
    for hour, ahead in enumerate(
        [timedelta(hours=3), timedelta(days=1), timedelta(days=5), timedelta(days=40)], start=8
    ):
        place.book(place.at(DAY, hour), booked_ahead=ahead)
    place.book(place.at(DAY, 14), booked_ahead=timedelta(hours=-1))  # written up late: zero

    lead = bookings_metrics.lead_time(scope_of([place.clinic], DAY, DAY))

    assert [b.bookings for b in lead.buckets] == [2, 1, 1, 0, 0, 1]
    expected = (timedelta(hours=3) + timedelta(days=1) + timedelta(days=5) + timedelta(days=40)) / 5
    assert lead.average == expected


def test_top_services_and_doctors_are_ranked_with_ties_and_revenue_per_currency():
    place = Place(price=5000)
    second_service = ServiceOfferingFactory(
        clinic=place.clinic, name="Skin check", price_minor=8000
    )
    other_doctor = DoctorFactory(services=[second_service])
    for hour in (8, 9, 10):
        place.book(place.at(DAY, hour))
    place.book(place.at(DAY, 11), status=BookingStatus.CANCELLED)  # counts, earns nothing
    place.book(place.at(DAY, 9), service=second_service, doctor=other_doctor, discount=800)
    place.book(place.at(DAY, 10), service=second_service, doctor=other_doctor)
    place.book(place.at(DAY, 11), service=second_service, doctor=other_doctor, status="no_show")
    place.book(place.at(DAY, 12), service=second_service, doctor=other_doctor)

    services = bookings_metrics.top_services(scope_of([place.clinic], DAY, DAY))
    doctors = bookings_metrics.top_doctors(scope_of([place.clinic], DAY, DAY))

    assert [(s.rank, s.service, s.bookings, s.attended) for s in services] == [
        (1, place.service.name, 4, 3),
        (1, "Skin check", 4, 3),
    ]
    revenue = {s.service: (s.revenue_minor, s.currency) for s in services}
    assert revenue[place.service.name] == (15000, "EUR")
    assert revenue["Skin check"] == (8000 * 4 - 800, "EUR")  # a no-show is billable
    assert sorted((d.rank, d.bookings, d.no_shows) for d in doctors) == [(1, 4, 0), (1, 4, 1)]


def test_top_doctors_rank_by_bookings():
    place = Place()
    busy = DoctorFactory(services=[place.service])
    for hour in (8, 9):
        place.book(place.at(DAY, hour), doctor=busy)
    place.book(place.at(DAY, 8))

    doctors = bookings_metrics.top_doctors(scope_of([place.clinic], DAY, DAY))

    assert [(d.rank, d.bookings) for d in doctors] == [(1, 2), (2, 1)]


def test_utilisation_is_booked_minutes_over_open_slot_minutes_on_local_days():
    place = Place("Asia/Kolkata", "INR")
    for hour in (0, 9, 10, 11):  # 00:00 local is the evening before in UTC: still this day
        SlotFactory(doctor=place.doctor, clinic=place.clinic, starts_at=place.at(DAY, hour))
    SlotFactory(
        doctor=place.doctor,
        clinic=place.clinic,
        starts_at=place.at(DAY, 12),
        status=SlotStatus.BLOCKED,
    )
    SlotFactory(doctor=place.doctor, clinic=place.clinic, starts_at=place.at(DAY + timedelta(1), 9))
    place.book(place.at(DAY, 0))
    place.book(place.at(DAY, 9), status=BookingStatus.CONFIRMED)
    place.book(place.at(DAY, 10), status=BookingStatus.CANCELLED)  # gives the time back

    (row,) = bookings_metrics.doctor_utilisation(scope_of([place.clinic], DAY, DAY))

    assert (row.offered_minutes, row.booked_minutes) == (120, 60)
    assert row.rate == 0.5


def test_utilisation_lists_a_doctor_with_bookings_but_no_open_slots():
    place = Place()
    place.book(place.at(DAY, 9), patient=PatientFactory())

    (row,) = bookings_metrics.doctor_utilisation(scope_of([place.clinic], DAY, DAY))

    assert (row.offered_minutes, row.booked_minutes, row.rate) == (0, 30, None)


def test_the_utc_window_covers_the_extreme_zones():
    scope = scope_of([], DAY, DAY)
    low, high = scope.utc_window
    kiritimati = datetime(
        2026, 1, 15, 0, 0, tzinfo=__import__("zoneinfo").ZoneInfo("Pacific/Kiritimati")
    )
    baker = datetime(2026, 1, 15, 23, 59, tzinfo=__import__("zoneinfo").ZoneInfo("Etc/GMT+12"))
    assert low <= kiritimati < high
    assert low <= baker < high
