"""A payment provider simulated in Clinix's own database: the embedded default and demos.

It keeps its state (SimulatedIntent) the way a real provider does on its side, honours
idempotency keys (the same key answers the first result), and its checkout page takes
Stripe's test card numbers: 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.
Any other number gets SIMULATED_PAYMENT_OUTCOME: "success", "fail" or "random".
"""

import random
import secrets

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from apps.core.money import Money
from apps.payments.gateways.base import GatewayError, IntentState, RefundState
from apps.payments.models import PaymentStatus, RefundStatus, SimulatedIntent

SUCCEEDING_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


class SimulatedGateway:
    name = "simulated"

    def create_intent(
        self, *, amount: Money, manual_capture: bool, reference: str, key: str
    ) -> IntentState:
        with transaction.atomic():
            if answer := _replay("create", key):
                return IntentState(**answer)
            intent = SimulatedIntent.objects.create(
                intent_id="sim_pi_" + secrets.token_hex(10),
                amount_minor=amount.amount_minor,
                currency=amount.currency,
                status=PaymentStatus.REQUIRES_PAYMENT,
                manual_capture=manual_capture,
            )
            return _remember(intent, "create", key, _state(intent))

    def retrieve_intent(self, intent_id: str) -> IntentState:
        return _state(_get(intent_id))

    def confirm(self, intent_id: str, *, card_number: str) -> IntentState:
        """What the provider does when the patient submits the card form."""
        with transaction.atomic():
            intent = _get(intent_id, lock=True)
            if intent.status != PaymentStatus.REQUIRES_PAYMENT:
                return _state(intent)
            if _card_pays(card_number):
                intent.status = (
                    PaymentStatus.AUTHORIZED if intent.manual_capture else PaymentStatus.SUCCEEDED
                )
                intent.captured_minor = 0 if intent.manual_capture else intent.amount_minor
            else:
                intent.status = PaymentStatus.FAILED
            intent.save()
            return _state(intent)

    def capture(self, intent_id: str, *, amount: Money, key: str) -> IntentState:
        with transaction.atomic():
            if answer := _replay("capture", key):
                return IntentState(**answer)
            intent = _get(intent_id, lock=True)
            if intent.status != PaymentStatus.AUTHORIZED:
                raise GatewayError(f"Cannot capture a {intent.status} payment.", transient=False)
            if amount.amount_minor > intent.amount_minor:
                raise GatewayError("Cannot capture more than was authorised.", transient=False)
            intent.status = PaymentStatus.SUCCEEDED
            intent.captured_minor = amount.amount_minor
            intent.save()
            return _remember(intent, "capture", key, _state(intent))

    def cancel(self, intent_id: str, *, key: str) -> IntentState:
        with transaction.atomic():
            if answer := _replay("cancel", key):
                return IntentState(**answer)
            intent = _get(intent_id, lock=True)
            if intent.status == PaymentStatus.SUCCEEDED:
                raise GatewayError("A captured payment cannot be cancelled.", transient=False)
            if intent.status != PaymentStatus.CANCELED:
                intent.status = PaymentStatus.CANCELED
                intent.save()
            return _remember(intent, "cancel", key, _state(intent))

    def refund(self, intent_id: str, *, amount: Money, key: str) -> RefundState:
        with transaction.atomic():
            if answer := _replay("refund", key):
                return RefundState(**answer)
            intent = _get(intent_id, lock=True)
            if intent.status != PaymentStatus.SUCCEEDED:
                raise GatewayError("Only a captured payment can be refunded.", transient=False)
            if intent.refunded_minor + amount.amount_minor > intent.captured_minor:
                raise GatewayError("The refund exceeds what is left to refund.", transient=False)
            intent.refunded_minor += amount.amount_minor
            intent.save()
            state = RefundState(
                refund_id="sim_re_" + secrets.token_hex(10), status=RefundStatus.SUCCEEDED
            )
            intent.keys[f"refund:{key}"] = {
                "refund_id": state.refund_id,
                "status": state.status,
                "failure_reason": "",
            }
            intent.save(update_fields=["keys"])
            return state

    def retrieve_refund(self, refund_id: str) -> RefundState:
        for intent in SimulatedIntent.objects.filter(keys__icontains=refund_id):
            for name, answer in intent.keys.items():
                if name.startswith("refund:") and answer.get("refund_id") == refund_id:
                    return RefundState(**answer)
        raise GatewayError(f"No such refund: {refund_id}", transient=False)

    def checkout_url(self, payment) -> str:
        return reverse("payments:checkout", args=[payment.booking.reference])


def _card_pays(card_number: str) -> bool:
    digits = "".join(c for c in card_number if c.isdigit())
    if digits == SUCCEEDING_CARD:
        return True
    if digits == DECLINED_CARD:
        return False
    outcome = settings.SIMULATED_PAYMENT_OUTCOME
    if outcome == "random":
        return random.random() < 0.5  # noqa: S311 - a demo coin, not a secret
    return outcome == "success"


def _get(intent_id: str, *, lock: bool = False) -> SimulatedIntent:
    rows = SimulatedIntent.objects.select_for_update() if lock else SimulatedIntent.objects
    intent = rows.filter(intent_id=intent_id).first()
    if intent is None:
        raise GatewayError(f"No such payment intent: {intent_id}", transient=False)
    return intent


def _state(intent: SimulatedIntent) -> IntentState:
    return IntentState(
        intent_id=intent.intent_id,
        status=intent.status,
        client_secret=f"{intent.intent_id}_secret",
        amount_received_minor=intent.captured_minor,
        failure_reason="Your card was declined." if intent.status == PaymentStatus.FAILED else "",
    )


def _replay(operation: str, key: str) -> dict | None:
    intent = (
        SimulatedIntent.objects.select_for_update()
        .filter(keys__has_key=f"{operation}:{key}")
        .first()
    )
    return intent.keys[f"{operation}:{key}"] if intent else None


def _remember(intent: SimulatedIntent, operation: str, key: str, state: IntentState) -> IntentState:
    intent.keys[f"{operation}:{key}"] = {
        "intent_id": state.intent_id,
        "status": state.status,
        "client_secret": state.client_secret,
        "amount_received_minor": state.amount_received_minor,
        "failure_reason": state.failure_reason,
    }
    intent.save(update_fields=["keys"])
    return state
