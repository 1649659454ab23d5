"""Paying for a held booking with the simulated gateway, and giving money back.

The gateway is only ever called after commit: tests see the calls queued with
``django_capture_on_commit_callbacks`` and run them through ``run_tasks`` (the services
the Celery tasks wrap, called synchronously).
"""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apps.bookings import services as booking_services
from apps.bookings.models import Booking, BookingStatus, EventKind
from apps.core.money import Money
from apps.payments import services
from apps.payments.exceptions import PaymentNotPossible, RefundNotPossible
from apps.payments.gateways import get_gateway
from apps.payments.models import (
    DiscountClaim,
    DiscountQuotaDay,
    GatewayCall,
    Payment,
    PaymentStatus,
    PromoRedemption,
    Receipt,
    ReceiptKind,
    Refund,
    RefundStatus,
    SimulatedIntent,
)
from tests.conftest import on_visit_day
from tests.payments.factories import (
    DECLINED_CARD,
    PromoCodeFactory,
    book,
    card_submitted,
    make_prepaid,
    no_discounts,
    pay,
    set_policy,
)

pytestmark = pytest.mark.django_db

RECEIPT_NUMBER = re.compile(r"(\d{4})-(\d{6})")


@pytest.fixture(autouse=True)
def _list_prices():
    no_discounts()


@pytest.fixture
def run_tasks(monkeypatch):
    """Tasks queued after commit run the services they wrap, here and now. Returns the
    list of (task, args) dispatched."""
    dispatched = []
    tasks = {
        "refund_execute": services.refund_execute,
        "payment_capture": services.payment_capture,
        "payment_cancel": services.payment_cancel,
    }

    def dispatch(name, *args):
        dispatched.append((name, args))
        tasks[name](*args)

    monkeypatch.setattr(services, "_dispatch", dispatch)
    return dispatched


@pytest.fixture
def prepaid(world):
    return make_prepaid(world)


def intent(payment) -> SimulatedIntent:
    return SimulatedIntent.objects.get(intent_id=Payment.objects.get(pk=payment.pk).intent_id)


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def paid(prepaid, patient, run_tasks, **kwargs) -> Booking:
    booking = book(prepaid, patient, **kwargs)
    pay(booking)
    return reload(booking)


# --- Hold and pay -------------------------------------------------------------------------------


def test_a_prepaid_booking_is_held_with_a_payment_for_its_total(prepaid, patient):
    PromoCodeFactory(code="TEN", percent=10)

    booking = book(prepaid, patient, promo_code="TEN")

    assert booking.status == BookingStatus.HELD
    assert booking.hold_expires_at > timezone.now()
    payment = Payment.objects.get(booking=booking)
    assert (payment.amount_minor, payment.currency) == (4050, "EUR")
    assert payment.amount_minor == booking.price_total_minor
    assert payment.status == PaymentStatus.PENDING
    assert not payment.manual_capture
    assert payment.gateway == "simulated"


def test_a_clinic_that_is_paid_at_the_visit_confirms_without_a_payment(world, patient):
    booking = book(world, patient)

    assert booking.status == BookingStatus.CONFIRMED
    assert not Payment.objects.exists()


def test_preparing_twice_opens_one_intent_with_the_create_key(prepaid, patient):
    booking = book(prepaid, patient)
    # A double click: the second request loaded the payment before the first opened it.
    stale = Payment.objects.get(booking=booking)

    first = services.payment_prepare(Payment.objects.get(booking=booking))
    second = services.payment_prepare(stale)

    assert first.intent_id == second.intent_id
    assert first.intent_id.startswith("sim_pi_")
    assert SimulatedIntent.objects.count() == 1
    assert first.status == PaymentStatus.REQUIRES_PAYMENT
    calls = GatewayCall.objects.filter(payment=first)
    assert calls.count() == 2
    assert set(calls.values_list("idempotency_key", "operation", "ok")) == {
        (f"clinix-payment-{first.pk}-create", "create", True)
    }


