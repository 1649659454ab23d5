"""Promo codes, discount policy and prepaid worlds for the payments tests.

Tests of payment rules book through ``services.checkout_book`` and pay through the
simulated gateway; these helpers only set the scene.
"""

from datetime import timedelta

import factory
from django.utils import timezone

from apps.payments import services
from apps.payments.gateways import get_gateway
from apps.payments.models import DiscountPolicy, Payment, PromoCode, PromoKind
from apps.payments.pricing import discount_policy
from tests.conftest import World, build_world

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


class PromoCodeFactory(factory.django.DjangoModelFactory):
    """A 10 % code valid from a day ago for thirty days, once per patient, no overall limit."""

    class Meta:
        model = PromoCode
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"PROMO{n}")
    kind = PromoKind.PERCENT
    percent = 10
    amount_minor = None
    currency = ""
    valid_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    valid_until = factory.LazyAttribute(lambda o: o.valid_from + timedelta(days=30))
    max_uses = None
    max_uses_per_patient = 1
    is_active = True

    class Params:
        fixed = factory.Trait(kind=PromoKind.FIXED, percent=None, amount_minor=1000, currency="EUR")

    @factory.post_generation
    def clinics(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.clinics.set(extracted)

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.services.set(extracted)


def set_policy(**fields) -> DiscountPolicy:
    """The single discount policy row with ``fields`` changed (the rest: model defaults)."""
    policy = discount_policy()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def no_discounts() -> DiscountPolicy:
    return set_policy(is_active=False)


def make_prepaid(world: World, **clinic_fields) -> World:
    """The world's clinic takes payment up front (and any other clinic fields given)."""
    world.clinic.requires_prepayment = True
    for name, value in clinic_fields.items():
        setattr(world.clinic, name, value)
    world.clinic.save()
    return world


def prepaid_world(slot_count: int = 8, **clinic_fields) -> World:
    return make_prepaid(build_world(slot_count=slot_count), **clinic_fields)


def book(world: World, patient, *, slot: int = 0, promo_code: str = "", service=None):
    return services.checkout_book(
        patient=patient,
        slot_id=world.slots[slot].pk,
        service_id=(service or world.service).pk,
        promo_code=promo_code,
    )


def card_submitted(booking, card: str = GOOD_CARD) -> Payment:
    """The patient opens the checkout (intent created) and submits ``card``; the gateway
    has answered but Clinix has not heard of it yet."""
    payment = services.payment_prepare(Payment.objects.get(booking=booking))
    get_gateway("simulated").confirm(payment.intent_id, card_number=card)
    return payment


def pay(booking, card: str = GOOD_CARD) -> Payment:
    """Open the checkout, submit ``card`` and apply the gateway's answer."""
    return services.payment_refresh(card_submitted(booking, card))
