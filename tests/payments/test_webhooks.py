"""Stripe's webhook endpoint: real signature checks on events signed here, stored once,
applied once, forward only.

The handler does not trust an event's body: it asks Stripe again. Here "Stripe" answers
from the simulated provider (its SimulatedIntent rows), so each test sets what the
re-fetch says; the last test uses localstripe and the real Stripe gateway instead.
"""

import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta

import pytest
import stripe
import time_machine
from django.test import Client
from django.urls import reverse

from apps.bookings import services as booking_services
from apps.bookings.models import BookingStatus, EventKind
from apps.core.money import Money
from apps.payments import services, webhooks
from apps.payments.gateways import GATEWAYS, GatewayError, get_gateway
from apps.payments.gateways.simulated import SimulatedGateway
from apps.payments.models import (
    Payment,
    PaymentStatus,
    Receipt,
    ReceiptKind,
    Refund,
    RefundStatus,
    SimulatedIntent,
    WebhookEvent,
)

SECRET = "whsec_test_clinix"


@pytest.fixture
def stripe_client():
    # Stripe cannot send a CSRF token: the endpoint must not ask for one.
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def stripe_settings(settings, monkeypatch):
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_clinix"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    # "Stripe" answers from the simulated provider, whose state the tests set.
    monkeypatch.setitem(GATEWAYS, "stripe", GATEWAYS["simulated"])


@pytest.fixture
def held(stripe_settings, world, patient) -> Payment:
    """A held booking's Stripe payment, opened at the gateway and waiting for the patient."""
    world.clinic.requires_prepayment = True
    world.clinic.save()
    booking = services.checkout_book(
        patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    payment = services.payment_prepare(booking.payment)
    assert (payment.gateway, payment.status) == ("stripe", PaymentStatus.REQUIRES_PAYMENT)
    return payment


def stripe_says(payment: Payment, status: str) -> None:
    """What a re-fetch of the intent will answer from now on."""
    captured = payment.amount_minor if status == PaymentStatus.SUCCEEDED else 0
    SimulatedIntent.objects.filter(intent_id=payment.intent_id).update(
        status=status, captured_minor=captured
    )


def an_event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "type": event_type,
        "data": {"object": obj},
    }


def intent_event(event_type: str, payment: Payment, status: str, **extra) -> dict:
    obj = {"id": payment.intent_id, "object": "payment_intent", "status": status}
    return an_event(event_type, {**obj, "amount": payment.amount_minor}, **extra)


def signature(payload: bytes, *, secret: str = SECRET, at: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<raw body>")."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()}"


def deliver(client, event: dict, *, secret: str = SECRET, at: int | None = None, header=None):
    payload = json.dumps(event).encode()
    return client.post(
        reverse("payments:stripe-webhook"),
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header or signature(payload, secret=secret, at=at)},
    )


def paid_events(payment: Payment) -> int:
    return payment.booking.events.filter(kind=EventKind.PAID).count()


# --- Applied once ------------------------------------------------------------------------------


def test_a_signed_payment_event_confirms_the_booking(stripe_client, held):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    event = intent_event("payment_intent.succeeded", held, "succeeded")

    response = deliver(stripe_client, event)

    assert response.status_code == 200
    assert response.json() == {"status": "applied"}
    held.refresh_from_db()
    assert (held.status, held.captured_minor) == (PaymentStatus.SUCCEEDED, 4500)
    assert held.booking.status == BookingStatus.CONFIRMED
    assert Receipt.objects.filter(payment=held, kind=ReceiptKind.PAYMENT).count() == 1
    stored = WebhookEvent.objects.get()
    assert (stored.gateway, stored.event_id, stored.type, stored.object_id, stored.outcome) == (
        "stripe",
        event["id"],
        "payment_intent.succeeded",
        held.intent_id,
        "applied",
    )


def test_the_same_event_delivered_twice_is_applied_once(stripe_client, held):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    event = intent_event("payment_intent.succeeded", held, "succeeded")

    first = deliver(stripe_client, event)
    again = deliver(stripe_client, event)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"status": "duplicate"}
    assert WebhookEvent.objects.count() == 1
    assert paid_events(held) == 1
    assert Receipt.objects.filter(payment=held).count() == 1


def test_a_concurrent_delivery_of_the_same_event_loses_on_the_unique_constraint(
    stripe_client, held, monkeypatch
):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    event = intent_event("payment_intent.succeeded", held, "succeeded")
    plan = webhooks._plan

    def meanwhile_the_other_delivery_commits(*args):
        planned = plan(*args)
        WebhookEvent.objects.create(
            gateway="stripe", event_id=event["id"], type=event["type"], outcome="applied"
        )
        return planned

    monkeypatch.setattr(webhooks, "_plan", meanwhile_the_other_delivery_commits)

    response = deliver(stripe_client, event)

    assert response.status_code == 200
    assert response.json() == {"status": "duplicate"}
    held.refresh_from_db()
    # Not applied by this delivery: the one that stored the event applies it.
    assert held.status == PaymentStatus.REQUIRES_PAYMENT
    assert WebhookEvent.objects.count() == 1