def test_paying_confirms_the_booking_and_issues_a_receipt_once(prepaid, patient, run_tasks):
    booking = book(prepaid, patient)
    payment = card_submitted(booking)

    applied = services.payment_refresh(payment)

    assert applied.status == PaymentStatus.SUCCEEDED
    assert applied.captured_minor == 4500
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    kinds = list(booking.events.values_list("kind", flat=True))
    assert kinds == [EventKind.REQUESTED, EventKind.HELD, EventKind.PAID, EventKind.CONFIRMED]
    receipt = Receipt.objects.get()
    assert receipt.number == f"{timezone.now().year}-000001"
    assert (receipt.kind, receipt.amount_minor, receipt.currency) == ("payment", 4500, "EUR")
    assert receipt.patient == patient

    again = services.payment_refresh(applied)

    assert again.status == PaymentStatus.SUCCEEDED
    assert Receipt.objects.count() == 1
    assert booking.events.count() == len(kinds)
    assert not Refund.objects.exists()
    assert run_tasks == []


def test_receipt_numbers_count_up_per_year(prepaid, patient, other_patient, run_tasks):
    paid(prepaid, patient, run_tasks, slot=0)
    paid(prepaid, other_patient, run_tasks, slot=1)

    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    year = str(timezone.now().year)
    assert [RECEIPT_NUMBER.fullmatch(n).groups() for n in numbers] == [
        (year, "000001"),
        (year, "000002"),
    ]


def test_a_declined_card_fails_the_booking_frees_the_slot_and_releases_the_claims(
    prepaid, patient, other_patient, run_tasks
):
    set_policy(is_active=True, percent=10, birthday_rule=False, threshold_minor=1000, daily_quota=1)
    PromoCodeFactory(code="ONE", max_uses=1)
    booking = book(prepaid, patient, promo_code="ONE")
    assert DiscountQuotaDay.objects.get().used == 1

    payment = pay(booking, DECLINED_CARD)

    assert payment.status == PaymentStatus.FAILED
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PAYMENT_FAILED
    failed = booking.events.get(kind=EventKind.PAYMENT_FAILED)
    assert failed.data["reason"] == "Your card was declined."
    assert DiscountQuotaDay.objects.get().used == 0
    assert DiscountClaim.objects.get(booking=booking).released_at is not None
    assert PromoRedemption.objects.get(booking=booking).released_at is not None
    assert not Receipt.objects.exists()
    # The time, the day's discount and the code are there for the next patient.
    again = book(prepaid, other_patient, promo_code="ONE")
    assert again.slot_id == booking.slot_id
    assert (again.price_discount_minor, again.price_promo_minor) == (450, 405)


def test_a_booking_no_longer_held_cannot_be_prepared(prepaid, patient):
    booking = book(prepaid, patient)
    booking_services.booking_cancel(booking=booking, actor=patient)

    with pytest.raises(PaymentNotPossible):
        services.payment_prepare(Payment.objects.get(booking=booking))
    assert not SimulatedIntent.objects.exists()


# --- Holds that run out -------------------------------------------------------------------------


def test_an_expired_hold_is_expired_once_and_its_intent_cancelled_after_commit(
    prepaid, patient, run_tasks, django_capture_on_commit_callbacks
):
    set_policy(is_active=True, percent=10, birthday_rule=False, threshold_minor=1000)
    PromoCodeFactory(code="GONE")
    booking = book(prepaid, patient, promo_code="GONE")
    payment = services.payment_prepare(booking.payment)

    with time_machine.travel(booking.hold_expires_at + timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as queued:
            first = booking_services.booking_expire_holds()
            second = booking_services.booking_expire_holds()
        assert intent(payment).status == PaymentStatus.REQUIRES_PAYMENT  # nothing sent yet
        for callback in queued:
            callback()

    assert (first, second) == (1, 0)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.EXPIRED
    assert booking.events.filter(kind=EventKind.EXPIRED).count() == 1
    assert run_tasks == [("payment_cancel", (payment.pk,))]
    assert reload(payment).status == PaymentStatus.CANCELED
    assert intent(payment).status == PaymentStatus.CANCELED
    assert DiscountClaim.objects.get(booking=booking).released_at is not None
    assert PromoRedemption.objects.get(booking=booking).released_at is not None
    assert DiscountQuotaDay.objects.get().used == 0


def test_a_hold_is_kept_until_its_time_is_up(prepaid, patient):
    booking = book(prepaid, patient)

    with time_machine.travel(booking.hold_expires_at - timedelta(seconds=1), tick=False):
        assert booking_services.booking_expire_holds() == 0
    assert reload(booking).status == BookingStatus.HELD


def test_the_expire_holds_command_prints_how_many_expired(prepaid, patient, other_patient):
    held = [book(prepaid, patient, slot=0), book(prepaid, other_patient, slot=1)]
    out = io.StringIO()

    with time_machine.travel(held[1].hold_expires_at + timedelta(minutes=1), tick=False):
        call_command("expire_holds", stdout=out)
        call_command("expire_holds", stdout=out)

    assert out.getvalue().splitlines() == ["Expired 2 hold(s).", "Expired 0 hold(s)."]
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.EXPIRED}


