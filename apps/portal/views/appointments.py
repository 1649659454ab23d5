"""My appointments: list, detail with timeline, cancel, reschedule, calendar file.

Every booking is looked up through ``booking_list_for_patient``: another patient's
reference is simply not found (404), whatever the action.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from apps.bookings import selectors as booking_selectors
from apps.bookings import services as booking_services
from apps.bookings.exceptions import SlotUnavailable
from apps.bookings.models import BookingStatus, OfferStatus
from apps.bookings.policy import cancellation_quote
from apps.core.errors import DomainError
from apps.payments import selectors as payment_selectors
from apps.portal.calendar import booking_ics
from apps.portal.forms import CancelForm, RescheduleForm
from apps.portal.selectors import alternatives_near
from apps.portal.views.find import availability_context
from apps.reviews import selectors as review_selectors
from apps.timeslots.models import Slot

#: Statuses whose next step happens without the patient (payment, confirmation).
PENDING = (BookingStatus.REQUESTED, BookingStatus.HELD)


def _own_booking(request: HttpRequest, reference: str):
    return get_object_or_404(
        booking_selectors.booking_list_for_patient(request.user), reference=reference
    )


@login_required
@require_GET
def appointment_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    bookings = list(booking_selectors.booking_list_for_patient(request.user).order_by("starts_at"))
    upcoming = [b for b in bookings if b.is_upcoming_status and b.ends_at > now] + [
        b for b in bookings if b.status == BookingStatus.CHECKED_IN
    ]
    past = [b for b in reversed(bookings) if b not in upcoming]
    receipts = list(payment_selectors.receipt_list_for_patient(user=request.user)[:50])
    waitlist = list(booking_selectors.waitlist_list_for_patient(request.user))
    return render(
        request,
        "portal/appointment_list.html",
        {
            "upcoming": upcoming,
            "past": past,
            "now": now,
            "receipts": receipts,
            "waitlist": waitlist,
        },
    )


@login_required
@require_GET
@vary_on_headers("HX-Request")
def appointment_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The booking and its timeline. While a step is pending the timeline polls itself;
    once nothing is pending the answer tells htmx to stop (status 286)."""
    booking = _own_booking(request, reference)
    context = {
        "booking": booking,
        "events": booking_selectors.booking_timeline(booking),
        "pending": booking.status in PENDING,
        "can_change": booking.is_upcoming_status and booking.starts_at > timezone.now(),
        "money": payment_selectors.money_trail_for_booking(booking),
        # A hold from the waitlist waits for the patient's answer, not for a payment.
        "offer": booking_selectors.waitlist_offer_list_for_patient(request.user)
        .filter(booking=booking, status=OfferStatus.OPEN)
        .first()
        if booking.status == BookingStatus.HELD
        else None,
    }
    if booking.status == BookingStatus.COMPLETED:
        context["review"] = review_selectors.review_for_booking(booking)
        context["reviewable"] = context["review"] is None and (
            review_selectors.booking_is_reviewable(booking, now=timezone.now())
        )
    if request.htmx and request.htmx.target == "timeline":
        response = render(request, "portal/appointment_detail.html#timeline", context)
        if not context["pending"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "portal/appointment_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def appointment_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: what cancelling costs (policy, refund) and a confirm button. POST: cancel."""
    booking = _own_booking(request, reference)
    form = CancelForm(request.POST if request.method == "POST" else None)
    context = {
        "booking": booking,
        "quote": cancellation_quote(booking, now=timezone.now()),
        "form": form,
    }
    template = "portal/cancel.html#cancel-dialog" if request.htmx else "portal/cancel.html"
    if request.method == "GET":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=422)
    try:
        booking_services.booking_cancel(
            booking=booking, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except DomainError as error:
        return render(request, template, {**context, "problem": error.message}, status=409)
    messages.success(request, _("Your appointment is cancelled."))
    return _back_to(request, booking.reference)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def appointment_reschedule(request: HttpRequest, reference: str) -> HttpResponse:
    """Pick another time with the same doctor and service, confirm, move atomically.

    GET without ?slot: the week strip. GET ?slot=: "move from ... to ..." with a confirm
    button. POST: booking_reschedule; if the time was taken meanwhile, the booking keeps
    its old time and the patient sees the nearest alternatives.
    """
    booking = _own_booking(request, reference)
    if not (booking.is_upcoming_status and booking.starts_at > timezone.now()):
        messages.error(request, _("This appointment can no longer be moved."))
        return _back_to(request, booking.reference)
    form = RescheduleForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        picker = availability_context(request, doctor=booking.doctor, booking=booking)
        template = (
            "portal/reschedule.html#slot-picker" if request.htmx else "portal/reschedule.html"
        )
        return render(request, template, picker)
    slot = get_object_or_404(
        Slot.objects.select_related("clinic"), pk=form.cleaned_data["slot"], doctor=booking.doctor
    )
    context = {"booking": booking, "slot": slot, "form": form}
    template = "portal/reschedule.html#move" if request.htmx else "portal/reschedule.html"
    if request.method == "GET":
        return render(request, template, context)
    try:
        booking_services.booking_reschedule(
            booking=booking, new_slot_id=slot.pk, actor=request.user
        )
    except DomainError as error:
        context["problem"] = (
            _("This time was just taken.") if isinstance(error, SlotUnavailable) else error.message
        )
        context["alternatives"] = alternatives_near(
            doctor_id=booking.doctor_id,
            clinic=booking.clinic,
            service=booking.service,
            wanted=slot.starts_at,
            now=timezone.now(),
            patient=request.user,
            moving_booking_id=booking.pk,
        )
        response = render(request, template, context, status=409)
        response["HX-Trigger"] = "slots-changed"
        return response
    messages.success(request, _("Your appointment has been moved."))
    return _back_to(request, booking.reference)


@login_required
@require_GET
def appointment_calendar(request: HttpRequest, reference: str) -> HttpResponse:
    booking = _own_booking(request, reference)
    response = HttpResponse(
        booking_ics(booking, url=request.build_absolute_uri(booking_url(booking.reference))),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="clinix-{booking.reference}.ics"'
    return response


def booking_url(reference: str) -> str:
    return reverse("portal:appointment-detail", args=[reference])


def _back_to(request, reference: str) -> HttpResponse:
    url = booking_url(reference)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
