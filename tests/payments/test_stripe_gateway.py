"""The Stripe gateway: against localstripe (a fake Stripe API in a subprocess) for the real
HTTP round trips, and against canned Stripe JSON for what localstripe does not do
(idempotency keys, failed refunds, errors).

Every request the gateway sends goes through an HTTP client of ours that checks the
Idempotency-Key of each POST: stripe-python would otherwise invent a random key, and a
retried call would move money twice.
"""

import json
import re
from contextlib import contextmanager
from itertools import count
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.urls import reverse

from apps.bookings import services as booking_services
from apps.bookings.models import BookingStatus
from apps.core.money import Money
from apps.payments import services
from apps.payments.gateways import GatewayError, get_gateway
from apps.payments.gateways import stripe as stripe_gateway
from apps.payments.gateways.stripe import StripeGateway, intent_state, refund_state
from apps.payments.models import (
    GatewayCall,
    Payment,
    PaymentStatus,
    Receipt,
    ReceiptKind,
    Refund,
    RefundStatus,
)
from tests.portal.conftest import verify

EUR_45 = Money(4500, "EUR")

# The client stripe-python would use by itself (requests' when installed).
DefaultHTTPClient = type(stripe.new_default_http_client())


class RecordingHTTPClient(DefaultHTTPClient):
    """stripe-python's own HTTP client, recording every request. Each POST must carry the
    Idempotency-Key the test expects (``expecting``); any other fails the test."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, str, str | None]] = []
        self.expected_key: str | None = None
        self.mistakes: list[str] = []

    def request(self, method, url, headers, post_data=None):
        key = dict(headers or {}).get("Idempotency-Key")
        self.sent.append((method.upper(), urlsplit(url).path, key))
        if method.lower() == "post" and (key is None or key != self.expected_key):
            mistake = f"POST {url} carried Idempotency-Key {key!r}, not {self.expected_key!r}"
            self.mistakes.append(mistake)
            raise AssertionError(mistake)
        return super().request(method, url, headers, post_data)

    @contextmanager
    def expecting(self, key: str):
        self.expected_key = key
        try:
            yield
        finally:
            self.expected_key = None

    def posts(self) -> list[tuple[str, str | None]]:
        return [(path, key) for method, path, key in self.sent if method == "POST"]


@pytest.fixture
def recorder(monkeypatch):
    client = RecordingHTTPClient()
    monkeypatch.setattr(stripe_gateway, "make_http_client", lambda: client)
    yield client
    assert not client.mistakes, client.mistakes


@pytest.fixture
def outside(localstripe):
    """A Stripe client of the test's own: what the patient's browser and Stripe do."""
    return stripe.StripeClient("sk_test_clinix", base_addresses={"api": localstripe})


def pay_at_stripe(client: stripe.StripeClient, intent_id: str, card: str = "pm_card_visa"):
    """Confirm the intent with a test card, as Stripe Elements would in the browser.
    (localstripe takes the payment method through an update, not in the confirm call.)"""
    client.v1.payment_intents.update(intent_id, {"payment_method": card})
    return client.v1.payment_intents.confirm(intent_id)


def open_intent(gateway, recorder, *, key: str, manual_capture: bool = False, amount=EUR_45):
    with recorder.expecting(key):
        return gateway.create_intent(
            amount=amount, manual_capture=manual_capture, reference="CLX-TEST", key=key
        )


# --- Against localstripe ---------------------------------------------------------------------


@pytest.mark.slow
def test_create_intent_sends_our_key_and_the_booking_and_waits_for_the_patient(
    localstripe, recorder, outside
):
    gateway = get_gateway()

    opened = open_intent(gateway, recorder, key="clinix-payment-1-create")

    assert isinstance(gateway, StripeGateway)
    assert recorder.posts() == [("/v1/payment_intents", "clinix-payment-1-create")]
    assert opened.status == PaymentStatus.REQUIRES_PAYMENT
    assert opened.intent_id.startswith("pi_")
    assert opened.client_secret.startswith(f"{opened.intent_id}_secret_")
    at_stripe = outside.v1.payment_intents.retrieve(opened.intent_id)
    assert (at_stripe.amount, at_stripe.currency, at_stripe.capture_method) == (
        4500,
        "eur",
        "automatic",
    )
    assert at_stripe.metadata.to_dict() == {"booking": "CLX-TEST"}


@pytest.mark.slow
def test_an_intent_paid_at_stripe_reads_as_succeeded(localstripe, recorder, outside):
    gateway = StripeGateway()
    opened = open_intent(gateway, recorder, key="clinix-payment-2-create")

    pay_at_stripe(outside, opened.intent_id)

    state = gateway.retrieve_intent(opened.intent_id)
    assert state.status == PaymentStatus.SUCCEEDED
    assert state.failure_reason == ""


@pytest.mark.slow
def test_a_manual_capture_intent_reads_as_authorised_until_captured(localstripe, recorder, outside):
    gateway = StripeGateway()
    opened = open_intent(gateway, recorder, key="clinix-payment-3-create", manual_capture=True)
    assert outside.v1.payment_intents.retrieve(opened.intent_id).capture_method == "manual"

    pay_at_stripe(outside, opened.intent_id)
    assert gateway.retrieve_intent(opened.intent_id).status == PaymentStatus.AUTHORIZED

    with recorder.expecting("clinix-payment-3-capture"):
        captured = gateway.capture(opened.intent_id, amount=EUR_45, key="clinix-payment-3-capture")

    assert captured.status == PaymentStatus.SUCCEEDED
    assert recorder.posts()[-1] == (
        f"/v1/payment_intents/{opened.intent_id}/capture",
        "clinix-payment-3-capture",
    )


@pytest.mark.slow
def test_cancel_releases_an_authorisation(localstripe, recorder, outside):
    gateway = StripeGateway()
    opened = open_intent(gateway, recorder, key="clinix-payment-4-create", manual_capture=True)
    pay_at_stripe(outside, opened.intent_id)

    with recorder.expecting("clinix-payment-4-cancel"):
        cancelled = gateway.cancel(opened.intent_id, key="clinix-payment-4-cancel")

    assert cancelled.status == PaymentStatus.CANCELED
    assert gateway.retrieve_intent(opened.intent_id).status == PaymentStatus.CANCELED


@pytest.mark.slow
def test_a_declined_card_reads_as_failed_with_stripes_reason(localstripe, recorder, outside):
    gateway = StripeGateway()
    opened = open_intent(gateway, recorder, key="clinix-payment-5-create")
    with pytest.raises(stripe.CardError):
        pay_at_stripe(outside, opened.intent_id, card="pm_card_chargeCustomerFail")

    state = gateway.retrieve_intent(opened.intent_id)

    assert state.status == PaymentStatus.FAILED
    assert state.failure_reason == "Your card was declined."


@pytest.mark.slow
def test_refunds_full_and_partial_are_sent_with_their_keys_and_read_back(
    localstripe, recorder, outside
):
    gateway = StripeGateway()
    opened = open_intent(gateway, recorder, key="clinix-payment-6-create")
    pay_at_stripe(outside, opened.intent_id)

    with recorder.expecting("clinix-payment-6-refund-1"):
        partial = gateway.refund(
            opened.intent_id, amount=Money(1500, "EUR"), key="clinix-payment-6-refund-1"
        )
    with recorder.expecting("clinix-payment-6-refund-2"):
        rest = gateway.refund(
            opened.intent_id, amount=Money(3000, "EUR"), key="clinix-payment-6-refund-2"
        )

    assert recorder.posts()[-2:] == [
        ("/v1/refunds", "clinix-payment-6-refund-1"),
        ("/v1/refunds", "clinix-payment-6-refund-2"),
    ]
    assert partial.status == rest.status == RefundStatus.SUCCEEDED
    assert gateway.retrieve_refund(partial.refund_id) == partial
    at_stripe = outside.v1.refunds.retrieve(partial.refund_id)
    assert (at_stripe.amount, at_stripe.payment_intent) == (1500, opened.intent_id)
    assert at_stripe.metadata.to_dict() == {"clinix_key": "clinix-payment-6-refund-1"}
    assert outside.v1.refunds.retrieve(rest.refund_id).amount == 3000


@pytest.mark.slow
def test_stripe_refusing_a_request_is_not_worth_retrying(localstripe, recorder, outside):
    gateway = StripeGateway()
    opened = open_intent(gateway, recorder, key="clinix-payment-7-create")
    pay_at_stripe(outside, opened.intent_id)

    with pytest.raises(GatewayError) as unknown:
        gateway.retrieve_intent("pi_nobody_made_this")
    with recorder.expecting("clinix-payment-7-cancel"), pytest.raises(GatewayError) as paid:
        gateway.cancel(opened.intent_id, key="clinix-payment-7-cancel")

    assert unknown.value.transient is False
    assert paid.value.transient is False


@pytest.mark.slow
def test_a_wrong_secret_key_is_not_worth_retrying(localstripe, settings):
    settings.STRIPE_SECRET_KEY = "not-a-key"

    with pytest.raises(GatewayError) as refused:
        StripeGateway().retrieve_intent("pi_whatever")

    assert refused.value.transient is False


def test_an_unreachable_stripe_is_worth_retrying(settings, monkeypatch):
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    settings.STRIPE_SECRET_KEY = "sk_test_clinix"
    # Nothing listens on port 9 (discard) on a test machine.
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"

    with pytest.raises(GatewayError) as down:
        StripeGateway().retrieve_intent("pi_whatever")

    assert down.value.transient is True


# --- The whole way through the services, against localstripe -----------------------------------


@pytest.fixture
def prepaid(world):
    world.clinic.requires_prepayment = True
    world.clinic.save()
    return world


def book(world, patient):
    return services.checkout_book(
        patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
    )


@pytest.mark.slow
def test_pay_confirm_cancel_and_refund_through_the_services(
    localstripe, recorder, outside, prepaid, patient
):
    booking = book(prepaid, patient)
    assert booking.status == BookingStatus.HELD
    payment = booking.payment
    assert payment.gateway == "stripe"

    with recorder.expecting(payment.operation_key("create")):
        payment = services.payment_prepare(payment)
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT
    assert payment.intent_id.startswith("pi_")
    assert payment.client_secret

    pay_at_stripe(outside, payment.intent_id)
    payment = services.payment_refresh(payment)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.captured_minor == 4500
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert Receipt.objects.get(payment=payment, kind=ReceiptKind.PAYMENT).amount_minor == 4500

    booking_services.booking_cancel(booking=booking, actor=patient)
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.amount_minor) == (RefundStatus.REQUESTED, 4500)

    with recorder.expecting(refund.idempotency_key):
        refund = services.refund_execute(refund.pk)

    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.gateway_refund_id.startswith("re_")
    assert Receipt.objects.get(refund=refund).amount_minor == 4500
    assert outside.v1.refunds.retrieve(refund.gateway_refund_id).amount == 4500
    # Every POST carried the key the services logged for it, and nothing else was posted.
    logged = list(
        GatewayCall.objects.order_by("at", "pk").values_list("idempotency_key", flat=True)
    )
    assert (
        [key for _, key in recorder.posts()]
        == logged
        == [
            payment.operation_key("create"),
            refund.idempotency_key,
        ]
    )


@pytest.mark.slow
def test_a_manual_capture_payment_confirms_the_booking_and_is_captured_later(
    localstripe, recorder, outside, prepaid, patient
):
    prepaid.clinic.capture_on_check_in = True
    prepaid.clinic.save()
    booking = book(prepaid, patient)
    payment = booking.payment
    with recorder.expecting(payment.operation_key("create")):
        payment = services.payment_prepare(payment)
    pay_at_stripe(outside, payment.intent_id)

    payment = services.payment_refresh(payment)
    assert payment.status == PaymentStatus.AUTHORIZED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert not Receipt.objects.filter(payment=payment).exists()

    with recorder.expecting(payment.operation_key("capture")):
        payment = services.payment_capture(payment.pk)

    assert payment.status == PaymentStatus.SUCCEEDED
    assert Receipt.objects.get(payment=payment, kind=ReceiptKind.PAYMENT).amount_minor == 4500


@pytest.mark.slow
def test_the_checkout_page_mounts_stripe_elements_and_the_return_page_confirms(
    localstripe, recorder, outside, client, prepaid, patient
):
    booking = book(prepaid, patient)
    client.force_login(verify(patient))

    with recorder.expecting(booking.payment.operation_key("create")):
        page = client.get(reverse("payments:checkout", args=[booking.reference]))

    assert page.status_code == 200
    html = page.content.decode()
    payment = Payment.objects.get()
    return_path = reverse("payments:checkout-return", args=[booking.reference])
    assert f'data-client-secret="{payment.client_secret}"' in html
    assert 'data-publishable-key="pk_test_clinix"' in html
    assert f'data-return-url="http://testserver{return_path}"' in html
    assert '<script src="https://js.stripe.com/v3/">' in html
    assert "js/stripe-checkout.js" in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html)), "inline script"
    assert 'name="cvc"' not in html  # not the simulated gateway's card form

    pay_at_stripe(outside, payment.intent_id)
    back = client.get(return_path)

    assert back.url == reverse("portal:appointment-detail", args=[booking.reference])
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


# --- Against canned Stripe JSON: what localstripe cannot show ---------------------------------


class FakeStripeAPI(stripe.HTTPClient):
    """Stripe's API in memory, with Stripe's idempotency: a POST with a key seen before gets
    the first answer again and changes nothing. ``lose_answers`` processes the next POSTs
    and then drops their answers (a timeout); ``refund_outcome`` decides how refunds end."""

    name = "fake"

    def __init__(self):
        super().__init__()
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.answers: dict[str, tuple[str, int]] = {}
        self.posts: list[tuple[str, str | None]] = []
        self.lose_answers = 0
        self.refund_outcome: tuple[str, str | None] = ("succeeded", None)
        self.error: tuple[int, dict] | None = None
        self._ids = count(1)

    def request(self, method, url, headers, post_data=None):
        path = urlsplit(url).path
        if self.error is not None:
            status, error = self.error
            return json.dumps({"error": error}), status, {}
        if method.lower() != "post":
            return (*self._answer(method, path, {}), {})
        key = dict(headers or {}).get("Idempotency-Key")
        self.posts.append((path, key))
        if key not in self.answers:
            params = dict(parse_qsl(post_data or ""))
            self.answers[key] = self._answer(method, path, params)
        if self.lose_answers:
            self.lose_answers -= 1
            raise stripe.APIConnectionError("Read timed out.", should_retry=True)
        return (*self.answers[key], {})

    def pay(self, intent_id: str) -> None:
        intent = self.intents[intent_id]
        intent.update(status="succeeded", amount_received=intent["amount"])

    def _answer(self, method: str, path: str, params: dict) -> tuple[str, int]:
        parts = path.strip("/").split("/")[1:]  # without "v1"
        found: dict | None = None
        if parts == ["payment_intents"]:
            number = next(self._ids)
            found = self.intents[f"pi_fake{number}"] = {
                "id": f"pi_fake{number}",
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "currency": params["currency"],
                "capture_method": params["capture_method"],
                "status": "requires_payment_method",
                "client_secret": f"pi_fake{number}_secret_abc",
                "amount_received": 0,
                "last_payment_error": None,
            }
        elif parts[0] == "payment_intents" and parts[1] in self.intents:
            found = self.intents[parts[1]]
            if parts[2:] == ["capture"]:
                found.update(status="succeeded", amount_received=int(params["amount_to_capture"]))
            elif parts[2:] == ["cancel"]:
                found.update(status="canceled")
        elif parts == ["refunds"]:
            number = next(self._ids)
            status, reason = self.refund_outcome
            found = self.refunds[f"re_fake{number}"] = {
                "id": f"re_fake{number}",
                "object": "refund",
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
                "status": status,
                "failure_reason": reason,
            }
        elif parts[0] == "refunds" and parts[1] in self.refunds:
            found = self.refunds[parts[1]]
        if found is None:
            error = {"type": "invalid_request_error", "message": f"No such object: {path}"}
            return json.dumps({"error": error}), 404
        return json.dumps(found), 200


@pytest.fixture
def fake_stripe(settings, monkeypatch):
    api = FakeStripeAPI()
    monkeypatch.setattr(stripe_gateway, "make_http_client", lambda: api)
    # stripe-python waits 0.5 s or more before retrying; the fake needs no breather.
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0)
    settings.PAYMENT_GATEWAY = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_clinix"
    settings.STRIPE_API_BASE = "http://stripe.fake"
    return api


def test_the_same_create_key_twice_answers_the_same_intent(fake_stripe):
    gateway = StripeGateway()
    args = {"amount": EUR_45, "manual_capture": False, "reference": "CLX-TEST"}

    first = gateway.create_intent(**args, key="clinix-payment-8-create")
    again = gateway.create_intent(**args, key="clinix-payment-8-create")

    assert again == first
    assert len(fake_stripe.intents) == 1
    assert fake_stripe.posts == [("/v1/payment_intents", "clinix-payment-8-create")] * 2


def test_stripe_pythons_own_retry_after_a_timeout_repeats_our_key(fake_stripe):
    fake_stripe.lose_answers = 1

    opened = StripeGateway().create_intent(
        amount=EUR_45, manual_capture=False, reference="CLX-TEST", key="clinix-payment-9-create"
    )

    assert opened.status == PaymentStatus.REQUIRES_PAYMENT
    assert len(fake_stripe.intents) == 1
    assert fake_stripe.posts == [("/v1/payment_intents", "clinix-payment-9-create")] * 2


def test_a_prepare_retried_after_a_lost_answer_opens_one_intent(
    fake_stripe, monkeypatch, prepaid, patient
):
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    payment = book(prepaid, patient).payment
    fake_stripe.lose_answers = 1

    with pytest.raises(GatewayError) as lost:
        services.payment_prepare(payment)
    assert lost.value.transient is True
    payment.refresh_from_db()
    assert payment.intent_id == ""

    payment = services.payment_prepare(payment)

    assert list(fake_stripe.intents) == [payment.intent_id]
    assert [key for _, key in fake_stripe.posts] == [payment.operation_key("create")] * 2


def test_a_refund_retried_after_a_lost_answer_moves_the_money_once(
    fake_stripe, monkeypatch, prepaid, patient
):
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    payment = services.payment_prepare(book(prepaid, patient).payment)
    fake_stripe.pay(payment.intent_id)
    payment = services.payment_refresh(payment)
    refund = services.refund_request(payment=payment, amount=EUR_45, reason="Test")
    fake_stripe.lose_answers = 1

    with pytest.raises(GatewayError):
        services.refund_execute(refund.pk)
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REQUESTED
    assert refund.last_error

    refund = services.refund_execute(refund.pk)

    assert refund.status == RefundStatus.SUCCEEDED
    assert len(fake_stripe.refunds) == 1
    assert refund.gateway_refund_id == next(iter(fake_stripe.refunds))
    assert Receipt.objects.filter(refund=refund).count() == 1


def test_a_refund_stripe_fails_is_recorded_as_failed_with_the_reason(fake_stripe, prepaid, patient):
    payment = services.payment_prepare(book(prepaid, patient).payment)
    fake_stripe.pay(payment.intent_id)
    payment = services.payment_refresh(payment)
    refund = services.refund_request(payment=payment, amount=EUR_45, reason="Test")
    fake_stripe.refund_outcome = ("failed", "expired_or_canceled_card")

    refund = services.refund_execute(refund.pk)

    assert refund.status == RefundStatus.FAILED
    assert "expired_or_canceled_card" in refund.last_error
    assert refund.gateway_refund_id.startswith("re_fake")
    assert refund.completed_at is not None
    assert not Receipt.objects.filter(refund=refund).exists()


def test_a_pending_refund_is_submitted_then_succeeds_when_stripe_says_so(
    fake_stripe, prepaid, patient
):
    payment = services.payment_prepare(book(prepaid, patient).payment)
    fake_stripe.pay(payment.intent_id)
    payment = services.payment_refresh(payment)
    refund = services.refund_request(payment=payment, amount=Money(1000, "EUR"), reason="Test")
    fake_stripe.refund_outcome = ("pending", None)

    refund = services.refund_execute(refund.pk)
    assert refund.status == RefundStatus.SUBMITTED
    fake_stripe.refunds[refund.gateway_refund_id]["status"] = "succeeded"

    refund = services.refund_apply(
        refund, get_gateway("stripe").retrieve_refund(refund.gateway_refund_id)
    )

    assert refund.status == RefundStatus.SUCCEEDED
    assert Receipt.objects.get(refund=refund).amount_minor == 1000


@pytest.mark.parametrize(
    ("status", "error", "transient"),
    [
        (500, {"type": "api_error", "message": "Something went wrong."}, True),
        (503, {"type": "api_error", "message": "Unavailable."}, True),
        (409, {"type": "invalid_request_error", "message": "Lock timeout."}, True),
        (429, {"type": "invalid_request_error", "message": "Too many requests."}, True),
        (402, {"type": "card_error", "code": "card_declined", "message": "Declined."}, False),
        (400, {"type": "invalid_request_error", "message": "Bad amount."}, False),
        (400, {"type": "idempotency_error", "message": "Key reused."}, False),
        (401, {"type": "invalid_request_error", "message": "Invalid API key."}, False),
    ],
)
def test_stripe_errors_are_transient_only_when_a_retry_can_help(
    fake_stripe, monkeypatch, status, error, transient
):
    monkeypatch.setattr(stripe_gateway, "MAX_NETWORK_RETRIES", 0)
    fake_stripe.error = (status, error)

    with pytest.raises(GatewayError) as failed:
        StripeGateway().capture("pi_fake1", amount=EUR_45, key="clinix-payment-1-capture")

    assert failed.value.transient is transient
    assert str(failed.value) == error["message"]


# --- Status mapping ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [
        ("requires_payment_method", PaymentStatus.REQUIRES_PAYMENT),
        ("requires_confirmation", PaymentStatus.REQUIRES_PAYMENT),
        ("requires_action", PaymentStatus.REQUIRES_PAYMENT),
        ("processing", PaymentStatus.PROCESSING),
        ("requires_capture", PaymentStatus.AUTHORIZED),
        ("succeeded", PaymentStatus.SUCCEEDED),
        ("canceled", PaymentStatus.CANCELED),
        ("a_status_stripe_adds_one_day", PaymentStatus.PENDING),
    ],
)
def test_intent_statuses_in_clinix_words(stripe_status, ours):
    state = intent_state({"id": "pi_1", "status": stripe_status, "amount_received": 0})
    assert state.status == ours


def test_a_declined_attempt_is_a_failure_with_stripes_message_and_takings_are_read():
    declined = intent_state(
        {
            "id": "pi_1",
            "status": "requires_payment_method",
            "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
        }
    )
    paid = intent_state({"id": "pi_2", "status": "succeeded", "amount_received": 4000})

    assert (declined.status, declined.failure_reason) == (
        PaymentStatus.FAILED,
        "Your card was declined.",
    )
    assert paid.amount_received_minor == 4000


@pytest.mark.parametrize(
    ("stripe_status", "ours"),
    [
        ("pending", RefundStatus.SUBMITTED),
        ("requires_action", RefundStatus.SUBMITTED),
        ("succeeded", RefundStatus.SUCCEEDED),
        ("failed", RefundStatus.FAILED),
        ("canceled", RefundStatus.FAILED),
    ],
)
def test_refund_statuses_in_clinix_words(stripe_status, ours):
    state = refund_state({"id": "re_1", "status": stripe_status, "failure_reason": None})
    assert state.status == ours
    assert bool(state.failure_reason) is (ours == RefundStatus.FAILED)