def test_money_that_arrives_after_the_hold_expired_is_refunded_in_full(
    prepaid, patient, run_tasks, django_capture_on_commit_callbacks
):
    booking = book(prepaid, patient)
    payment = services.payment_prepare(booking.payment)
    with time_machine.travel(booking.hold_expires_at + timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=False) as cancel_queued:
            booking_services.booking_expire_holds()
        # The patient pays while the cancellation is still queued.
        get_gateway("simulated").confirm(payment.intent_id, card_number="4242424242424242")

        with django_capture_on_commit_callbacks(execute=False) as refund_queued:
            applied = services.payment_refresh(payment)

        assert applied.status == PaymentStatus.SUCCEEDED
        refund = Refund.objects.get(payment=payment)
        assert refund.amount_minor == 4500
        assert refund.status == RefundStatus.REQUESTED
        assert "after the time to pay had run out" in refund.reason
        assert reload(booking).status == BookingStatus.EXPIRED
        assert intent(payment).refunded_minor == 0  # decided, not sent

        for callback in [*refund_queued, *cancel_queued]:
            callback()

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert intent(payment).refunded_minor == 4500
    kinds = dict(Receipt.objects.values_list("kind", "amount_minor"))
    assert kinds == {ReceiptKind.PAYMENT: 4500, ReceiptKind.REFUND: 4500}
    assert Receipt.objects.get(kind=ReceiptKind.REFUND).refund == refund
    assert reload(booking).events.filter(kind=EventKind.REFUNDED).count() == 1


def test_money_taken_just_before_the_expiry_cancel_runs_is_still_refunded(
    prepaid, patient, run_tasks, django_capture_on_commit_callbacks
):
    """The patient paid a moment before the hold ran out and Clinix had not heard yet:
    the queued cancel finds a captured intent, which cannot be cancelled, only refunded."""
    booking = book(prepaid, patient)
    payment = card_submitted(booking)

    travel = time_machine.travel(booking.hold_expires_at + timedelta(seconds=1), tick=False)
    with travel, django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_expire_holds()

    assert reload(payment).status == PaymentStatus.SUCCEEDED
    refund = Refund.objects.get(payment=payment)
    assert (refund.status, refund.amount_minor) == (RefundStatus.SUCCEEDED, 4500)
    assert intent(payment).refunded_minor == 4500


# --- Cancellation and no-show -------------------------------------------------------------------


def test_cancelling_before_the_cut_off_refunds_everything_decided_in_the_cancellation(
    prepaid, patient, run_tasks, django_capture_on_commit_callbacks
):
    booking = paid(prepaid, patient, run_tasks)

    with django_capture_on_commit_callbacks(execute=True) as queued:
        booking_services.booking_cancel(booking=booking, actor=patient)
        refund = Refund.objects.get()
        assert (refund.status, refund.amount_minor, refund.number) == ("requested", 4500, 1)
        assert refund.idempotency_key == f"clinix-payment-{booking.payment.pk}-refund-1"
        assert "100% refunded" in refund.reason
        assert run_tasks == []  # nothing sent inside the transaction

    assert len(queued) == 1
    assert run_tasks == [("refund_execute", (refund.pk,))]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.gateway_refund_id.startswith("sim_re_")
    assert refund.attempts == 1
    assert Receipt.objects.get(kind=ReceiptKind.REFUND).amount_minor == 4500
    assert intent(booking.payment).refunded_minor == 4500
    assert services.refundable(reload(booking.payment)) == Money(0, "EUR")


