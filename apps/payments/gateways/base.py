"""The payment gateway interface. Implementations: simulated.py (embedded default, demos,
tests) and stripe.py (production). Choose with PAYMENT_GATEWAY.

Every call that changes something carries an idempotency key the caller derived from its
own records (``Payment.operation_key``, ``Refund.idempotency_key``): a retried task, a
double click or a crash-and-retry repeats the same key, and the provider answers the
first result again instead of moving money twice. Never call a gateway inside a database
transaction: record the intent, commit, call, then record the result in a new transaction.
"""

from dataclasses import dataclass
from typing import Protocol

from apps.core.money import Money


class GatewayError(Exception):
    """The gateway refused or failed. ``transient``: worth retrying with the same key."""

    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class IntentState:
    """A payment as the provider sees it, in Clinix's words (a PaymentStatus value)."""

    intent_id: str
    status: str
    client_secret: str = ""
    amount_received_minor: int = 0
    failure_reason: str = ""


@dataclass(frozen=True, slots=True)
class RefundState:
    refund_id: str
    status: str  # a RefundStatus value: submitted, succeeded or failed
    failure_reason: str = ""


class Gateway(Protocol):
    name: str

    def create_intent(
        self, *, amount: Money, manual_capture: bool, reference: str, key: str
    ) -> IntentState: ...

    def retrieve_intent(self, intent_id: str) -> IntentState: ...

    def capture(self, intent_id: str, *, amount: Money, key: str) -> IntentState: ...

    def cancel(self, intent_id: str, *, key: str) -> IntentState: ...

    def refund(self, intent_id: str, *, amount: Money, key: str) -> RefundState: ...

    def retrieve_refund(self, refund_id: str) -> RefundState: ...

    def checkout_url(self, payment) -> str:
        """Where the patient pays: a page of ours (simulated) or with Stripe Elements."""
        ...
