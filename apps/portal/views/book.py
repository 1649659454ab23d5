"""Booking a chosen time: summary, confirm, and what to do when someone was faster."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts import selectors as account_selectors
from apps.bookings.exceptions import BookingBusy, PatientDoubleBooked, SlotUnavailable
from apps.bookings.models import Booking, BookingStatus
from apps.bookings.policy import cancellation_terms
from apps.bookings.pricing import PricingContext
from apps.bookings.validation import check_placement
from apps.clinics.models import ServiceOffering
from apps.core.errors import DomainError
from apps.payments import pricing
from apps.payments import services as payment_services
from apps.payments.exceptions import PromoCodeInvalid
from apps.portal.forms import BookingForm
from apps.portal.selectors import alternatives_near
from apps.timeslots.models import Slot

#: Session key: confirm-form tokens already used, mapped to the booking they made.
USED_TOKENS = "clinix_booking_tokens"


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def book(request: HttpRequest) -> HttpResponse:
    """GET /book/?slot=&service= shows the summary; POST confirms through checkout_book
    (pricing, promo code, and a hold with a payment when the clinic takes payment first).

    The summary lives at a plain URL, so a refresh, the back button or a detour through
    sign-in all come back to it. A confirm form carries a one-time token: submitting it
    twice (double click, resubmit after back) leads to the booking already made.
    """
    source = request.POST if request.method == "POST" else request.GET
    slot, service = _chosen(source)
    context = {"slot": slot, "service": service, "clinic": slot.clinic}
    if request.method == "GET":
        context.update(_state_for_get(request, slot, service))
        return _render(request, context)

    form = BookingForm(request.POST)
    if not form.is_valid():
        ready = _ready_context(request, slot, service, form=form)
        return _render(request, {**context, **ready, "state": "ready"}, status=422)
    used = request.session.get(USED_TOKENS, {})
    if (reference := used.get(str(form.cleaned_data["token"]))) is not None:
        return _to_booking(request, reference)
    if not account_selectors.user_has_verified_email(request.user):
        return _render(request, {**context, "state": "unverified"}, status=403)
    try:
        booking = payment_services.checkout_book(
            patient=request.user,
            slot_id=slot.pk,
            service_id=service.pk,
            notes=form.cleaned_data["notes"],
            promo_code=form.cleaned_data["promo_code"],
        )
    except PromoCodeInvalid as error:
        form.add_error("promo_code", error.message)
        return _render(
            request,
            {**context, **_ready_context(request, slot, service, form=form)},
            status=422,
        )
    except DomainError as error:
        return _problem(request, context, error, form=form)
    used[str(form.cleaned_data["token"])] = booking.reference
    request.session[USED_TOKENS] = used
    if booking.price_notice:
        messages.warning(request, booking.price_notice)
    if booking.status == BookingStatus.HELD:
        messages.info(request, _("Your time is reserved. Pay now to confirm it."))
        return _redirect(request, reverse("payments:checkout", args=[booking.reference]))
    messages.success(request, _("Your appointment is booked."))
    return _to_booking(request, booking.reference)


def _chosen(source) -> tuple[Slot, ServiceOffering]:
    try:
        slot_id, service_id = int(source.get("slot", "")), int(source.get("service", ""))
    except ValueError:
        raise Http404("No such time.") from None
    slot = Slot.objects.select_related("clinic", "doctor__user").filter(pk=slot_id).first()
    service = ServiceOffering.objects.select_related("clinic").filter(pk=service_id).first()
    if slot is None or service is None:
        raise Http404("No such time.")
    return slot, service


def _state_for_get(request, slot: Slot, service: ServiceOffering) -> dict:
    mine = (
        Booking.objects.occupying()
        .filter(patient=request.user, slot=slot)
        .only("reference")
        .first()
    )
    if mine is not None:
        return {"state": "booked", "booking": mine}
    if not account_selectors.user_has_verified_email(request.user):
        return {"state": "unverified"}
    now = timezone.now()
    try:
        check_placement(slot=slot, service=service, patient=request.user, now=now)
    except DomainError as error:
        return _problem_context(slot, service, error, now, patient=request.user)
    form = BookingForm(initial={"slot": slot.pk, "service": service.pk})
    return {"state": "ready", **_ready_context(request, slot, service, form=form)}


def _ready_context(request, slot: Slot, service: ServiceOffering, *, form) -> dict:
    """The confirm form, the price as the pricing service would charge it, the terms."""
    now = timezone.now()
    context = PricingContext(
        patient=request.user, service=service, clinic=slot.clinic, starts_at=slot.starts_at, now=now
    )
    return {
        "form": form,
        "quote": pricing.price_quote(context),
        "terms": _terms_preview(slot, service, now),
    }


def _problem(request, context, error: DomainError, *, form) -> HttpResponse:
    status = 409 if isinstance(error, SlotUnavailable | PatientDoubleBooked) else 422
    if isinstance(error, BookingBusy):
        # Retryable: keep the form so one more click does it.
        ready = _ready_context(request, context["slot"], context["service"], form=form)
        return _render(request, {**context, "state": "ready", **ready, "busy": error.message}, 503)
    extra = _problem_context(
        context["slot"], context["service"], error, timezone.now(), patient=request.user
    )
    response = _render(request, {**context, **extra}, status=status)
    response["HX-Trigger"] = "slots-changed"
    return response


def _problem_context(slot, service, error: DomainError, now, *, patient) -> dict:
    taken = isinstance(error, SlotUnavailable)
    return {
        "state": "taken" if taken else "problem",
        "problem": _("This time was just taken.") if taken else error.message,
        "double_booked": isinstance(error, PatientDoubleBooked),
        "alternatives": alternatives_near(
            doctor_id=slot.doctor_id,
            clinic=slot.clinic,
            service=service,
            wanted=slot.starts_at,
            now=now,
            patient=patient,
        )
        if service.clinic_id == slot.clinic_id
        else [],
    }


def _terms_preview(slot: Slot, service: ServiceOffering, now):
    """The cancellation terms this booking would have, for the summary."""
    preview = Booking(clinic=slot.clinic, starts_at=slot.starts_at, service=service)
    return cancellation_terms(preview, now=now)


def _render(request, context, status: int = 200) -> HttpResponse:
    template = "portal/book.html#booking-panel" if request.htmx else "portal/book.html"
    return render(request, template, context, status=status)


def _to_booking(request, reference: str) -> HttpResponse:
    return _redirect(request, reverse("portal:appointment-detail", args=[reference]))


def _redirect(request, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
