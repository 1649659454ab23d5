"""Pricing: the discount rule, its daily quota, promo codes, and the breakdown a booking keeps."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from apps.accounts.models import PatientProfile
from apps.bookings.models import Booking, BookingEvent, EventKind
from apps.bookings.pricing import PricingContext
from apps.payments import pricing
from apps.payments.exceptions import DiscountQuotaUsedUp, PromoCodeInvalid
from apps.payments.models import (
    DiscountClaim,
    DiscountQuotaDay,
    Payment,
    PromoRedemption,
    WhenQuotaUsedUp,
)
from tests.accounts.factories import PatientFactory
from tests.clinics.factories import ClinicFactory, ServiceOfferingFactory
from tests.conftest import build_world
from tests.payments.factories import PromoCodeFactory, book, make_prepaid, no_discounts, set_policy

pytestmark = pytest.mark.django_db

THRESHOLD = {"birthday_rule": False, "threshold_minor": 15000, "threshold_currency": "EUR"}


def context(*, patient, price=4500, currency="EUR", zone="Europe/Berlin", now=None, clinic=None):
    clinic = clinic or ClinicFactory(currency=currency, timezone=zone)
    service = ServiceOfferingFactory(clinic=clinic, price_minor=price)
    now = now or timezone.now()
    return PricingContext(
        patient=patient, service=service, clinic=clinic, starts_at=now + timedelta(days=2), now=now
    )


def female(born: date | None):
    patient = PatientFactory()
    PatientProfile.objects.filter(user=patient).update(sex="female", date_of_birth=born)
    patient.refresh_from_db()
    return patient


def breakdown(quote) -> tuple[int, int, int, int]:
    p = quote.price
    return (
        p.base.amount_minor,
        p.discount.amount_minor,
        p.promo.amount_minor,
        p.total.amount_minor,
    )


# --- The discount rule --------------------------------------------------------------------------


def test_without_a_rule_the_list_price_is_the_price(patient):
    set_policy(percent=10, **THRESHOLD)

    quote = pricing.price_quote(context(patient=patient, price=4500))

    assert breakdown(quote) == (4500, 0, 0, 4500)
    assert quote.discount_reason is None
    assert quote.notice == ""


@pytest.mark.parametrize(
    ("price", "currency", "reason", "discount"),
    [
        (15001, "EUR", "threshold", 1500),
        (15000, "EUR", None, 0),
        (14999, "EUR", None, 0),
        (90000, "USD", None, 0),
        (90000, "CHF", None, 0),
    ],
)
def test_the_threshold_rule_applies_strictly_above_and_only_in_its_currency(
    patient, price, currency, reason, discount
):
    set_policy(percent=10, **THRESHOLD)

    quote = pricing.price_quote(context(patient=patient, price=price, currency=currency))

    assert quote.discount_reason == reason
    assert quote.price.discount.amount_minor == discount


def test_an_inactive_policy_gives_no_discount(patient):
    set_policy(is_active=False, **THRESHOLD)

    assert pricing.price_quote(context(patient=patient, price=90000)).discount_reason is None


def test_a_discount_is_rounded_half_up_to_whole_minor_units(patient):
    set_policy(percent=10, threshold_rule=True, threshold_minor=100, birthday_rule=False)

    quote = pricing.price_quote(context(patient=patient, price=15005))

    # 10 % of 150.05 is 15.005: half a cent rounds up, and it stays an int.
    assert breakdown(quote) == (15005, 1501, 0, 13504)
    assert all(type(n) is int for n in breakdown(quote))


BIRTHDAY = {"birthday_rule": True, "threshold_rule": False, "percent": 20}


def test_a_woman_gets_the_birthday_discount_on_her_birthday():
    set_policy(**BIRTHDAY)
    now = datetime(2031, 6, 15, 12, 0, tzinfo=UTC)

    quote = pricing.price_quote(context(patient=female(date(1990, 6, 15)), now=now))

    assert quote.discount_reason == "birthday"
    assert breakdown(quote) == (4500, 900, 0, 3600)


@pytest.mark.parametrize("sex", ["male", "other", "undisclosed"])
def test_the_birthday_rule_is_for_female_patients_only(sex):
    set_policy(**BIRTHDAY)
    patient = PatientFactory()
    PatientProfile.objects.filter(user=patient).update(sex=sex, date_of_birth=date(1990, 6, 15))
    patient.refresh_from_db()
    now = datetime(2031, 6, 15, 12, 0, tzinfo=UTC)

    assert pricing.price_quote(context(patient=patient, now=now)).discount_reason is None


def test_no_birthday_discount_the_day_after_or_without_a_date_of_birth():
    set_policy(**BIRTHDAY)
    now = datetime(2031, 6, 16, 12, 0, tzinfo=UTC)

    assert (
        pricing.price_quote(context(patient=female(date(1990, 6, 15)), now=now)).discount_reason
        is None
    )
    assert pricing.price_quote(context(patient=female(None), now=now)).discount_reason is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [("Pacific/Auckland", "birthday"), ("Europe/London", None)],
)
def test_the_birthday_is_the_day_in_the_clinics_time_zone(zone, expected):
    """23:30 UTC on 14 January: already 15 January in Auckland (UTC+13), still the 14th in
    London (UTC+0 in winter)."""
    set_policy(**BIRTHDAY)
    now = datetime(2031, 1, 14, 23, 30, tzinfo=UTC)

    quote = pricing.price_quote(context(patient=female(date(1990, 1, 15)), zone=zone, now=now))

    assert quote.discount_reason == expected


def test_a_booking_made_late_in_utc_counts_at_an_auckland_clinic_not_in_london():
    """The same rule end to end: booked at 23:30 UTC the day before their birthday."""
    set_policy(**BIRTHDAY)
    her, twin = female(date(1990, 1, 15)), female(date(1990, 1, 15))
    with time_machine.travel(datetime(2031, 1, 14, 23, 30, tzinfo=UTC), tick=False):
        auckland = build_world(clinic=ClinicFactory(timezone="Pacific/Auckland"), slot_count=1)
        london = build_world(clinic=ClinicFactory(timezone="Europe/London"), slot_count=1)
        there = book(auckland, her)
        here = book(london, twin)

    assert (there.price_discount_minor, there.discount_claim.reason) == (900, "birthday")
    assert here.price_discount_minor == 0
    assert not DiscountClaim.objects.filter(booking=here).exists()


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2031, 2, 28), True),  # a common year: she celebrates on 28 February
        (date(2031, 3, 1), False),
        (date(2032, 2, 29), True),  # a leap year: on the day itself
        (date(2032, 2, 28), False),  # ... and not the day before
        (date(2100, 2, 28), True),  # 2100 is not a leap year
    ],
)
def test_a_29_february_birthday(today, expected):
    assert pricing.is_birthday(date(2004, 2, 29), today) is expected


def test_a_29_february_birthday_discount_on_28_february_of_a_common_year():
    set_policy(**BIRTHDAY)
    patient = female(date(2004, 2, 29))

    on_28th = pricing.price_quote(
        context(patient=patient, now=datetime(2031, 2, 28, 12, tzinfo=UTC))
    )
    on_1st = pricing.price_quote(context(patient=patient, now=datetime(2031, 3, 1, 12, tzinfo=UTC)))

    assert (on_28th.discount_reason, on_1st.discount_reason) == ("birthday", None)


# --- The daily quota ----------------------------------------------------------------------------


def test_the_quota_day_turns_at_midnight_in_the_policys_zone():
    policy = set_policy(quota_timezone="Asia/Tokyo")
    tokyo = ZoneInfo("Asia/Tokyo")

    before = pricing.quota_day(policy, datetime(2031, 5, 1, 23, 59, tzinfo=tokyo))
    after = pricing.quota_day(policy, datetime(2031, 5, 2, 0, 1, tzinfo=tokyo))

    assert (before, after) == (date(2031, 5, 1), date(2031, 5, 2))
    # 00:01 in Tokyo is still the previous day in UTC: the zone decides, not UTC.
    assert datetime(2031, 5, 2, 0, 1, tzinfo=tokyo).astimezone(UTC).date() == date(2031, 5, 1)


def expensive_world():
    """A clinic whose service costs 200.00 EUR: above the threshold, so discounted."""
    world = build_world(slot_count=6)
    world.service.price_minor = 20000
    world.service.save()
    return world


def test_claims_at_23_59_and_00_01_local_land_on_different_days_and_the_quota_resets():
    set_policy(percent=10, daily_quota=1, quota_timezone="America/New_York", **THRESHOLD)
    new_york = ZoneInfo("America/New_York")
    first, second, third = PatientFactory.create_batch(3)
    with time_machine.travel(datetime(2031, 3, 10, 23, 59, tzinfo=new_york), tick=False):
        world = expensive_world()
        late = book(world, first, slot=0)
        full = book(world, second, slot=1)
    with time_machine.travel(datetime(2031, 3, 11, 0, 1, tzinfo=new_york), tick=False):
        early = book(world, third, slot=2)

    assert late.discount_claim.day == date(2031, 3, 10)
    assert full.price_discount_minor == 0  # the day's one discount was taken
    assert early.discount_claim.day == date(2031, 3, 11)  # a new day, a new quota
    assert early.price_discount_minor == 2000
    assert dict(DiscountQuotaDay.objects.values_list("day", "used")) == {
        date(2031, 3, 10): 1,
        date(2031, 3, 11): 1,
    }


def test_when_the_quota_is_used_up_the_booking_is_at_full_price_with_a_notice(patient):
    set_policy(daily_quota=1, when_quota_used_up=WhenQuotaUsedUp.FULL_PRICE, **THRESHOLD)
    world = expensive_world()
    book(world, PatientFactory(), slot=0)

    quote = pricing.price_quote(
        context(patient=patient, clinic=world.clinic, price=20000), promo_code=""
    )
    booking = book(world, patient, slot=1)

    assert quote.discount_reason is None
    assert "full price" in quote.notice
    assert breakdown(quote) == (20000, 0, 0, 20000)
    assert (booking.price_discount_minor, booking.price_total_minor) == (0, 20000)
    assert booking.price_notice == quote.notice  # what the booking page tells the patient
    assert not DiscountClaim.objects.filter(booking=booking).exists()
    assert DiscountQuotaDay.objects.get().used == 1


def test_when_the_quota_is_used_up_and_refusing_nothing_is_written(patient):
    set_policy(daily_quota=1, when_quota_used_up=WhenQuotaUsedUp.REFUSE, **THRESHOLD)
    world = make_prepaid(expensive_world())
    promo = PromoCodeFactory(code="SPRING")
    book(world, PatientFactory(), slot=0)
    bookings, events = Booking.objects.count(), BookingEvent.objects.count()

    with pytest.raises(DiscountQuotaUsedUp):
        pricing.price_quote(context(patient=patient, clinic=world.clinic, price=20000))
    with pytest.raises(DiscountQuotaUsedUp):
        book(world, patient, slot=1, promo_code="spring")

    assert Booking.objects.count() == bookings
    assert BookingEvent.objects.count() == events
    assert not Booking.objects.filter(patient=patient).exists()
    assert DiscountClaim.objects.count() == 1
    assert DiscountQuotaDay.objects.get().used == 1
    assert not promo.redemptions.exists()
    assert Payment.objects.count() == 1


def test_a_quote_claims_nothing(patient):
    set_policy(daily_quota=1, **THRESHOLD)
    promo = PromoCodeFactory(code="LOOK", max_uses=1)
    world = expensive_world()

    for _ in range(3):
        pricing.price_quote(
            context(patient=patient, clinic=world.clinic, price=20000), promo_code="LOOK"
        )

    assert DiscountQuotaDay.objects.filter(used__gt=0).count() == 0
    assert not promo.redemptions.exists()
    booking = book(world, patient, promo_code="LOOK")
    assert booking.price_discount_minor == 2000
    assert booking.price_promo_minor == 1800


# --- Promo codes --------------------------------------------------------------------------------


def test_a_percent_code_is_taken_off_what_is_left_after_the_discount(patient):
    set_policy(percent=10, **THRESHOLD)
    PromoCodeFactory(code="TEN", percent=10)

    quote = pricing.price_quote(context(patient=patient, price=20000), promo_code=" ten ")

    # 10 % of 180.00 (after the discount), not of 200.00.
    assert breakdown(quote) == (20000, 2000, 1800, 16200)
    assert quote.promo.code == "TEN"


def test_a_fixed_code_takes_its_amount_off(patient):
    no_discounts()
    PromoCodeFactory(code="FIVER", fixed=True, amount_minor=500)

    quote = pricing.price_quote(context(patient=patient, price=4500), promo_code="fiver")

    assert breakdown(quote) == (4500, 0, 500, 4000)


def test_a_fixed_code_never_takes_off_more_than_is_left_after_the_discount(patient):
    set_policy(percent=10, **THRESHOLD)
    PromoCodeFactory(code="BIG", fixed=True, amount_minor=50000)
    world = make_prepaid(expensive_world())

    quote = pricing.price_quote(
        context(patient=patient, clinic=world.clinic, price=20000), promo_code="BIG"
    )
    booking = book(world, patient, promo_code="BIG")

    assert breakdown(quote) == (20000, 2000, 18000, 0)
    # Nothing left to pay: confirmed straight away, no payment opened.
    assert booking.status == "confirmed"
    assert not Payment.objects.exists()
    assert booking.promo_use.amount_minor == 18000


def test_a_fixed_code_in_another_currency_is_refused(patient):
    PromoCodeFactory(code="DOLLARS", fixed=True, amount_minor=500, currency="USD")

    with pytest.raises(PromoCodeInvalid) as error:
        pricing.price_quote(context(patient=patient, currency="EUR"), promo_code="DOLLARS")
    assert "not valid at this clinic" in str(error.value)


def test_a_percent_code_works_in_any_currency(patient):
    no_discounts()
    PromoCodeFactory(code="ANY", percent=50)

    quote = pricing.price_quote(
        context(patient=patient, currency="JPY", price=5001), promo_code="ANY"
    )

    assert breakdown(quote) == (5001, 0, 2501, 2500)


def test_a_code_is_valid_from_its_start_until_just_before_its_end(patient):
    no_discounts()
    start = datetime(2031, 4, 1, 0, 0, tzinfo=UTC)
    PromoCodeFactory(code="APRIL", valid_from=start, valid_until=start + timedelta(days=30))

    def quote_at(moment):
        return pricing.price_quote(context(patient=patient, now=moment), promo_code="APRIL")

    assert quote_at(start).promo is not None
    assert quote_at(start + timedelta(days=30, microseconds=-1)).promo is not None
    for outside in (start - timedelta(microseconds=1), start + timedelta(days=30)):
        with pytest.raises(PromoCodeInvalid) as error:
            quote_at(outside)
        assert "not valid today" in str(error.value)


@pytest.mark.parametrize("code", ["NOPE", "OFF"])
def test_an_unknown_or_inactive_code_is_refused(patient, code):
    PromoCodeFactory(code="OFF", is_active=False)

    with pytest.raises(PromoCodeInvalid) as error:
        pricing.price_quote(context(patient=patient), promo_code=code)
    assert "does not exist" in str(error.value)


def test_a_code_restricted_to_clinics_and_services(patient):
    no_discounts()
    world = build_world(slot_count=1)
    other_service = ServiceOfferingFactory(clinic=world.clinic)
    PromoCodeFactory(code="HERE", clinics=[world.clinic])
    PromoCodeFactory(code="THIS", services=[world.service])

    def quote(code, *, clinic=None, service=None):
        ctx = context(patient=patient, clinic=clinic or world.clinic)
        if service is not None:
            ctx = PricingContext(
                patient=patient,
                service=service,
                clinic=ctx.clinic,
                starts_at=ctx.starts_at,
                now=ctx.now,
            )
        return pricing.price_quote(ctx, promo_code=code)

    assert quote("HERE").promo.code == "HERE"
    assert quote("THIS", service=world.service).promo.code == "THIS"
    with pytest.raises(PromoCodeInvalid, match="not valid at this clinic"):
        quote("HERE", clinic=ClinicFactory())
    with pytest.raises(PromoCodeInvalid, match="not valid for this service"):
        quote("THIS", service=other_service)


def test_a_code_is_used_once_per_patient_and_refusing_writes_nothing(patient, other_patient):
    no_discounts()
    world = build_world(slot_count=3)
    promo = PromoCodeFactory(code="ONCE", max_uses_per_patient=1)
    first = book(world, patient, slot=0, promo_code="ONCE")

    with pytest.raises(PromoCodeInvalid, match="already used"):
        book(world, patient, slot=1, promo_code="ONCE")
    second = book(world, other_patient, slot=1, promo_code="ONCE")

    assert list(promo.redemptions.values_list("booking", flat=True).order_by("pk")) == [
        first.pk,
        second.pk,
    ]
    assert Booking.objects.filter(patient=patient).count() == 1


def test_a_code_with_an_overall_limit_is_used_up(patient, other_patient):
    no_discounts()
    world = build_world(slot_count=3)
    promo = PromoCodeFactory(code="FIRST2", max_uses=2, max_uses_per_patient=5)
    book(world, patient, slot=0, promo_code="FIRST2")
    book(world, patient, slot=1, promo_code="FIRST2")

    with pytest.raises(PromoCodeInvalid, match="used up"):
        book(world, other_patient, slot=2, promo_code="FIRST2")
    assert promo.redemptions.count() == 2


# --- What the booking keeps ---------------------------------------------------------------------


def test_the_booking_stores_the_breakdown_the_quote_showed(patient):
    set_policy(percent=15, **THRESHOLD)
    world = make_prepaid(expensive_world())
    PromoCodeFactory(code="EXTRA", fixed=True, amount_minor=1234)
    ctx = context(patient=patient, clinic=world.clinic)
    ctx = PricingContext(
        patient=patient,
        service=world.service,
        clinic=world.clinic,
        starts_at=ctx.starts_at,
        now=ctx.now,
    )

    quote = pricing.price_quote(ctx, promo_code="EXTRA")
    booking = book(world, patient, promo_code="EXTRA")
    booking.refresh_from_db()

    assert booking.price == quote.price
    assert breakdown(quote) == (20000, 3000, 1234, 15766)
    assert booking.payment.amount_minor == 15766
    assert booking.discount_claim.reason == "threshold"
    assert booking.promo_use.amount_minor == 1234


def test_a_reduced_price_is_on_the_timeline_as_priced(patient):
    set_policy(percent=10, **THRESHOLD)
    world = expensive_world()
    PromoCodeFactory(code="TL", percent=50)

    booking = book(world, patient, promo_code="TL")

    priced = booking.events.get(kind=EventKind.PRICED)
    assert priced.data == {
        "base": 20000,
        "discount": 2000,
        "promo": 9000,
        "total": 9000,
        "currency": "EUR",
    }
    kinds = list(booking.events.values_list("kind", flat=True))
    assert kinds == [EventKind.REQUESTED, EventKind.PRICED, EventKind.CONFIRMED]


def test_a_list_price_booking_has_no_priced_event(patient):
    no_discounts()
    world = build_world(slot_count=1)

    booking = book(world, patient)

    assert not booking.events.filter(kind=EventKind.PRICED).exists()


def test_money_is_integers_everywhere(patient):
    set_policy(percent=33, **THRESHOLD)
    world = make_prepaid(expensive_world())
    world.service.price_minor = 20001
    world.service.save()
    PromoCodeFactory(code="ODD", percent=33)

    booking = book(world, patient, promo_code="ODD")
    booking = Booking.objects.get(pk=booking.pk)
    payment = Payment.objects.get(booking=booking)
    redemption = PromoRedemption.objects.get(booking=booking)

    amounts = [
        booking.price_base_minor,
        booking.price_discount_minor,
        booking.price_promo_minor,
        booking.price_total_minor,
        payment.amount_minor,
        redemption.amount_minor,
        *booking.events.get(kind=EventKind.PRICED).data.values(),
    ]
    assert all(type(n) is int for n in amounts if not isinstance(n, str))
    # 33 % of 200.01 = 66.0033 → 66.00; 33 % of 134.01 = 44.2233 → 44.22.
    assert (booking.price_discount_minor, booking.price_promo_minor) == (6600, 4422)
    assert booking.price_total_minor == 20001 - 6600 - 4422
