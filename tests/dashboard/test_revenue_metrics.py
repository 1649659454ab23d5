from datetime import date, timedelta

import pytest

from apps.bookings.models import BookingStatus
from apps.dashboard import revenue_metrics
from apps.payments.models import DiscountClaim, DiscountQuotaDay, RefundStatus
from tests.dashboard.helpers import Place, paid, refunded, scope_of
from tests.payments.factories import set_policy

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)
NEXT = DAY + timedelta(days=1)


def _cells(rows):
    return {
        (r.period, r.currency): (r.gross_minor, r.discount_minor, r.promo_minor, r.refunds_minor)
        for r in rows
    }


def test_revenue_is_gross_less_reductions_and_refunds_dated_when_they_succeeded():
    place = Place(price=10000)
    place.book(place.at(DAY, 9))  # completed: 100.00
    place.book(place.at(DAY, 10), status=BookingStatus.NO_SHOW, discount=1000)  # billable
    place.book(place.at(DAY, 11), status=BookingStatus.CONFIRMED, promo=500)
    place.book(place.at(DAY, 12), status=BookingStatus.CANCELLED)  # nothing taken: no revenue
    cancelled_paid = place.book(place.at(DAY, 13), status=BookingStatus.CANCELLED)
    refunded(paid(cancelled_paid), 7000, place.at(NEXT, 0, 15))  # refund on the next local day
    place.book(place.at(DAY, 14), status=BookingStatus.EXPIRED)  # fell through
    place.book(place.at(DAY, 15), status=BookingStatus.HELD)  # not agreed yet
    failed = place.book(place.at(DAY, 16))
    refunded(paid(failed), 2000, None, status=RefundStatus.FAILED)  # never happened

    rows = revenue_metrics.revenue_over_time(scope_of([place.clinic], DAY, NEXT))

    assert _cells(rows) == {
        (DAY, "EUR"): (50000, 1000, 500, 0),
        (NEXT, "EUR"): (0, 0, 0, 7000),
    }
    by_day = {r.period: r.net_minor for r in rows}
    assert by_day == {DAY: 48500, NEXT: -7000}
    (total,) = revenue_metrics.revenue_totals(rows)
    assert (total.currency, total.net_minor) == ("EUR", 41500)


def test_a_refund_just_after_local_midnight_in_kolkata_belongs_to_that_local_day():
    kolkata = Place("Asia/Kolkata", "INR", price=100000)
    booking = kolkata.book(kolkata.at(DAY - timedelta(days=3), 10), status=BookingStatus.CANCELLED)
    refunded(paid(booking), 40000, kolkata.at(DAY, 0, 30))  # 14 Jan 19:00 UTC

    on_the_day = revenue_metrics.revenue_over_time(scope_of([kolkata.clinic], DAY, DAY))
    day_before = revenue_metrics.revenue_over_time(
        scope_of([kolkata.clinic], DAY - timedelta(1), DAY - timedelta(1))
    )

    assert _cells(on_the_day) == {(DAY, "INR"): (0, 0, 0, 40000)}
    assert _cells(day_before) == {}


def test_currencies_are_never_added_together():
    berlin, bengaluru = Place(price=4500), Place("Asia/Kolkata", "INR", price=80000)
    berlin.book(berlin.at(DAY, 9))
    bengaluru.book(bengaluru.at(DAY, 9))

    rows = revenue_metrics.revenue_over_time(scope_of([berlin.clinic, bengaluru.clinic], DAY, DAY))
    totals = revenue_metrics.revenue_totals(rows)

    assert _cells(rows) == {(DAY, "EUR"): (4500, 0, 0, 0), (DAY, "INR"): (80000, 0, 0, 0)}
    assert [(t.currency, t.gross_minor) for t in totals] == [("EUR", 4500), ("INR", 80000)]


def test_refunds_of_other_clinics_are_not_counted():
    mine, theirs = Place(), Place()
    booking = theirs.book(theirs.at(DAY, 9), status=BookingStatus.CANCELLED)
    refunded(paid(booking), 4500, theirs.at(DAY, 12))

    assert revenue_metrics.revenue_over_time(scope_of([mine.clinic], DAY, DAY)) == []


def test_discount_quota_usage_counts_the_scopes_claims_and_shows_the_platform_total_on_request():
    set_policy(daily_quota=5)
    mine, theirs = Place(), Place()
    kept = mine.book(mine.at(DAY, 9), discount=450)
    birthday = mine.book(mine.at(DAY, 10), discount=450)
    lapsed = mine.book(mine.at(DAY, 11), status=BookingStatus.EXPIRED)
    other = theirs.book(theirs.at(DAY, 9), discount=450)
    DiscountClaim.objects.create(booking=kept, day=DAY, reason="threshold")
    DiscountClaim.objects.create(booking=birthday, day=DAY, reason="birthday")
    DiscountClaim.objects.create(
        booking=lapsed, day=DAY, reason="threshold", released_at=lapsed.starts_at
    )
    DiscountClaim.objects.create(booking=other, day=DAY, reason="threshold")
    DiscountQuotaDay.objects.create(day=DAY, used=3)

    scope = scope_of([mine.clinic], DAY, NEXT)
    for_manager = revenue_metrics.discount_quota_usage(scope, show_platform=False)
    for_admin = revenue_metrics.discount_quota_usage(scope, show_platform=True)

    first = for_manager[0]
    assert (first.discounts, first.birthday, first.threshold, first.released) == (2, 1, 1, 1)
    assert first.platform_used is None
    assert first.platform_quota is None
    assert [(r.platform_used, r.platform_quota) for r in for_admin] == [(3, 5), (0, 5)]
    assert for_admin[0].platform_rate == 0.6


def test_weekly_quota_capacity_counts_only_the_days_in_range():
    set_policy(daily_quota=10)
    place = Place()
    # Thursday 15 to Tuesday 20 January: 4 days of the first week, 2 of the next.
    rows = revenue_metrics.discount_quota_usage(
        scope_of([place.clinic], DAY, date(2026, 1, 20), "week"), show_platform=True
    )
    assert [r.platform_quota for r in rows] == [40, 20]