# --- Signatures --------------------------------------------------------------------------------


def test_a_wrong_missing_or_tampered_signature_is_refused_and_nothing_is_stored(
    stripe_client, held
):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    event = intent_event("payment_intent.succeeded", held, "succeeded")
    payload = json.dumps(event).encode()
    tampered_header = signature(payload.replace(b"succeeded", b"processing"))

    wrong_secret = deliver(stripe_client, event, secret="whsec_somebody_else")
    tampered = deliver(stripe_client, event, header=tampered_header)
    nonsense = deliver(stripe_client, event, header="nonsense")
    missing = stripe_client.post(
        reverse("payments:stripe-webhook"), data=payload, content_type="application/json"
    )

    for response in (wrong_secret, tampered, nonsense, missing):
        assert response.status_code == 400
        assert response.json() == {"error": "invalid signature"}
    assert not WebhookEvent.objects.exists()
    held.refresh_from_db()
    assert held.status == PaymentStatus.REQUIRES_PAYMENT
    assert held.booking.status == BookingStatus.HELD


def test_a_signature_older_than_the_tolerance_is_refused(stripe_client, held):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    tolerance = stripe.Webhook.DEFAULT_TOLERANCE
    now = int(time.time())

    stale = deliver(
        stripe_client, intent_event("payment_intent.succeeded", held, "x"), at=now - tolerance - 5
    )
    assert stale.status_code == 400
    assert not WebhookEvent.objects.exists()

    recent = deliver(
        stripe_client, intent_event("payment_intent.succeeded", held, "x"), at=now - tolerance + 30
    )
    assert recent.status_code == 200


def test_a_signed_body_that_is_not_an_event_is_refused(stripe_client, held):
    payload = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'

    response = stripe_client.post(
        reverse("payments:stripe-webhook"),
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": signature(payload)},
    )

    assert response.status_code == 400
    assert not WebhookEvent.objects.exists()


def test_only_post_is_answered(stripe_client, stripe_settings):
    assert stripe_client.get(reverse("payments:stripe-webhook")).status_code == 405


# --- Forward only: late, reordered and untrusted news --------------------------------------------


def test_an_older_event_after_a_newer_one_never_moves_the_payment_back(stripe_client, held):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    newer = deliver(stripe_client, intent_event("payment_intent.succeeded", held, "x"))
    assert newer.json() == {"status": "applied"}
    # The older events arrive last, and a lagging read of the intent agrees with them.
    stripe_says(held, PaymentStatus.PROCESSING)
    processing = deliver(stripe_client, intent_event("payment_intent.processing", held, "x"))
    stripe_says(held, PaymentStatus.REQUIRES_PAYMENT)
    created = deliver(stripe_client, intent_event("payment_intent.created", held, "x"))

    assert (processing.status_code, created.status_code) == (200, 200)
    held.refresh_from_db()
    assert held.status == PaymentStatus.SUCCEEDED
    assert held.booking.status == BookingStatus.CONFIRMED
    assert paid_events(held) == 1
    assert WebhookEvent.objects.count() == 3


def test_the_events_body_is_not_trusted_stripe_is_asked_again(stripe_client, held):
    # Signed, but the body claims more than Stripe says when asked.
    response = deliver(stripe_client, intent_event("payment_intent.succeeded", held, "succeeded"))

    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == PaymentStatus.REQUIRES_PAYMENT
    assert held.booking.status == BookingStatus.HELD


def test_a_failed_payment_event_ends_the_hold_with_the_reason(stripe_client, held):
    stripe_says(held, PaymentStatus.FAILED)

    response = deliver(stripe_client, intent_event("payment_intent.payment_failed", held, "x"))

    assert response.status_code == 200
    held.refresh_from_db()
    assert held.status == PaymentStatus.FAILED
    assert held.failure_reason == "Your card was declined."
    assert held.booking.status == BookingStatus.PAYMENT_FAILED


def test_a_payment_after_the_hold_ran_out_is_refunded_in_full(stripe_client, held):
    booking = held.booking
    with time_machine.travel(booking.hold_expires_at + timedelta(minutes=1)):
        assert booking_services.booking_expire_holds() == 1
        booking.refresh_from_db()
        assert booking.status == BookingStatus.EXPIRED
        # The patient's payment went through at the last second; Stripe tells us now.
        stripe_says(held, PaymentStatus.SUCCEEDED)

        response = deliver(stripe_client, intent_event("payment_intent.succeeded", held, "x"))

    assert response.status_code == 200
    held.refresh_from_db()
    booking.refresh_from_db()
    assert held.status == PaymentStatus.SUCCEEDED
    assert booking.status == BookingStatus.EXPIRED
    refund = Refund.objects.get(payment=held)
    assert (refund.status, refund.amount_minor) == (RefundStatus.REQUESTED, 4500)


# --- Not ours, not now -------------------------------------------------------------------------


def test_an_event_type_we_do_not_handle_is_stored_and_ignored(stripe_client, stripe_settings, db):
    event = an_event("customer.created", {"id": "cus_123", "object": "customer"})

    response = deliver(stripe_client, event)

    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    stored = WebhookEvent.objects.get()
    assert (stored.event_id, stored.object_id) == (event["id"], "cus_123")
    assert stored.outcome == "ignored"


