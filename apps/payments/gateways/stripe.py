"""Stripe, through stripe-python's StripeClient (PAYMENT_GATEWAY=stripe).

Every POST carries the caller's idempotency key: without one stripe-python invents a
random key per call, and a retried task would then create a second intent or refund.
Stripe's statuses are translated into Clinix's words here and nowhere else; so are its
errors (worth retrying or not). The patient pays on our checkout page, where Stripe
Elements confirms the intent with its client secret (templates/payments/_stripe_elements.html).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.core.money import Money
from apps.payments.gateways.base import GatewayError, IntentState, RefundState
from apps.payments.models import PaymentStatus, RefundStatus

# stripe-python retries connection errors, 409s and 5xx with the same idempotency key, so a
# retry answers the first result; a StripeClient retries nothing unless told.
MAX_NETWORK_RETRIES = 2

_INTENT_STATUSES = {
    "requires_payment_method": PaymentStatus.REQUIRES_PAYMENT,
    "requires_confirmation": PaymentStatus.REQUIRES_PAYMENT,
    "requires_action": PaymentStatus.REQUIRES_PAYMENT,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}
_REFUND_STATUSES = {
    "pending": RefundStatus.SUBMITTED,
    "requires_action": RefundStatus.SUBMITTED,
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}


def make_http_client() -> stripe.HTTPClient | None:
    """The HTTP client StripeClient uses; None is stripe-python's default. Tests replace it
    to record requests or answer with canned Stripe JSON."""
    return None


def make_client() -> stripe.StripeClient:
    return stripe.StripeClient(
        api_key=settings.STRIPE_SECRET_KEY,
        # Only set for a local fake (localstripe); otherwise Stripe's own address.
        base_addresses={"api": settings.STRIPE_API_BASE} if settings.STRIPE_API_BASE else None,
        http_client=make_http_client(),
        max_network_retries=MAX_NETWORK_RETRIES,
    )


class StripeGateway:
    name = "stripe"

    def __init__(self, client: stripe.StripeClient | None = None):
        self.client = client or make_client()

    def create_intent(
        self, *, amount: Money, manual_capture: bool, reference: str, key: str
    ) -> IntentState:
        params: dict[str, Any] = {
            "amount": amount.amount_minor,
            "currency": amount.currency.lower(),
            "capture_method": "manual" if manual_capture else "automatic",
            # Cards only: what the Payment Element offers and what localstripe supports
            # (it refuses automatic_payment_methods).
            "payment_method_types": ["card"],
            "metadata": {"booking": reference},
        }
        with _translated_errors():
            intent = self.client.v1.payment_intents.create(
                params,  # type: ignore[arg-type]
                options={"idempotency_key": key},
            )
        return intent_state(intent.to_dict())

    def retrieve_intent(self, intent_id: str) -> IntentState:
        with _translated_errors():
            intent = self.client.v1.payment_intents.retrieve(intent_id)
        return intent_state(intent.to_dict())

    def capture(self, intent_id: str, *, amount: Money, key: str) -> IntentState:
        with _translated_errors():
            intent = self.client.v1.payment_intents.capture(
                intent_id,
                {"amount_to_capture": amount.amount_minor},
                options={"idempotency_key": key},
            )
        return intent_state(intent.to_dict())

    def cancel(self, intent_id: str, *, key: str) -> IntentState:
        with _translated_errors():
            intent = self.client.v1.payment_intents.cancel(
                intent_id, options={"idempotency_key": key}
            )
        return intent_state(intent.to_dict())

    def refund(self, intent_id: str, *, amount: Money, key: str) -> RefundState:
        with _translated_errors():
            refund = self.client.v1.refunds.create(
                {
                    "payment_intent": intent_id,
                    "amount": amount.amount_minor,
                    # Lets the webhook find our Refund row before its answer was recorded.
                    "metadata": {"clinix_key": key},
                },
                options={"idempotency_key": key},
            )
        return refund_state(refund.to_dict())

    def retrieve_refund(self, refund_id: str) -> RefundState:
        with _translated_errors():
            refund = self.client.v1.refunds.retrieve(refund_id)
        return refund_state(refund.to_dict())

    def checkout_url(self, payment) -> str:
        # Our page, which mounts Stripe Elements with the payment's client secret.
        return reverse("payments:checkout", args=[payment.booking.reference])


def intent_state(intent: dict[str, Any]) -> IntentState:
    """A Stripe PaymentIntent (as a dict) in Clinix's words."""
    stripe_status = intent.get("status") or ""
    # Unknown statuses rank lowest (pending), so they never move a payment.
    status = _INTENT_STATUSES.get(stripe_status, PaymentStatus.PENDING)
    failure_reason = ""
    error = intent.get("last_payment_error")
    # A declined attempt sends the intent back to requires_payment_method with the error.
    if stripe_status == "requires_payment_method" and error:
        status = PaymentStatus.FAILED
        failure_reason = error.get("message") or _("The card was declined.")
    return IntentState(
        intent_id=intent["id"],
        status=status,
        client_secret=intent.get("client_secret") or "",
        amount_received_minor=intent.get("amount_received") or 0,
        failure_reason=failure_reason,
    )


def refund_state(refund: dict[str, Any]) -> RefundState:
    """A Stripe Refund (as a dict) in Clinix's words."""
    status = _REFUND_STATUSES.get(refund.get("status") or "", RefundStatus.SUBMITTED)
    failure_reason = ""
    if status == RefundStatus.FAILED:
        failure_reason = _("Stripe could not refund: %(reason)s") % {
            "reason": refund.get("failure_reason") or refund.get("status")
        }
    return RefundState(refund_id=refund["id"], status=status, failure_reason=failure_reason)


@contextmanager
def _translated_errors() -> Iterator[None]:
    """Stripe's exceptions as GatewayError: transient when the same call may work later."""
    try:
        yield
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise GatewayError(_message(error), transient=True) from error
    except stripe.IdempotencyError as error:
        # The same key with different parameters: a bug of ours, retrying cannot help.
        raise GatewayError(_message(error), transient=False) from error
    except stripe.StripeError as error:
        # 409: Stripe is still working on a request with this key (or a lock timed out).
        status = error.http_status or 0
        raise GatewayError(_message(error), transient=status >= 500 or status == 409) from error


def _message(error: stripe.StripeError) -> str:
    return error.user_message or str(error) or type(error).__name__
