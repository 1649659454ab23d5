"""One pricing service: the breakdown shown before paying is the one the booking stores.

``price_quote`` computes without claiming anything (for the summary page). ``Claimer`` is
the pricer handed to ``booking_create``: it computes the same way under the booking's
locks and claims the daily discount quota and the promo code use atomically, in that
order (every writer locks doctor, patient, quota day, promo code). The claim rows are
attached to the booking right after it is written, in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from apps.bookings.pricing import PriceBreakdown, PricingContext
from apps.core.money import Money
from apps.payments.exceptions import DiscountQuotaUsedUp, PromoCodeInvalid
from apps.payments.models import (
    DiscountClaim,
    DiscountPolicy,
    DiscountQuotaDay,
    PromoCode,
    PromoKind,
    PromoRedemption,
    WhenQuotaUsedUp,
)


def discount_policy() -> DiscountPolicy:
    policy, _created = DiscountPolicy.objects.get_or_create(pk=1)
    return policy


def is_birthday(date_of_birth: date | None, day: date) -> bool:
    """Her birthday on ``day``; someone born on 29 February celebrates on 28 February in
    common years (as most civil registries count a leap-day birthday)."""
    if date_of_birth is None:
        return False
    if (date_of_birth.month, date_of_birth.day) == (day.month, day.day):
        return True
    leap_day = (date_of_birth.month, date_of_birth.day) == (2, 29)
    return leap_day and (day.month, day.day) == (2, 28) and not _is_leap(day.year)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def discount_reason(policy: DiscountPolicy, context: PricingContext) -> str | None:
    """Why the discount rule applies to this booking ("birthday", "threshold"), or None.

    The birthday is the day of booking in the clinic's time zone.
    """
    if not policy.is_active:
        return None
    profile = getattr(context.patient, "patient_profile", None)
    if policy.birthday_rule and profile is not None and profile.sex == "female":
        today = context.now.astimezone(ZoneInfo(context.clinic.timezone)).date()
        if is_birthday(profile.date_of_birth, today):
            return "birthday"
    base = context.service.price_minor
    if (
        policy.threshold_rule
        and context.clinic.currency == policy.threshold_currency
        and base > policy.threshold_minor
    ):
        return "threshold"
    return None


def quota_day(policy: DiscountPolicy, now: datetime) -> date:
    """The quota's day at ``now``: it resets at midnight in the policy's zone."""
    return now.astimezone(ZoneInfo(policy.quota_timezone)).date()


@dataclass(frozen=True)
class Quote:
    """A price with what it took to get there, and what the patient should be told."""

    price: PriceBreakdown
    discount_reason: str | None = None
    promo: PromoCode | None = None
    notice: str = ""


def price_quote(context: PricingContext, *, promo_code: str = "") -> Quote:
    """The price the patient would pay now (nothing claimed). Raises PromoCodeInvalid."""
    return _price(context, promo_code=promo_code, claim=False)


@dataclass
class Claimer:
    """A pricer for ``booking_create`` that claims as it prices. Call ``attach`` with the
    booking it priced, inside the same transaction."""

    promo_code: str = ""
    quote: Quote | None = field(default=None, init=False)
    _quota_day: date | None = field(default=None, init=False)

    def __call__(self, context: PricingContext) -> PriceBreakdown:
        self.quote = _price(context, promo_code=self.promo_code, claim=True, claimer=self)
        return self.quote.price

    def attach(self, booking) -> None:
        quote = self.quote
        if quote is None:
            return
        if self._quota_day is not None:
            DiscountClaim.objects.create(
                booking=booking, day=self._quota_day, reason=quote.discount_reason
            )
        if quote.promo is not None:
            PromoRedemption.objects.create(
                promo=quote.promo,
                booking=booking,
                patient=booking.patient,
                amount_minor=quote.price.promo.amount_minor,
            )


def _price(
    context: PricingContext, *, promo_code: str, claim: bool, claimer: Claimer | None = None
) -> Quote:
    currency = context.clinic.currency
    base = Money(context.service.price_minor, currency)
    zero = Money(0, currency)
    policy = discount_policy()
    reason = discount_reason(policy, context)
    discount, notice = zero, ""
    if reason is not None:
        if claim:
            won = _claim_quota(policy, context.now)
            if won:
                claimer._quota_day = quota_day(policy, context.now)
        else:
            won = _quota_left(policy, context.now)
        if won:
            discount = base.percent(policy.percent)
        elif policy.when_quota_used_up == WhenQuotaUsedUp.REFUSE:
            raise DiscountQuotaUsedUp()
        else:
            reason = None
            notice = str(
                _("Today's discounts are all taken, so this booking is at the full price.")
            )
    promo = None
    promo_off = zero
    if promo_code.strip():
        promo = _promo_for(promo_code, context, lock=claim)
        promo_off = _promo_amount(promo, base - discount)
    return Quote(
        price=PriceBreakdown(base=base, discount=discount, promo=promo_off),
        discount_reason=reason,
        promo=promo,
        notice=notice,
    )


def _quota_left(policy: DiscountPolicy, now: datetime) -> bool:
    used = (
        DiscountQuotaDay.objects.filter(day=quota_day(policy, now))
        .values_list("used", flat=True)
        .first()
    )
    return (used or 0) < policy.daily_quota


def _claim_quota(policy: DiscountPolicy, now: datetime) -> bool:
    """Take one of the day's discounts, atomically: the guarded UPDATE waits for a
    concurrent claimer's row lock and re-checks ``used`` after it commits."""
    day = quota_day(policy, now)
    if not DiscountQuotaDay.objects.filter(day=day).exists():
        try:
            with transaction.atomic():
                DiscountQuotaDay.objects.create(day=day)
        except IntegrityError:
            pass  # created by a concurrent claimer a moment ago: the UPDATE below counts
    return bool(
        DiscountQuotaDay.objects.filter(day=day, used__lt=policy.daily_quota).update(
            used=F("used") + 1
        )
    )