def test_an_event_about_an_intent_we_do_not_know_changes_nothing(stripe_client, held):
    event = an_event("payment_intent.succeeded", {"id": "pi_not_ours", "object": "payment_intent"})

    response = deliver(stripe_client, event)

    assert response.status_code == 200
    assert response.json() == {"status": "unknown object"}
    held.refresh_from_db()
    assert held.status == PaymentStatus.REQUIRES_PAYMENT


def test_stripe_not_answering_gets_a_503_and_the_redelivery_is_applied(
    stripe_client, held, monkeypatch
):
    stripe_says(held, PaymentStatus.SUCCEEDED)
    event = intent_event("payment_intent.succeeded", held, "x")

    def down(self, intent_id):
        raise GatewayError("Read timed out.", transient=True)

    with monkeypatch.context() as patched:
        patched.setattr(SimulatedGateway, "retrieve_intent", down)
        refused = deliver(stripe_client, event)
    assert refused.status_code == 503
    assert not WebhookEvent.objects.exists()

    redelivered = deliver(stripe_client, event)

    assert redelivered.status_code == 200
    assert redelivered.json() == {"status": "applied"}
    held.refresh_from_db()
    assert held.status == PaymentStatus.SUCCEEDED


def test_a_failure_while_applying_answers_503_and_stores_nothing(stripe_client, held, monkeypatch):
    stripe_says(held, PaymentStatus.SUCCEEDED)

    def broken(payment, state):
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "payment_apply", broken)

    response = deliver(stripe_client, intent_event("payment_intent.succeeded", held, "x"))

    assert response.status_code == 503
    assert not WebhookEvent.objects.exists()


# --- Refunds -----------------------------------------------------------------------------------


@pytest.fixture
def paid(held) -> Payment:
    stripe_says(held, PaymentStatus.SUCCEEDED)
    return services.payment_refresh(held)


def test_a_refund_event_records_stripes_answer_before_our_own_call_did(stripe_client, paid):
    refund = services.refund_request(payment=paid, amount=Money(1500, "EUR"), reason="Test")
    # Stripe made the refund, but our call's answer was lost: the row knows no refund id.
    made = get_gateway("stripe").refund(
        paid.intent_id, amount=refund.amount, key=refund.idempotency_key
    )
    obj = {
        "id": made.refund_id,
        "object": "refund",
        "status": "succeeded",
        "payment_intent": paid.intent_id,
        "metadata": {"clinix_key": refund.idempotency_key},
    }

    response = deliver(stripe_client, an_event("refund.updated", obj))

    assert response.status_code == 200
    refund.refresh_from_db()
    assert (refund.status, refund.gateway_refund_id) == (RefundStatus.SUCCEEDED, made.refund_id)
    assert Receipt.objects.get(refund=refund).amount_minor == 1500


def test_a_charge_refunded_event_settles_the_payments_open_refunds(stripe_client, paid):
    refund = services.refund_request(payment=paid, amount=Money(4500, "EUR"), reason="Test")
    made = get_gateway("stripe").refund(
        paid.intent_id, amount=refund.amount, key=refund.idempotency_key
    )
    Refund.objects.filter(pk=refund.pk).update(
        status=RefundStatus.SUBMITTED, gateway_refund_id=made.refund_id
    )
    charge = {"id": "ch_1", "object": "charge", "payment_intent": paid.intent_id, "refunded": True}

    response = deliver(stripe_client, an_event("charge.refunded", charge))

    assert response.status_code == 200
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert Receipt.objects.filter(refund=refund).count() == 1


def test_a_refund_event_about_a_refund_we_do_not_know_changes_nothing(stripe_client, paid):
    obj = {"id": "re_from_the_dashboard", "object": "refund", "status": "succeeded"}

    response = deliver(stripe_client, an_event("refund.updated", obj))

    assert response.json() == {"status": "unknown object"}
    assert not Refund.objects.exists()


# --- With localstripe and the real Stripe gateway ------------------------------------------------


@pytest.mark.slow
def test_an_event_from_localstripe_confirms_the_booking_through_the_stripe_gateway(
    localstripe, stripe_client, world, patient
):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    booking = services.checkout_book(
        patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    payment = services.payment_prepare(booking.payment)
    outside = stripe.StripeClient("sk_test_clinix", base_addresses={"api": localstripe})
    outside.v1.payment_intents.update(payment.intent_id, {"payment_method": "pm_card_visa"})
    outside.v1.payment_intents.confirm(payment.intent_id)
    event = next(
        event.to_dict()
        for event in outside.v1.events.list({"limit": 100}).auto_paging_iter()
        if event.type == "payment_intent.succeeded" and event.data.object.id == payment.intent_id
    )

    response = deliver(stripe_client, event)

    assert response.status_code == 200
    assert response.json() == {"status": "applied"}
    payment.refresh_from_db()
    booking.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert booking.status == BookingStatus.CONFIRMED
