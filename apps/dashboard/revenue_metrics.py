"""Money figures: revenue per period and currency, refunds, discount quota usage.

Amounts are integer minor units, always grouped by currency: a euro is never added to a
rupee. Bookings earn on the local day of their visit; refunds count on the local day
they succeeded (in the booking's clinic zone), which may be a later period than the visit.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Trunc

from apps.dashboard.expressions import LocalDate
from apps.dashboard.scope import Granularity, Scope, billable, next_period
from apps.payments.models import (
    DiscountClaim,
    DiscountPolicy,
    DiscountQuotaDay,
    Refund,
    RefundStatus,
)


@dataclass(frozen=True)
class CurrencyTotal:
    """Money in one currency (minor units), for a period or for the whole range."""

    currency: str
    gross_minor: int
    discount_minor: int
    promo_minor: int
    refunds_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.discount_minor - self.promo_minor - self.refunds_minor


@dataclass(frozen=True)
class PeriodRevenue(CurrencyTotal):
    period: date
    label: str


def revenue_over_time(scope: Scope) -> list[PeriodRevenue]:
    """One row per period and currency present in the scope (zeros for quiet periods).

    gross: list prices of billable bookings; discount: the discount rule's reductions;
    promo: promo-code reductions; refunds: refunds that succeeded in the period.
    """
    earned = (
        scope.bookings()
        .filter(billable())
        .values("period", "currency")
        .annotate(
            gross=Sum("price_base_minor"),
            discount=Sum("price_discount_minor"),
            promo=Sum("price_promo_minor"),
        )
        .order_by()
    )
    low, high = scope.utc_window
    refund_day = LocalDate("completed_at", "payment__booking__clinic__timezone")
    refunded = (
        Refund.objects.filter(
            payment__booking__clinic__in=scope.clinics,
            status=RefundStatus.SUCCEEDED,
            completed_at__gte=low,
            completed_at__lt=high,
        )
        .annotate(local_day=refund_day)
        .filter(local_day__gte=scope.date_from, local_day__lte=scope.date_to)
        .annotate(period=scope.period_of(refund_day))
        .values("period", "currency")
        .annotate(refunds=Sum("amount_minor"))
        .order_by()
    )
    cells: dict[tuple[date, str], dict] = {}
    for row in [*earned, *refunded]:
        cells.setdefault((row["period"], row["currency"]), {}).update(row)
    currencies = sorted({currency for _period, currency in cells})
    return [
        PeriodRevenue(
            period=first,
            label=scope.period_label(first),
            currency=currency,
            gross_minor=cells.get((first, currency), {}).get("gross") or 0,
            discount_minor=cells.get((first, currency), {}).get("discount") or 0,
            promo_minor=cells.get((first, currency), {}).get("promo") or 0,
            refunds_minor=cells.get((first, currency), {}).get("refunds") or 0,
        )
        for currency in currencies
        for first in scope.periods()
    ]


def revenue_totals(rows: list[PeriodRevenue]) -> list[CurrencyTotal]:
    """Per currency, the sum of the period rows."""
    result = {}
    for row in rows:
        total = result.setdefault(row.currency, [0, 0, 0, 0])
        total[0] += row.gross_minor
        total[1] += row.discount_minor
        total[2] += row.promo_minor
        total[3] += row.refunds_minor
    return [CurrencyTotal(currency, *values) for currency, values in sorted(result.items())]


# --- Discount quota ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodQuota:
    period: date
    label: str
    discounts: int
    released: int
    birthday: int
    threshold: int
    platform_used: int | None
    platform_quota: int | None

    @property
    def platform_rate(self) -> float | None:
        if not self.platform_quota or self.platform_used is None:
            return None
        return self.platform_used / self.platform_quota


def discount_quota_usage(scope: Scope, *, show_platform: bool) -> list[PeriodQuota]:
    """Discounts the scope's clinics took from the daily quota, by quota day.

    Quota days are calendar days in the discount policy's zone (the quota resets there),
    not in each clinic's zone. ``discounts`` counts claims still held; ``released`` those
    given back when the booking fell through. The platform-wide use against the quota
    (``daily_quota`` times the days of the period within range) is shown to platform admins
    only: it counts other clinics' discounts.
    """
    claims = (
        DiscountClaim.objects.filter(
            booking__clinic__in=scope.clinics, day__gte=scope.date_from, day__lte=scope.date_to
        )
        .annotate(period=_date_period(scope))
        .values("period")
        .annotate(
            discounts=Count("pk", filter=Q(released_at__isnull=True)),
            released=Count("pk", filter=Q(released_at__isnull=False)),
            birthday=Count("pk", filter=Q(released_at__isnull=True, reason="birthday")),
            threshold=Count("pk", filter=Q(released_at__isnull=True, reason="threshold")),
        )
        .order_by()
    )
    by_period = {row["period"]: row for row in claims}
    platform: dict[date, int] = {}
    daily_quota = 0
    if show_platform:
        daily_quota = _daily_quota()
        platform = {
            row["period"]: row["used"]
            for row in DiscountQuotaDay.objects.filter(
                day__gte=scope.date_from, day__lte=scope.date_to
            )
            .annotate(period=_date_period(scope))
            .values("period")
            .annotate(used=Sum("used"))
            .order_by()
        }
    result = []
    for first in scope.periods():
        row = by_period.get(first, {})
        days = _days_in_range(scope, first)
        result.append(
            PeriodQuota(
                period=first,
                label=scope.period_label(first),
                discounts=row.get("discounts", 0),
                released=row.get("released", 0),
                birthday=row.get("birthday", 0),
                threshold=row.get("threshold", 0),
                platform_used=platform.get(first, 0) if show_platform else None,
                platform_quota=daily_quota * days if show_platform else None,
            )
        )
    return result


def _date_period(scope: Scope):
    if scope.granularity == Granularity.DAY:
        return F("day")
    return Trunc("day", scope.granularity, output_field=DateField())


def _days_in_range(scope: Scope, first: date) -> int:
    end = min(next_period(first, scope.granularity), scope.date_to + timedelta(days=1))
    return (end - max(first, scope.date_from)).days


def _daily_quota() -> int:
    """The policy's daily quota, read without creating the policy row (a GET writes nothing)."""
    quota = DiscountPolicy.objects.filter(pk=1).values_list("daily_quota", flat=True).first()
    return quota if quota is not None else DiscountPolicy._meta.get_field("daily_quota").default