def _promo_for(code: str, context: PricingContext, *, lock: bool) -> PromoCode:
    rows = PromoCode.objects.select_for_update() if lock else PromoCode.objects
    promo = rows.filter(code=code.strip().upper(), is_active=True).first()
    if promo is None:
        raise PromoCodeInvalid(_("This promo code does not exist."))
    if not promo.valid_from <= context.now < promo.valid_until:
        raise PromoCodeInvalid(_("This promo code is not valid today."))
    if promo.kind == PromoKind.FIXED and promo.currency != context.clinic.currency:
        raise PromoCodeInvalid(_("This promo code is not valid at this clinic."))
    clinic_ids = set(promo.clinics.values_list("pk", flat=True))
    if clinic_ids and context.clinic.pk not in clinic_ids:
        raise PromoCodeInvalid(_("This promo code is not valid at this clinic."))
    service_ids = set(promo.services.values_list("pk", flat=True))
    if service_ids and context.service.pk not in service_ids:
        raise PromoCodeInvalid(_("This promo code is not valid for this service."))
    # Under the promo row's lock (when claiming) these counts cannot change underneath.
    active = promo.redemptions.filter(released_at__isnull=True)
    if promo.max_uses is not None and active.count() >= promo.max_uses:
        raise PromoCodeInvalid(_("This promo code has been used up."))
    if active.filter(patient=context.patient).count() >= promo.max_uses_per_patient:
        raise PromoCodeInvalid(_("You have already used this promo code."))
    return promo


def _promo_amount(promo: PromoCode, remaining: Money) -> Money:
    if promo.kind == PromoKind.PERCENT:
        off = remaining.percent(promo.percent)
    else:
        off = Money(min(promo.amount_minor, remaining.amount_minor), remaining.currency)
    return off
