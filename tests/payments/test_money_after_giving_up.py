"""Money that moves after Clinix gave up on a payment is returned, and a refund retried
after a failure is a new operation at the provider."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.bookings.models import BookingStatus
from apps.payments import services
from apps.payments.gateways import IntentState, get_gateway
from apps.payments.models import GatewayCall, PaymentStatus, Refund, RefundStatus, SimulatedIntent
from tests.payments.factories import book, make_prepaid, pay
from tests.portal.conftest import verify

DECLINED = "4000000000000002"


@pytest.fixture
def declined(world, patient):
    return pay(book(make_prepaid(world), verify(patient)), DECLINED)


def paid(world, patient):
    return pay(book(make_prepaid(world), verify(patient)))


def test_a_declined_payment_is_closed_at_the_provider(declined):
    services.payment_cancel(declined.pk)

    intent = SimulatedIntent.objects.get(intent_id=declined.intent_id)
    assert intent.status == PaymentStatus.CANCELED
    assert GatewayCall.objects.filter(
        payment=declined, operation="cancel", idempotency_key=f"clinix-payment-{declined.pk}-cancel"
    ).exists()


def test_money_taken_after_a_decline_is_refunded_in_full(declined):
    declined.booking.refresh_from_db()
    assert declined.booking.status == BookingStatus.PAYMENT_FAILED

    paid = services.payment_apply(
        declined,
        IntentState(intent_id=declined.intent_id, status="succeeded", amount_received_minor=4500),
    )

    assert paid.status == PaymentStatus.SUCCEEDED
    refund = Refund.objects.get(payment=declined)
    assert refund.amount_minor == 4500
    assert "after the time to pay" in refund.reason
    declined.booking.refresh_from_db()
    assert declined.booking.status == BookingStatus.PAYMENT_FAILED


def test_a_retried_refund_gets_a_key_of_its_own(world, patient, platform_admin):
    payment = paid(world, patient)
    refund = services.refund_request(payment=payment, amount=payment.captured, reason="test")
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED, attempts=1)

    retried = services.refund_retry(refund=refund, actor=platform_admin)
    done = services.refund_execute(retried.pk)

    assert retried.idempotency_key == f"clinix-payment-{payment.pk}-refund-1-retry-1"
    assert done.status == RefundStatus.SUCCEEDED
    assert SimulatedIntent.objects.get(intent_id=payment.intent_id).refunded_minor == 4500


def test_a_refund_left_submitted_by_a_dead_worker_is_sent_again_once(world, patient):
    payment = paid(world, patient)
    refund = services.refund_request(payment=payment, amount=payment.captured, reason="test")
    # The first attempt reached the provider, then the worker died before recording it.
    get_gateway("simulated").refund(
        payment.intent_id, amount=refund.amount, key=refund.idempotency_key
    )
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.SUBMITTED, attempts=1)

    assert services.refunds_resend_stale() == 0  # not stale yet
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert services.refunds_resend_stale() == 1

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert SimulatedIntent.objects.get(intent_id=payment.intent_id).refunded_minor == 4500
