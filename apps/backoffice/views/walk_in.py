"""Booking for a patient at the desk or on the phone.

Find the patient (or add them), pick a free time, book. Booking goes through
``payments.services.checkout_book`` with the staff member as actor: the same exclusive-
booking service, locks, validation chain, pricing (discount quota, promo) and audit entry
as a patient's own booking. Receptionists, nurses, managers and platform admins book;
doctors do not (their role reads bookings only).
"""

from datetime import date, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts import services as account_services
from apps.accounts.exceptions import AccountError
from apps.backoffice import selectors
from apps.backoffice.forms.walk_in import NewPatientForm, WalkInBookForm
from apps.backoffice.views.day_sheet import sheet_url
from apps.bookings import selectors as booking_selectors
from apps.bookings.exceptions import BookingBusy, PatientDoubleBooked, SlotUnavailable
from apps.clinics.models import ServiceOffering
from apps.core.errors import DomainError
from apps.core.timeutils import local_day_bounds
from apps.payments import services as payment_services
from apps.timeslots.models import Slot


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def walk_in(request: HttpRequest) -> HttpResponse:
    """GET ?clinic=&date=&q=&patient=&service=&doctor= shows the steps; POST books."""
    source = request.POST if request.method == "POST" else request.GET
    context = _context(request, source)
    if request.method == "GET":
        return _render(request, context)
    form = WalkInBookForm(request.POST)
    if not form.is_valid():
        return _render(request, {**context, "book_form": form}, status=422)
    patient = selectors.patient_get(form.cleaned_data["patient"])
    service = context["service"]
    if patient is None or service is None or service.pk != form.cleaned_data["service"]:
        form.add_error(None, _("Choose the patient and the service again."))
        return _render(request, {**context, "book_form": form}, status=422)
    try:
        booking = payment_services.checkout_book(
            patient=patient,
            slot_id=form.cleaned_data["slot"],
            service_id=service.pk,
            notes=form.cleaned_data["notes"],
            actor=request.user,
        )
    except DomainError as error:
        return _refused(request, context, form, error)
    if booking.price_notice:
        messages.warning(request, booking.price_notice)
    return redirect("backoffice:walk-in-done", reference=booking.reference)


@login_required
@require_POST
def walk_in_patient(request: HttpRequest) -> HttpResponse:
    """Add a new patient, then carry on booking for them."""
    context = _context(request, request.POST)
    form = NewPatientForm(request.POST)
    if form.is_valid():
        try:
            patient = account_services.patient_create_by_staff(
                **form.cleaned_data, actor=request.user
            )
        except AccountError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(
                request, _("%(name)s is now a patient.") % {"name": patient.get_full_name()}
            )
            return redirect(_step_url(context, patient=patient.pk))
    return _render(request, {**context, "patient_form": form}, status=422)


@login_required
@require_GET
def walk_in_done(request: HttpRequest, reference: str) -> HttpResponse:
    booking = selectors.day_sheet_booking(request.user, reference)
    if booking is None:
        raise Http404("No such booking.")
    if not selectors.can_act_at(request.user, booking.clinic):
        raise PermissionDenied
    context = {
        "booking": booking,
        "sheet_url": sheet_url(booking.clinic_id, booking.local_starts_at.date()),
        "again_url": _step_url(
            {"clinic": booking.clinic, "day": booking.local_starts_at.date()}, patient=None
        ),
    }
    return render(request, "backoffice/walk_in_done.html", context)


# --- Helpers ----------------------------------------------------------------------------


def _context(request: HttpRequest, source) -> dict:
    """Everything the page shows, from the query (or the posted form's hidden fields)."""
    clinics = list(selectors.desk_clinics(request.user))
    if not clinics:
        raise PermissionDenied
    clinic = _pick(clinics, source.get("clinic"))
    now = timezone.now()
    today = now.astimezone(clinic.tz).date()
    day = _day(source.get("date"), today)
    services = list(ServiceOffering.objects.active().filter(clinic=clinic).order_by("name"))
    service = _pick(services, source.get("service"), default_first=True, missing=None)
    doctors = list(selectors.walk_in_doctors(clinic, service.pk if service else None))
    doctor = _pick(doctors, source.get("doctor"), default_first=False, missing=None)
    query = " ".join(source.get("q", "").split())[:100]
    patient = selectors.patient_get(_int(source.get("patient")))
    return {
        "clinics": clinics,
        "clinic": clinic,
        "day": day,
        "today": today,
        "previous_day": day - timedelta(days=1) if day > today else None,
        "next_day": day + timedelta(days=1),
        "services": services,
        "service": service,
        "doctors": doctors,
        "doctor": doctor,
        "query": query,
        "results": list(selectors.patient_search(query)) if query and not patient else [],
        "search_too_short": 0 < len(query) < selectors.PATIENT_SEARCH_MIN_LENGTH,
        "patient": patient,
        "times": _free_times(clinic, service, doctor, day, now) if patient else [],
        "min_notice": clinic.min_notice_minutes,
        "sheet_url": sheet_url(clinic.pk, day),
        "patient_form": NewPatientForm(),
        "book_form": None,
    }


def _free_times(clinic, service, doctor, day: date, now: datetime) -> list[Slot]:
    """The day's bookable starts for the service (the booking window applies, so the
    clinic's minimum notice too), earliest first. Two queries."""
    if service is None:
        return []
    start, end = local_day_bounds(day, clinic.tz)
    slots = Slot.objects.filter(clinic=clinic).select_related("doctor__user")
    if doctor is not None:
        slots = slots.filter(doctor=doctor)
    return booking_selectors.slot_list_available(
        slots, service=service, window_start=max(start, now), window_end=end, now=now
    )


def _refused(request, context, form, error: DomainError) -> HttpResponse:
    if isinstance(error, PatientDoubleBooked):
        problem = _("This patient already has an appointment at this time.")
    elif isinstance(error, SlotUnavailable):
        problem = _("This time was just taken. Choose another time.")
    else:
        problem = error.message
    status = 409 if isinstance(error, SlotUnavailable | PatientDoubleBooked) else 422
    if isinstance(error, BookingBusy):
        status = 503
    return _render(request, {**context, "book_form": form, "problem": problem}, status=status)


def _render(request, context: dict, status: int = 200) -> HttpResponse:
    template = "backoffice/walk_in.html"
    if request.htmx and request.headers.get("HX-Target") == "walk-in-time":
        template = "backoffice/_partials/walk_in_time.html"
    return render(request, template, context, status=status)


def _step_url(context: dict, **changes) -> str:
    query = {"clinic": context["clinic"].pk, "date": context["day"].isoformat(), **changes}
    return f"{reverse('backoffice:walk-in')}?{urlencode({k: v for k, v in query.items() if v})}"


def _pick(options: list, value, *, default_first: bool = True, missing="404"):
    """The option whose pk is ``value``; none given: the first (or None). A pk not among
    them is someone else's: 404 for clinics, ignored (None) for the rest."""
    wanted = _int(value)
    if wanted is None:
        return options[0] if default_first and options else None
    for option in options:
        if option.pk == wanted:
            return option
    if missing == "404":
        raise Http404("Not found.")
    return None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _day(value, today: date) -> date:
    try:
        chosen = date.fromisoformat(value or "")
    except ValueError:
        return today
    return max(chosen, today)
