"""Payments' answers to booking changes (bookings announces, payments answers)."""

from django.db import transaction
from django.utils.translation import gettext as _

from apps.bookings.models import EventKind
from apps.bookings.signals import booking_changed
from apps.payments import services
from apps.payments.models import Payment, PaymentStatus

_RELEASING = {EventKind.CANCELLED, EventKind.EXPIRED, EventKind.PAYMENT_FAILED}


def _on_booking_changed(sender, booking, previous, event, **kwargs) -> None:
    kind = event.kind
    if kind in _RELEASING:
        services.claims_release(booking)
    payment = Payment.objects.filter(booking=booking).first()
    if payment is None:
        return
    if kind == EventKind.CANCELLED:
        _settle(payment, keep_percent=100 - event.data.get("refund_percent", 100), why=_cancelled)
    elif kind in (EventKind.EXPIRED, EventKind.PAYMENT_FAILED):
        _after_commit("payment_cancel", payment.pk)
    elif kind in (EventKind.CHECKED_IN, EventKind.COMPLETED):
        if payment.status == PaymentStatus.AUTHORIZED:
            _after_commit("payment_capture", payment.pk)
    elif kind == EventKind.NO_SHOW:
        _settle(payment, keep_percent=booking.clinic.no_show_fee_percent, why=_no_show)


def _cancelled(refund_percent: int) -> str:
    return _("Cancelled: %(percent)s%% refunded under the clinic's policy.") % {
        "percent": refund_percent
    }


def _no_show(refund_percent: int) -> str:
    return _("Missed appointment: %(percent)s%% refunded after the no-show fee.") % {
        "percent": refund_percent
    }


def _settle(payment: Payment, *, keep_percent: int, why) -> None:
    """Keep ``keep_percent`` of the price and give back the rest: refund what was taken,
    capture only the kept share of an authorisation, release an unpaid intent."""
    if payment.status == PaymentStatus.SUCCEEDED:
        give_back = payment.captured - payment.captured.percent(keep_percent)
        if give_back.amount_minor > 0:
            services.refund_request(
                payment=payment, amount=give_back, reason=why(100 - keep_percent)
            )
    elif payment.status == PaymentStatus.AUTHORIZED:
        keep = payment.amount.percent(keep_percent).amount_minor
        if keep > 0:
            _after_commit("payment_capture", payment.pk, keep)
        else:
            _after_commit("payment_cancel", payment.pk)
    else:
        _after_commit("payment_cancel", payment.pk)


def _after_commit(task_name: str, *args) -> None:
    transaction.on_commit(lambda: services._dispatch(task_name, *args))


def connect() -> None:
    booking_changed.connect(_on_booking_changed, dispatch_uid="clinix.payments.booking_changed")
