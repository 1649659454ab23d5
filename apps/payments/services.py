"""Payment writes: book with a price, pay, confirm, refund, receipts.

The rule everywhere: no network call inside a database transaction. A decision (a refund
of 45.00, a capture, a cancel) is written as rows in the transaction that made it; the
gateway is called after commit (a Celery task, retried with the same idempotency key);
its answer is recorded in a new transaction and applied by a monotonic state machine, so
a late, repeated or reordered answer never moves anything backwards.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.bookings import services as booking_services
from apps.bookings import waitlist
from apps.bookings.models import Booking, BookingStatus, EventKind
from apps.core.money import Money
from apps.outbox.services import event_record
from apps.payments.exceptions import PaymentNotPossible, RefundNotPossible
from apps.payments.gateways import GatewayError, IntentState, RefundState, get_gateway
from apps.payments.models import (
    FINAL_PAYMENT_STATUSES,
    PAYMENT_RANK,
    DiscountClaim,
    DiscountQuotaDay,
    GatewayCall,
    Payment,
    PaymentStatus,
    PromoRedemption,
    Receipt,
    ReceiptCounter,
    ReceiptKind,
    Refund,
    RefundStatus,
)
from apps.payments.pricing import Claimer

logger = logging.getLogger(__name__)


# --- Book with a price ---------------------------------------------------------------------------


def checkout_book(
    *, patient, slot_id: int, service_id: int, notes: str = "", promo_code: str = "", actor=None
) -> Booking:
    """Book through the pricing service: discount and promo claimed with the booking, and a
    Payment row when the clinic takes payment up front (the booking is then held).

    Raises what booking_create raises, plus PromoCodeInvalid and DiscountQuotaUsedUp.
    """
    claimer = Claimer(promo_code=promo_code)
    with transaction.atomic():
        booking = booking_services.booking_create(
            patient=patient,
            slot_id=slot_id,
            service_id=service_id,
            notes=notes,
            actor=actor,
            pricer=claimer,
        )
        claimer.attach(booking)
        if booking.status == BookingStatus.HELD:
            Payment.objects.create(
                booking=booking,
                gateway=settings.PAYMENT_GATEWAY,
                amount_minor=booking.price_total_minor,
                currency=booking.currency,
                manual_capture=booking.clinic.capture_on_check_in,
            )
    # What the patient should be told about the price (the day's discounts ran out).
    booking.price_notice = claimer.quote.notice if claimer.quote else ""
    return booking


def waitlist_offer_accept(*, offer_id: int, patient) -> Booking:
    """Accept a waitlist offer; when the clinic takes payment up front, open the Payment
    for the hold the way checkout_book does (the booking stays held, with the usual time
    to pay). Accepting twice returns the same booking and one Payment.

    Raises what bookings.waitlist.waitlist_offer_accept raises (OfferNotOpen, BookingBusy).
    """
    with transaction.atomic():
        offer = waitlist.waitlist_offer_accept(offer_id=offer_id, patient=patient)
        booking = offer.booking
        if (
            booking.status == BookingStatus.HELD
            and not Payment.objects.filter(booking=booking).exists()
        ):
            Payment.objects.create(
                booking=booking,
                gateway=settings.PAYMENT_GATEWAY,
                amount_minor=booking.price_total_minor,
                currency=booking.currency,
                manual_capture=booking.clinic.capture_on_check_in,
            )
    return booking


# --- Pay -----------------------------------------------------------------------------------------


def payment_prepare(payment: Payment) -> Payment:
    """Open the payment at the gateway (after commit; idempotent: the create key is fixed).

    Raises PaymentNotPossible when the booking is no longer held, GatewayError when the
    gateway fails (the page shows it; the next try sends the same key).
    """
    if payment.intent_id:
        return payment
    if payment.booking.status != BookingStatus.HELD:
        raise PaymentNotPossible()
    gateway = get_gateway(payment.gateway)
    key = payment.operation_key("create")
    state = _call(
        payment,
        "create",
        key,
        lambda: gateway.create_intent(
            amount=payment.amount,
            manual_capture=payment.manual_capture,
            reference=payment.booking.reference,
            key=key,
        ),
    )
    Payment.objects.filter(pk=payment.pk, intent_id="").update(
        intent_id=state.intent_id, client_secret=state.client_secret
    )
    payment.refresh_from_db()
    return payment_apply(payment, state)


def payment_refresh(payment: Payment) -> Payment:
    """Ask the gateway where the payment stands and apply it (webhook handlers, pages)."""
    if not payment.intent_id:
        return payment
    state = get_gateway(payment.gateway).retrieve_intent(payment.intent_id)
    return payment_apply(payment, state)


def payment_apply(payment: Payment, state: IntentState) -> Payment:
    """Apply what the gateway says, forward only. Safe to call twice or out of order.

    Authorised or paid confirms the held booking (compare-and-set); when the booking is no
    longer held (the hold ran out, the patient cancelled) the money goes back: a captured
    payment is refunded in full, an authorisation is released. Failure ends the hold.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("booking").get(pk=payment.pk)
        current = locked.status
        new = state.status
        if _late_money(current, new):
            pass  # money moved after we gave up on the payment: record it, then return it
        elif current in FINAL_PAYMENT_STATUSES or PAYMENT_RANK[new] <= PAYMENT_RANK[current]:
            return locked  # stale, repeated or reordered news
        locked.status = new
        locked.failure_reason = state.failure_reason[:300]
        if new == PaymentStatus.SUCCEEDED:
            locked.captured_minor = state.amount_received_minor or locked.amount_minor
        locked.save()
        audit_record(
            actor=None,
            action="payment.status",
            target=locked,
            changes={"status": [current, new]},
        )
        if new in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
            event_record(
                kind=f"payment.{new}",
                dedupe_key=f"payment-{locked.pk}-{new}",
                payload={"payment": locked.pk, "booking": locked.booking_id},
            )
        booking = locked.booking
        if new in (PaymentStatus.AUTHORIZED, PaymentStatus.SUCCEEDED):
            # A capture after an authorisation is not news to the booking: the
            # authorisation confirmed it (or sent the money back), and by now it may be
            # checked in, or cancelled with a fee captured. Refunding that would give back
            # money the clinic keeps.
            if current == PaymentStatus.AUTHORIZED:
                confirmed = booking
            else:
                confirmed = booking_services.booking_confirm_paid(
                    booking=booking, payment_reference=str(locked.pk)
                )
            if new == PaymentStatus.SUCCEEDED:
                receipt_issue_for_payment(locked)
            if confirmed is None:
                _return_late_money(locked)
        elif new == PaymentStatus.FAILED:
            booking_services.booking_release_hold(
                booking=booking,
                failed=True,
                reason=locked.failure_reason or _("The payment did not go through."),
            )
        return locked