@pytest.mark.parametrize(("percent", "refunded"), [(0, None), (30, 1350), (100, 4500)])
def test_cancelling_late_refunds_the_clinics_late_share(
    prepaid, patient, run_tasks, django_capture_on_commit_callbacks, percent, refunded
):
    make_prepaid(prepaid, late_cancellation_refund_percent=percent)
    booking = paid(prepaid, patient, run_tasks)

    travel = time_machine.travel(booking.starts_at - timedelta(hours=2), tick=False)
    with travel, django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, actor=patient)

    refunds = list(Refund.objects.values_list("amount_minor", "status"))
    assert refunds == ([] if refunded is None else [(refunded, RefundStatus.SUCCEEDED)])
    assert intent(booking.payment).refunded_minor == (refunded or 0)


def test_a_clinic_cancelling_late_refunds_everything(
    prepaid, patient, receptionist, run_tasks, django_capture_on_commit_callbacks
):
    booking = paid(prepaid, patient, run_tasks)

    travel = time_machine.travel(booking.starts_at - timedelta(hours=2), tick=False)
    with travel, django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, actor=receptionist, by_clinic=True)

    assert Refund.objects.get().amount_minor == 4500


@pytest.mark.parametrize(("fee", "refunded"), [(100, None), (60, 1800), (0, 4500)])
def test_a_no_show_keeps_the_clinics_fee(
    prepaid, patient, receptionist, run_tasks, django_capture_on_commit_callbacks, fee, refunded
):
    make_prepaid(prepaid, no_show_fee_percent=fee)
    booking = paid(prepaid, patient, run_tasks)

    travel = time_machine.travel(booking.starts_at + timedelta(minutes=20), tick=False)
    with travel, django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_mark_no_show(booking=booking, actor=receptionist)

    refunds = list(Refund.objects.values_list("amount_minor", "status"))
    assert refunds == ([] if refunded is None else [(refunded, RefundStatus.SUCCEEDED)])
    if refunded:
        assert f"{100 - fee}% refunded" in Refund.objects.get().reason


def test_cancelling_an_unpaid_hold_cancels_its_intent(
    prepaid, patient, run_tasks, django_capture_on_commit_callbacks
):
    booking = book(prepaid, patient)
    payment = services.payment_prepare(booking.payment)

    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, actor=patient)

    assert reload(payment).status == PaymentStatus.CANCELED
    assert intent(payment).status == PaymentStatus.CANCELED
    assert not Refund.objects.exists()


# --- Authorise now, capture at check-in ---------------------------------------------------------


@pytest.fixture
def manual(prepaid):
    return make_prepaid(prepaid, capture_on_check_in=True, late_cancellation_refund_percent=50)


def authorised(manual, patient) -> Booking:
    booking = book(manual, patient)
    payment = pay(booking)
    assert payment.status == PaymentStatus.AUTHORIZED
    assert payment.manual_capture
    assert payment.captured_minor == 0
    return reload(booking)


def test_an_authorised_payment_confirms_the_booking_without_a_receipt(manual, patient):
    booking = authorised(manual, patient)

    assert booking.status == BookingStatus.CONFIRMED
    assert intent(booking.payment).captured_minor == 0
    assert not Receipt.objects.exists()


