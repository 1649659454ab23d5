"""The day sheet: a clinic's appointments of one day by doctor, and the visit-day steps.

One URL serves the page and, for htmx's refresh every minute, just the sheet body. Row
actions answer the row (htmx) or redirect back to the sheet (plain forms). Who may see a
clinic comes from ``clinic_list_for_staff`` (a foreign clinic is 404), who may change its
bookings from ``selectors.can_act_at`` (its doctors read only: 403), which buttons show
from ``bookings.staff_actions``; the services decide and their refusals show in the row.
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.backoffice import selectors
from apps.backoffice.forms.day_sheet import StaffCancelForm
from apps.bookings import services as booking_services
from apps.bookings.staff_actions import StaffAction
from apps.core.errors import DomainError

_SERVICES = {
    StaffAction.CHECK_IN: booking_services.booking_check_in,
    StaffAction.NO_SHOW: booking_services.booking_mark_no_show,
    StaffAction.COMPLETE: booking_services.booking_complete,
}
_DONE = {
    StaffAction.CHECK_IN: gettext_lazy("checked in"),
    StaffAction.NO_SHOW: gettext_lazy("marked as a no-show"),
    StaffAction.COMPLETE: gettext_lazy("visit completed"),
    StaffAction.CANCEL: gettext_lazy("appointment cancelled"),
}


def sheet_url(clinic_id: int, day: date) -> str:
    query = urlencode({"clinic": clinic_id, "date": day.isoformat()})
    return f"{reverse('backoffice:day-sheet')}?{query}"


@login_required
@require_GET
@vary_on_headers("HX-Request")
def day_sheet(request: HttpRequest) -> HttpResponse:
    """GET ?clinic=&date= (both optional: the first clinic, today in its zone)."""
    clinics = list(selectors.staff_clinics(request.user))
    if not clinics:
        raise PermissionDenied
    clinic = _chosen_clinic(request.GET.get("clinic"), clinics)
    now = timezone.now()
    today = now.astimezone(clinic.tz).date()
    day, date_error = _chosen_day(request.GET.get("date"), today)
    can_act = selectors.can_act_at(request.user, clinic)
    allowed = selectors.actions_allowed_at(request.user, clinic)
    context = {
        "clinics": clinics,
        "clinic": clinic,
        "day": day,
        "today": today,
        "date_error": date_error,
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "can_act": can_act,
        "columns": selectors.day_sheet_columns(request.user, clinic, day, now=now, allowed=allowed),
        "sheet_url": sheet_url(clinic.pk, day),
    }
    if request.htmx:
        return render(request, "backoffice/_partials/day_sheet_body.html", context)
    return render(request, "backoffice/day_sheet.html", context)


@login_required
@require_GET
def day_sheet_row(request: HttpRequest, reference: str) -> HttpResponse:
    """One row again (the cancel form closed without cancelling)."""
    booking = _booking(request, reference)
    if not request.htmx:
        return redirect(_sheet_of(booking))
    return _row(request, booking)


@login_required
@require_POST
def day_sheet_action(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """Check in, no-show or complete one booking through its service."""
    try:
        step = StaffAction(action)
    except ValueError:
        raise Http404("No such step.") from None
    if step not in _SERVICES:
        raise Http404("No such step.")
    booking = _booking(request, reference, acting=step)
    try:
        booking = _SERVICES[step](booking=booking, actor=request.user)
    except DomainError as error:
        return _refused(request, booking, error)
    return _done(request, booking, step)


@login_required
@require_http_methods(["GET", "POST"])
def day_sheet_cancel(request: HttpRequest, reference: str) -> HttpResponse:
    """Cancel on the clinic's behalf, with a reason the patient is told (full refund)."""
    booking = _booking(request, reference, acting=StaffAction.CANCEL)
    form = StaffCancelForm(request.POST if request.method == "POST" else None)
    if request.method == "GET" or not form.is_valid():
        status = 200 if request.method == "GET" else 422
        if request.htmx:
            return _row(request, booking, cancel_form=form, status=status)
        context = {"booking": booking, "form": form, "back_url": _sheet_of(booking)}
        return render(request, "backoffice/day_sheet_cancel.html", context, status=status)
    try:
        booking = booking_services.booking_cancel(
            booking=booking, actor=request.user, reason=form.cleaned_data["reason"], by_clinic=True
        )
    except DomainError as error:
        return _refused(request, booking, error)
    return _done(request, booking, StaffAction.CANCEL)


# --- Helpers ----------------------------------------------------------------------------


def _chosen_clinic(value: str | None, clinics: list):
    if not value:
        return clinics[0]
    try:
        wanted = int(value)
    except ValueError:
        raise Http404("No such clinic.") from None
    for clinic in clinics:
        if clinic.pk == wanted:
            return clinic
    raise Http404("No such clinic.")


def _chosen_day(value: str | None, today: date) -> tuple[date, str]:
    if not value:
        return today, ""
    try:
        return date.fromisoformat(value), ""
    except ValueError:
        return today, _("That is not a date: showing today instead.")


def _booking(request: HttpRequest, reference: str, *, acting: StaffAction | None = None):
    """The booking if it is in the user's clinics (else 404); for a step, only staff who
    may take it there (else 403)."""
    booking = selectors.day_sheet_booking(request.user, reference)
    if booking is None:
        raise Http404("No such booking.")
    # A doctor's sheet is their own column: another doctor's row is not theirs to see.
    front_desk = selectors.can_act_at(request.user, booking.clinic)
    if not front_desk and booking.doctor.user_id != request.user.pk:
        raise Http404("No such booking.")
    if acting and acting not in selectors.actions_allowed_at(request.user, booking.clinic):
        raise PermissionDenied
    return booking


def _sheet_of(booking) -> str:
    return sheet_url(booking.clinic_id, booking.local_starts_at.date())


def _row(request, booking, *, status: int = 200, **extra) -> HttpResponse:
    allowed = selectors.actions_allowed_at(request.user, booking.clinic)
    context = {
        "row": selectors.sheet_row(booking, now=timezone.now(), allowed=allowed),
        "clinic": booking.clinic,
        **extra,
    }
    return render(request, "backoffice/_partials/day_sheet_row.html", context, status=status)


def _done(request, booking, step: StaffAction) -> HttpResponse:
    name = booking.patient.get_full_name()
    note = _("%(patient)s, %(time)s: %(done)s.") % {
        "patient": name,
        "time": booking.local_starts_at.strftime("%H:%M"),
        "done": _DONE[step],
    }
    if not request.htmx:
        messages.success(request, note)
        return redirect(_sheet_of(booking))
    return _row(request, booking, announce=note, changed=True)


def _refused(request, booking, error: DomainError) -> HttpResponse:
    if not request.htmx:
        messages.error(request, error.message)
        return redirect(_sheet_of(booking))
    booking = selectors.day_sheet_booking(request.user, booking.reference)
    return _row(request, booking, problem=error.message, changed=True, status=409)