def _late_money(current: str, new: str) -> bool:
    """A declined or cancelled payment that the provider later reports as taken (a second
    card at a provider's page, a retry we did not see): the money is real."""
    return current in (PaymentStatus.FAILED, PaymentStatus.CANCELED) and new in (
        PaymentStatus.AUTHORIZED,
        PaymentStatus.SUCCEEDED,
    )


def _return_late_money(payment: Payment) -> None:
    """The money arrived for a booking that is no longer held: give it all back."""
    if payment.status == PaymentStatus.SUCCEEDED:
        refund_request(
            payment=payment,
            amount=payment.captured,
            reason=_("Your payment arrived after the time to pay had run out; refunded in full."),
        )
    else:
        transaction.on_commit(lambda: _dispatch("payment_cancel", payment.pk))


# --- Capture and cancel (after commit) -----------------------------------------------------------


def payment_capture(payment_id: int, amount_minor: int | None = None) -> Payment:
    """Take an authorised payment (all of it, or ``amount_minor``). Idempotent."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != PaymentStatus.AUTHORIZED:
        return payment
    amount = Money(payment.amount_minor if amount_minor is None else amount_minor, payment.currency)
    key = payment.operation_key("capture")
    gateway = get_gateway(payment.gateway)
    state = _call(
        payment,
        "capture",
        key,
        lambda: gateway.capture(payment.intent_id, amount=amount, key=key),
    )
    return payment_apply(payment, state)


def payment_cancel(payment_id: int) -> Payment:
    """Release an authorisation or an unpaid intent. Idempotent."""
    payment = Payment.objects.get(pk=payment_id)
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED):
        return payment
    if not payment.intent_id:
        Payment.objects.filter(pk=payment.pk, intent_id="").update(status=PaymentStatus.CANCELED)
        payment.refresh_from_db()
        return payment
    key = payment.operation_key("cancel")
    gateway = get_gateway(payment.gateway)
    try:
        state = _call(payment, "cancel", key, lambda: gateway.cancel(payment.intent_id, key=key))
    except GatewayError as error:
        if error.transient:
            raise
        if payment.status == PaymentStatus.FAILED:
            return payment  # a declined intent the provider had already closed
        # The intent moved on before the cancel arrived (the patient paid a moment before
        # the hold ran out): apply where it stands, so late money is refunded, not kept.
        return payment_refresh(payment)
    # A declined payment stays open at the provider (the card can be tried again there):
    # closing it means no money can arrive for a booking that is gone.
    return payment_apply(payment, state)


# --- Refunds ------------------------------------------------------------------------------------


def refundable(payment: Payment) -> Money:
    """What is left to refund: captured, less refunds not failed."""
    taken = (
        payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount_minor"))[
            "total"
        ]
        or 0
    )
    # Never negative: refunds made outside Clinix or a retried failure can add up to more.
    return Money(max(payment.captured_minor - taken, 0), payment.currency)


def refund_request(*, payment: Payment, amount: Money, reason: str, actor=None) -> Refund | None:
    """Decide a refund (a row, in the caller's transaction); it is sent after commit.

    Never more than is left to refund; nothing for a zero amount. Lock: the payment row.
    """
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != PaymentStatus.SUCCEEDED:
            raise RefundNotPossible(_("Only a payment that went through can be refunded."))
        left = refundable(locked)
        amount = Money(min(amount.amount_minor, left.amount_minor), locked.currency)
        if amount.amount_minor <= 0:
            return None
        number = (locked.refunds.count() or 0) + 1
        refund = Refund.objects.create(
            payment=locked,
            number=number,
            amount_minor=amount.amount_minor,
            currency=locked.currency,
            reason=reason[:300],
            idempotency_key=f"clinix-payment-{locked.pk}-refund-{number}",
            requested_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        event_record(
            kind="refund.requested",
            dedupe_key=f"refund-{refund.pk}-requested",
            payload={"refund": refund.pk, "booking": locked.booking_id},
        )
        audit_record(
            actor=actor,
            action="refund.request",
            target=refund,
            changes={"amount_minor": [None, refund.amount_minor], "reason": [None, refund.reason]},
        )
        transaction.on_commit(lambda: _dispatch("refund_execute", refund.pk))
        return refund


def refund_execute(refund_id: int, *, resend: bool = False) -> Refund:
    """Send a requested refund to the gateway with its fixed key.

    ``resend`` also sends one left ``submitted`` (the process died before the answer was
    recorded): the same key makes the provider answer the first result, never pay twice.
    """
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status == RefundStatus.SUCCEEDED or (
            refund.status == RefundStatus.SUBMITTED and not resend
        ):
            return refund
        refund.status = RefundStatus.SUBMITTED
        refund.attempts = F("attempts") + 1
        refund.save(update_fields=["status", "attempts", "updated_at"])
    payment = refund.payment
    gateway = get_gateway(payment.gateway)
    try:
        state = _call(
            payment,
            "refund",
            refund.idempotency_key,
            lambda: gateway.refund(
                payment.intent_id, amount=refund.amount, key=refund.idempotency_key
            ),
            refund=refund,
        )
    except GatewayError as error:
        if error.transient:
            Refund.objects.filter(pk=refund.pk).update(
                status=RefundStatus.REQUESTED, last_error=str(error)[:500]
            )
            raise
        return refund_apply(
            refund, RefundState(refund_id="", status="failed", failure_reason=str(error))
        )
    return refund_apply(refund, state)


#: A refund still requested or submitted after this long lost its task or its answer.
REFUND_STALE_AFTER = timedelta(minutes=10)


def refunds_resend_stale(*, now=None) -> int:
    """Send again every refund stuck in requested or submitted (a lost task, a worker that
    died mid-call). Safe: each carries its fixed key. Returns how many were sent."""
    now = now or timezone.now()
    stale = list(
        Refund.objects.filter(
            status__in=(RefundStatus.REQUESTED, RefundStatus.SUBMITTED),
            updated_at__lt=now - REFUND_STALE_AFTER,
        ).values_list("pk", flat=True)[:200]
    )
    for refund_id in stale:
        try:
            refund_execute(refund_id, resend=True)
        except GatewayError:
            logger.warning("Refund %s could not be sent again yet.", refund_id, exc_info=True)
    return len(stale)


def refund_apply(refund: Refund, state: RefundState) -> Refund:
    """Record the gateway's answer about a refund, forward only; a success gets a receipt."""
    with transaction.atomic():
        locked = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
        if state.refund_id and not locked.gateway_refund_id:
            locked.gateway_refund_id = state.refund_id
            locked.save(update_fields=["gateway_refund_id", "updated_at"])
        if locked.status == RefundStatus.SUCCEEDED or state.status == locked.status:
            return locked
        if state.status == RefundStatus.SUBMITTED and locked.status != RefundStatus.REQUESTED:
            return locked
        previous = locked.status
        locked.status = state.status
        if state.refund_id:
            locked.gateway_refund_id = state.refund_id
        locked.last_error = state.failure_reason[:500]
        if state.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
            locked.completed_at = timezone.now()
        locked.save()
        audit_record(
            actor=None,
            action="refund.status",
            target=locked,
            changes={"status": [previous, locked.status]},
        )
        if locked.status in (RefundStatus.SUCCEEDED, RefundStatus.FAILED):
            event_record(
                kind=f"refund.{locked.status}",
                dedupe_key=f"refund-{locked.pk}-{locked.status}-{locked.attempts}",
                payload={"refund": locked.pk, "booking": locked.payment.booking_id},
            )
        if locked.status == RefundStatus.SUCCEEDED:
            _receipt_issue(locked.payment, ReceiptKind.REFUND, locked.amount, refund=locked)
            booking_services.booking_record_event(
                booking=locked.payment.booking,
                kind=EventKind.REFUNDED,
                amount_minor=locked.amount_minor,
                currency=locked.currency,
                reason=locked.reason,
            )
        return locked


def refund_retry(*, refund: Refund, actor) -> Refund:
    """An admin sends a failed refund again (same key: the gateway cannot pay it twice)."""
    with transaction.atomic():
        # The payment first, as refund_request locks it: what is left to refund must not
        # change while we decide.
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != RefundStatus.FAILED:
            raise RefundNotPossible(_("Only a failed refund can be retried."))
        # A failed refund stops counting against the payment, so the rest may have been
        # refunded since; sending this one again would then refund more than was paid.
        if locked.amount_minor > refundable(payment).amount_minor:
            raise RefundNotPossible(_("This refund is more than is left to refund."))
        locked.status = RefundStatus.REQUESTED
        # A failed refund moved no money, and the provider would replay the failure for the
        # old key: the retry is a new operation with a key of its own (still fixed per try).
        base = f"clinix-payment-{locked.payment_id}-refund-{locked.number}"
        locked.idempotency_key = f"{base}-retry-{locked.attempts}"
        locked.gateway_refund_id = ""
        locked.save(update_fields=["status", "idempotency_key", "gateway_refund_id", "updated_at"])
        audit_record(actor=actor, action="refund.retry", target=locked)
        transaction.on_commit(lambda: _dispatch("refund_execute", locked.pk))
    return locked


# --- Receipts -----------------------------------------------------------------------------------


def receipt_issue_for_payment(payment: Payment) -> Receipt:
    existing = payment.receipts.filter(kind=ReceiptKind.PAYMENT).first()
    return existing or _receipt_issue(payment, ReceiptKind.PAYMENT, payment.captured)


def _receipt_issue(payment: Payment, kind: str, amount: Money, refund=None) -> Receipt:
    now = timezone.now()
    with transaction.atomic():
        ReceiptCounter.objects.get_or_create(year=now.year)
        counter = ReceiptCounter.objects.select_for_update().get(year=now.year)
        counter.last += 1
        counter.save(update_fields=["last"])
        return Receipt.objects.create(
            number=f"{now.year}-{counter.last:06d}",
            kind=kind,
            payment=payment,
            refund=refund,
            patient_id=payment.booking.patient_id,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            issued_at=now,
        )


# --- Compensation (answers to booking changes) ---------------------------------------------------


def claims_release(booking: Booking) -> None:
    """Give back the booking's discount quota and promo use. Idempotent."""
    now = timezone.now()
    claim = (
        DiscountClaim.objects.select_for_update()
        .filter(booking=booking, released_at__isnull=True)
        .first()
    )
    if claim is not None:
        claim.released_at = now
        claim.save(update_fields=["released_at"])
        DiscountQuotaDay.objects.filter(day=claim.day, used__gt=0).update(used=F("used") - 1)
    PromoRedemption.objects.filter(booking=booking, released_at__isnull=True).update(
        released_at=now
    )


# --- Plumbing -----------------------------------------------------------------------------------


def _call(payment: Payment, operation: str, key: str, send, refund: Refund | None = None):
    """Call the gateway (never inside a transaction) and log the call with its key."""
    if _in_transaction():
        raise RuntimeError("A payment gateway call inside a database transaction.")
    try:
        result = send()
    except GatewayError as error:
        GatewayCall.objects.create(
            payment=payment,
            refund=refund,
            operation=operation,
            idempotency_key=key,
            ok=False,
            detail=str(error)[:500],
        )
        raise
    GatewayCall.objects.create(
        payment=payment,
        refund=refund,
        operation=operation,
        idempotency_key=key,
        ok=True,
        detail=getattr(result, "status", ""),
    )
    return result


def _in_transaction() -> bool:
    # A test case's own wrapping transaction does not count (Django marks it).
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def _dispatch(task_name: str, *args) -> None:
    from apps.payments import tasks

    getattr(tasks, task_name).delay(*args)
