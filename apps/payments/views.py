"""The patient's payment pages: checkout for a held booking, and receipts."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.bookings.models import BookingStatus
from apps.payments import selectors, services
from apps.payments.exceptions import PaymentNotPossible
from apps.payments.forms import SimulatedCardForm
from apps.payments.gateways import GatewayError, get_gateway
from apps.payments.models import PaymentStatus


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, reference: str) -> HttpResponse:
    """Pay for a held booking. GET opens the payment at the gateway (idempotently) and
    shows the breakdown, the time left and the card form; POST (simulated gateway) pays."""
    payment = selectors.payment_for_patient(user=request.user, reference=reference)
    if payment is None:
        raise Http404("No such payment.")
    booking = payment.booking
    detail_url = reverse("portal:appointment-detail", args=[booking.reference])
    if booking.status != BookingStatus.HELD or payment.status in (
        PaymentStatus.SUCCEEDED,
        PaymentStatus.AUTHORIZED,
    ):
        return redirect(detail_url)
    context = {"payment": payment, "booking": booking, "now": timezone.now()}
    try:
        payment = services.payment_prepare(payment)
    except PaymentNotPossible:
        return redirect(detail_url)
    except GatewayError:
        context["problem"] = _(
            "The payment service is not answering right now. Your time stays reserved; "
            "please try again in a moment."
        )
        return render(request, "payments/checkout.html", context, status=503)
    context["payment"] = payment
    if payment.gateway == "stripe":
        context["stripe_key"] = settings.STRIPE_PUBLISHABLE_KEY
        context["return_url"] = request.build_absolute_uri(
            reverse("payments:checkout-return", args=[booking.reference])
        )
        return render(request, "payments/checkout.html", context)
    form = SimulatedCardForm(request.POST if request.method == "POST" else None)
    context["form"] = form
    if request.method == "GET":
        return render(request, "payments/checkout.html", context)
    if not form.is_valid():
        return render(request, "payments/checkout.html", context, status=422)
    get_gateway("simulated").confirm(payment.intent_id, card_number=form.cleaned_data["number"])
    return _after_payment(request, services.payment_refresh(payment))


@login_required
@require_GET
def checkout_return(request: HttpRequest, reference: str) -> HttpResponse:
    """Where Stripe sends the patient back: ask the gateway, then show the booking."""
    payment = selectors.payment_for_patient(user=request.user, reference=reference)
    if payment is None:
        raise Http404("No such payment.")
    try:
        payment = services.payment_refresh(payment)
    except GatewayError:
        messages.info(request, _("We are still waiting for the payment service's answer."))
        return redirect("portal:appointment-detail", payment.booking.reference)
    return _after_payment(request, payment)


def _after_payment(request, payment) -> HttpResponse:
    payment.booking.refresh_from_db()
    booking = payment.booking
    if booking.status == BookingStatus.CONFIRMED:
        messages.success(request, _("Paid. Your appointment is confirmed."))
    elif payment.status == PaymentStatus.FAILED:
        messages.error(
            request,
            _(
                "The payment did not go through (%(reason)s). Nothing was charged and the time "
                "is free again; please book again."
            )
            % {"reason": payment.failure_reason},
        )
    elif booking.status == BookingStatus.EXPIRED:
        messages.warning(
            request,
            _("The time to pay had run out. Any money taken is refunded in full."),
        )
    else:
        messages.info(request, _("We are waiting for the payment service's answer."))
    return redirect("portal:appointment-detail", booking.reference)


@login_required
@require_GET
def receipt_detail(request: HttpRequest, number: str) -> HttpResponse:
    receipt = selectors.receipt_get_for_patient(user=request.user, number=number)
    if receipt is None:
        raise Http404("No such receipt.")
    return render(request, "payments/receipt.html", {"receipt": receipt})