def test_check_in_captures_the_whole_amount(
    manual, patient, receptionist, run_tasks, django_capture_on_commit_callbacks
):
    booking = authorised(manual, patient)

    with on_visit_day(booking), django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_check_in(booking=booking, actor=receptionist)

    payment = reload(booking.payment)
    assert (payment.status, payment.captured_minor) == (PaymentStatus.SUCCEEDED, 4500)
    assert intent(payment).captured_minor == 4500
    assert reload(booking).status == BookingStatus.CHECKED_IN
    assert Receipt.objects.get().amount_minor == 4500
    # The money was taken for a visit that is happening: nothing goes back.
    assert not Refund.objects.exists()
    assert intent(payment).refunded_minor == 0
    assert GatewayCall.objects.get(operation="capture").idempotency_key == (
        f"clinix-payment-{payment.pk}-capture"
    )


def test_a_late_cancellation_captures_only_the_fee(
    manual, patient, run_tasks, django_capture_on_commit_callbacks
):
    booking = authorised(manual, patient)

    travel = time_machine.travel(booking.starts_at - timedelta(hours=2), tick=False)
    with travel, django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, actor=patient)

    payment = reload(booking.payment)
    assert (payment.status, payment.captured_minor) == (PaymentStatus.SUCCEEDED, 2250)
    assert intent(payment).captured_minor == 2250
    assert not Refund.objects.exists()
    assert intent(payment).refunded_minor == 0
    assert Receipt.objects.get().amount_minor == 2250
    assert reload(booking).status == BookingStatus.CANCELLED


def test_a_free_cancellation_releases_the_authorisation(
    manual, patient, run_tasks, django_capture_on_commit_callbacks
):
    booking = authorised(manual, patient)

    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=booking, actor=patient)

    payment = reload(booking.payment)
    assert (payment.status, payment.captured_minor) == (PaymentStatus.CANCELED, 0)
    assert intent(payment).status == PaymentStatus.CANCELED
    assert run_tasks == [("payment_cancel", (payment.pk,))]
    assert not Receipt.objects.exists()


# --- Refunds ------------------------------------------------------------------------------------


def test_executing_a_refund_twice_refunds_once(prepaid, patient, run_tasks):
    booking = paid(prepaid, patient, run_tasks)
    refund = services.refund_request(
        payment=booking.payment, amount=Money(1000, "EUR"), reason="goodwill"
    )

    # The first attempt reached the provider, but its answer timed out on the way back
    # (a transient error: the refund stays requested and the task is retried).
    get_gateway("simulated").refund(
        booking.payment.intent_id, amount=refund.amount, key=refund.idempotency_key
    )
    services.refund_execute(refund.pk)
    services.refund_execute(refund.pk)

    assert intent(booking.payment).refunded_minor == 1000
    assert reload(refund).status == RefundStatus.SUCCEEDED
    assert Receipt.objects.filter(kind=ReceiptKind.REFUND).count() == 1
    keys = set(GatewayCall.objects.filter(operation="refund").values_list("idempotency_key"))
    assert keys == {(refund.idempotency_key,)}


def test_a_refund_the_gateway_refuses_fails_and_can_be_retried(
    prepaid, patient, platform_admin, run_tasks, django_capture_on_commit_callbacks
):
    booking = paid(prepaid, patient, run_tasks)
    refund = services.refund_request(payment=booking.payment, amount=Money(4500, "EUR"), reason="x")
    # Someone refunded at the provider's dashboard: nothing is left to refund there.
    SimulatedIntent.objects.filter(pk=intent(booking.payment).pk).update(refunded_minor=4500)

    failed = services.refund_execute(refund.pk)

    assert failed.status == RefundStatus.FAILED
    assert "exceeds" in failed.last_error
    assert failed.completed_at is not None
    assert not Receipt.objects.filter(kind=ReceiptKind.REFUND).exists()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        retried = services.refund_retry(refund=failed, actor=platform_admin)
    assert retried.status == RefundStatus.REQUESTED
    assert reload(refund).status == RefundStatus.REQUESTED
    assert len(queued) == 1

    with pytest.raises(RefundNotPossible):
        services.refund_retry(refund=retried, actor=platform_admin)


