"""Scarce discounts under real concurrency: the daily quota and promo code limits.

Threads, each with its own PostgreSQL connection, opened before a barrier releases them
together. Every racer books a different doctor's slot, so the doctor locks do not line
them up: only the quota row's guarded UPDATE and the promo code's row lock stand between
them and a ninth discount.
"""

from collections import Counter

import pytest

from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.payments import services
from apps.payments.models import (
    DiscountClaim,
    DiscountQuotaDay,
    PromoRedemption,
    WhenQuotaUsedUp,
)
from tests.accounts.factories import PatientFactory
from tests.concurrency import race, summary
from tests.conftest import build_world
from tests.doctors.factories import DoctorFactory
from tests.payments.factories import PromoCodeFactory, no_discounts, set_policy
from tests.timeslots.factories import SlotFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RACERS = 8
QUOTA = 3
THRESHOLD = {"threshold_rule": True, "birthday_rule": False, "threshold_minor": 15000}


@pytest.fixture(autouse=True)
def _patient_lock_timeout(settings):
    # About who wins, not tail latency: all discounted bookings queue on the quota row.
    settings.BOOKING_LOCK_TIMEOUT_MS = 30_000


def spread_slots(count: int, *, price: int = 20000):
    """``count`` slots at the same time, each with a doctor of its own, for one service."""
    world = build_world(slot_count=1)
    world.service.price_minor = price
    world.service.save()
    slots = [world.slots[0]]
    for _ in range(count - 1):
        doctor = DoctorFactory(services=[world.service])
        slots.append(
            SlotFactory(doctor=doctor, clinic=world.clinic, starts_at=world.slots[0].starts_at)
        )
    return world, slots


def bookers(world, slots, patients, promo_code: str = ""):
    return [
        lambda p=p, s=s: services.checkout_book(
            patient=p, slot_id=s.pk, service_id=world.service.pk, promo_code=promo_code
        )
        for p, s in zip(patients, slots, strict=True)
    ]


def test_eight_discounted_bookings_at_once_share_a_quota_of_three_at_full_price_after():
    set_policy(daily_quota=QUOTA, when_quota_used_up=WhenQuotaUsedUp.FULL_PRICE, **THRESHOLD)
    world, slots = spread_slots(RACERS)
    patients = PatientFactory.create_batch(RACERS)

    outcomes = race(bookers(world, slots, patients))

    assert summary(outcomes) == {"won": RACERS}
    discounts = Counter(b.price_discount_minor for b in Booking.objects.all())
    assert discounts == {2000: QUOTA, 0: RACERS - QUOTA}
    assert DiscountQuotaDay.objects.get().used == QUOTA
    assert DiscountClaim.objects.count() == QUOTA
    assert set(DiscountClaim.objects.values_list("booking__price_discount_minor", flat=True)) == {
        2000
    }


def test_eight_discounted_bookings_at_once_with_a_quota_of_three_and_refusal_leave_three():
    set_policy(daily_quota=QUOTA, when_quota_used_up=WhenQuotaUsedUp.REFUSE, **THRESHOLD)
    world, slots = spread_slots(RACERS)
    patients = PatientFactory.create_batch(RACERS)

    outcomes = race(bookers(world, slots, patients))

    assert summary(outcomes) == {"won": QUOTA, "DiscountQuotaUsedUp": RACERS - QUOTA}
    assert Booking.objects.count() == QUOTA
    assert set(Booking.objects.values_list("price_discount_minor", flat=True)) == {2000}
    assert DiscountQuotaDay.objects.get().used == QUOTA
    assert DiscountClaim.objects.count() == QUOTA
    losers = [p for p, o in zip(patients, outcomes, strict=True) if o.value is None]
    assert not Booking.objects.filter(patient__in=losers).exists()


def test_a_promo_code_for_three_used_by_eight_at_once_is_redeemed_three_times():
    no_discounts()
    promo = PromoCodeFactory(code="THREE", max_uses=QUOTA)
    world, slots = spread_slots(RACERS, price=4500)
    patients = PatientFactory.create_batch(RACERS)

    outcomes = race(bookers(world, slots, patients, promo_code="three"))

    assert summary(outcomes) == {"won": QUOTA, "PromoCodeInvalid": RACERS - QUOTA}
    assert all("used up" in str(o.domain_error) for o in outcomes if o.domain_error)
    assert promo.redemptions.count() == QUOTA
    assert Booking.objects.count() == QUOTA
    assert set(Booking.objects.values_list("price_promo_minor", flat=True)) == {450}


def test_a_cancelled_booking_gives_its_discount_and_code_to_exactly_one_newcomer():
    set_policy(daily_quota=QUOTA, when_quota_used_up=WhenQuotaUsedUp.FULL_PRICE, **THRESHOLD)
    promo = PromoCodeFactory(code="BACK", max_uses=QUOTA)
    world, slots = spread_slots(QUOTA + RACERS)
    first = [
        services.checkout_book(
            patient=PatientFactory(), slot_id=s.pk, service_id=world.service.pk, promo_code="BACK"
        )
        for s in slots[:QUOTA]
    ]
    assert DiscountQuotaDay.objects.get().used == QUOTA

    booking_services.booking_cancel(booking=first[0], actor=first[0].patient)

    claim = DiscountClaim.objects.get(booking=first[0])
    assert claim.released_at is not None
    assert PromoRedemption.objects.get(booking=first[0]).released_at is not None
    assert DiscountQuotaDay.objects.get().used == QUOTA - 1

    patients = PatientFactory.create_batch(RACERS)
    outcomes = race(bookers(world, slots[QUOTA:], patients, promo_code="BACK"))

    # Each loser's quota claim rolled back with its refused code: one newcomer gets both.
    assert summary(outcomes) == {"won": 1, "PromoCodeInvalid": RACERS - 1}
    winner = next(o.value for o in outcomes if o.value is not None)
    assert (winner.price_discount_minor, winner.price_promo_minor) == (2000, 1800)
    assert DiscountQuotaDay.objects.get().used == QUOTA
    assert promo.redemptions.filter(released_at__isnull=True).count() == QUOTA
    assert DiscountClaim.objects.filter(released_at__isnull=True).count() == QUOTA
