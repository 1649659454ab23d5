"""The waitlist pages: join from a doctor's page, leave, and answer an offer.

Entries and offers are looked up through the patient's own selectors: another patient's
id is simply not found (404), whatever the action.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.bookings import selectors as booking_selectors
from apps.bookings import waitlist
from apps.bookings.exceptions import WaitlistError
from apps.bookings.models import BookingStatus
from apps.clinics.models import ServiceOffering
from apps.core.errors import DomainError
from apps.doctors.models import Doctor
from apps.payments import services as payment_services
from apps.portal.forms import WaitlistForm


def waitlist_form_context(request: HttpRequest, doctor: Doctor, service_id=None) -> dict:
    """The join form for ``doctor`` (shared with the doctor page), today to two weeks on."""
    services = list(
        ServiceOffering.objects.active()
        .filter(doctors=doctor)
        .select_related("clinic")
        .order_by("clinic__name", "price_minor", "name")
    )
    today = timezone.localdate()
    form = WaitlistForm(
        request.POST if request.method == "POST" else None,
        services=services,
        initial={
            "service": service_id or (services[0].pk if services else None),
            "date_from": today,
            "date_to": today + timedelta(days=14),
        },
    )
    return {"doctor": doctor, "waitlist_form": form}


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def waitlist_join(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the form. POST: waitlist_join; rule errors come back as field errors (422)."""
    doctor = get_object_or_404(Doctor.objects.active().select_related("user"), slug=slug)
    context = waitlist_form_context(request, doctor, request.GET.get("service"))
    template = (
        "portal/waitlist_join.html#waitlist-form" if request.htmx else ("portal/waitlist_join.html")
    )
    form = context["waitlist_form"]
    if request.method == "GET":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=422)
    data = form.cleaned_data
    try:
        waitlist.waitlist_join(
            patient=request.user,
            service_id=data["service"],
            doctor_id=doctor.pk if data["only_this_doctor"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    except WaitlistError as error:
        form.add_error(error.field, error.message)
        return render(request, template, context, status=422)
    if request.htmx:
        response = render(request, template, {**context, "joined": True})
        response["HX-Trigger"] = "waitlist-changed"
        return response
    messages.success(request, _("You are on the waitlist. We will offer you a time."))
    return redirect(reverse("portal:appointment-list") + "#waitlist")


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = get_object_or_404(
        booking_selectors.waitlist_list_for_patient(request.user), pk=entry_id
    )
    try:
        waitlist.waitlist_leave(entry_id=entry.pk, patient=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You have left the waitlist."))
    return _to(request, reverse("portal:appointment-list") + "#waitlist")


@login_required
@require_http_methods(["GET"])
def waitlist_offer(request: HttpRequest, offer_id: int) -> HttpResponse:
    """The offered time, its deadline, and "Accept" / "No thanks"."""
    offer = _own_offer(request, offer_id)
    context = {"offer": offer, "booking": offer.booking, "now": timezone.now()}
    return render(request, "portal/waitlist_offer.html", context)


@login_required
@require_POST
def waitlist_offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    try:
        booking = payment_services.waitlist_offer_accept(offer_id=offer.pk, patient=request.user)
    except DomainError as error:
        context = {"offer": offer, "booking": offer.booking, "problem": error.message}
        return render(request, "portal/waitlist_offer.html", context, status=409)
    if booking.status == BookingStatus.HELD:
        messages.info(request, _("The time is yours once paid. Pay now to confirm it."))
        return _to(request, reverse("payments:checkout", args=[booking.reference]))
    messages.success(request, _("Your appointment is booked."))
    return _to(request, reverse("portal:appointment-detail", args=[booking.reference]))


@login_required
@require_POST
def waitlist_offer_decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _own_offer(request, offer_id)
    try:
        waitlist.waitlist_offer_decline(offer_id=offer.pk, patient=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The time goes to the next person. You stay on the waitlist for others.")
        )
    return _to(request, reverse("portal:appointment-list") + "#waitlist")


def _own_offer(request: HttpRequest, offer_id: int):
    return get_object_or_404(
        booking_selectors.waitlist_offer_list_for_patient(request.user), pk=offer_id
    )


def _to(request, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