def test_a_failed_refund_cannot_be_retried_once_the_rest_was_refunded(
    prepaid, patient, platform_admin, run_tasks
):
    booking = paid(prepaid, patient, run_tasks)
    payment = booking.payment
    first = services.refund_request(payment=payment, amount=Money(4500, "EUR"), reason="x")
    Refund.objects.filter(pk=first.pk).update(status=RefundStatus.FAILED)
    # The failed refund no longer counts: an admin refunds the rest another way.
    second = services.refund_request(payment=payment, amount=Money(4500, "EUR"), reason="y")
    assert second.amount_minor == 4500

    with pytest.raises(RefundNotPossible):
        services.refund_retry(refund=first, actor=platform_admin)

    assert reload(first).status == RefundStatus.FAILED
    assert services.refundable(reload(payment)) == Money(0, "EUR")


def test_refundable_never_goes_below_zero_and_refunds_never_exceed_the_payment(
    prepaid, patient, run_tasks
):
    booking = paid(prepaid, patient, run_tasks)
    payment = booking.payment

    first = services.refund_request(payment=payment, amount=Money(3000, "EUR"), reason="a")
    second = services.refund_request(payment=payment, amount=Money(3000, "EUR"), reason="b")
    third = services.refund_request(payment=payment, amount=Money(1, "EUR"), reason="c")

    assert (first.amount_minor, second.amount_minor, third) == (3000, 1500, None)
    assert services.refundable(reload(payment)) == Money(0, "EUR")
    assert [r.number for r in Refund.objects.order_by("number")] == [1, 2]


def test_refundable_is_never_negative_even_when_refunds_exceed_the_capture(
    prepaid, patient, run_tasks
):
    booking = paid(prepaid, patient, run_tasks)
    payment = reload(booking.payment)
    Refund.objects.create(
        payment=payment,
        number=1,
        amount_minor=4500,
        currency="EUR",
        reason="at the provider",
        idempotency_key="outside-1",
    )
    Refund.objects.create(
        payment=payment,
        number=2,
        amount_minor=100,
        currency="EUR",
        reason="at the provider",
        idempotency_key="outside-2",
    )

    assert services.refundable(payment) == Money(0, "EUR")
    assert services.refund_request(payment=payment, amount=Money(1, "EUR"), reason="z") is None


def test_only_a_payment_that_went_through_can_be_refunded(prepaid, patient):
    booking = book(prepaid, patient)

    with pytest.raises(RefundNotPossible):
        services.refund_request(payment=booking.payment, amount=Money(100, "EUR"), reason="x")
    assert not Refund.objects.exists()


# --- Someone else's data ------------------------------------------------------------------------


def test_a_patients_payment_trouble_never_touches_another_patients_booking(
    prepaid, patient, other_patient, run_tasks, django_capture_on_commit_callbacks
):
    set_policy(is_active=True, percent=10, birthday_rule=False, threshold_minor=1000, daily_quota=5)
    PromoCodeFactory(code="BOTH", max_uses=5)
    theirs = book(prepaid, other_patient, slot=1, promo_code="BOTH")
    their_paid = book(prepaid, other_patient, slot=3, promo_code="")
    pay(their_paid)
    mine = book(prepaid, patient, slot=0, promo_code="BOTH")
    mine_paid = book(prepaid, patient, slot=2)
    pay(mine_paid)
    before = {
        b.pk: (b.status, b.payment.status, b.payment.captured_minor)
        for b in Booking.objects.filter(patient=other_patient).select_related("payment")
    }

    pay(mine, DECLINED_CARD)
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking=mine_paid, actor=patient)

    after = {
        b.pk: (b.status, b.payment.status, b.payment.captured_minor)
        for b in Booking.objects.filter(patient=other_patient).select_related("payment")
    }
    assert after == before
    assert DiscountClaim.objects.get(booking=theirs).released_at is None
    assert PromoRedemption.objects.get(booking=theirs).released_at is None
    assert not Refund.objects.filter(payment__booking__patient=other_patient).exists()
    assert intent(reload(their_paid).payment).refunded_minor == 0
    assert DiscountQuotaDay.objects.get().used == 2  # theirs twice; mine both released
    assert reload(theirs).status == BookingStatus.HELD

    with time_machine.travel(mine.hold_expires_at - timedelta(seconds=1), tick=False):
        assert booking_services.booking_expire_holds() == 0
