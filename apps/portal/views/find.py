"""Find care: search, clinic pages, doctor pages with their week of free times."""

from datetime import datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from apps.clinics.models import Clinic, ServiceOffering, Weekday
from apps.doctors.models import Doctor
from apps.doctors.selectors import doctor_clinics
from apps.portal import selectors
from apps.portal.forms import PickerForm, SearchForm
from apps.portal.views.reviews import reviews_context
from apps.portal.views.waitlist import waitlist_form_context

RESULTS_PER_PAGE = 10


@require_GET
@vary_on_headers("HX-Request")
def home(request: HttpRequest) -> HttpResponse:
    """Search is the front door; the result list alone answers htmx requests."""
    now = timezone.now()
    form = SearchForm(request.GET or None, today=timezone.localdate())
    invalid = form.is_bound and not form.is_valid()
    # Without a search the list shows every doctor, soonest free time first.
    results = [] if invalid else selectors.doctor_search(form.to_query(), now=now)
    page = Paginator(results, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "searched": form.is_bound, "now": now}
    template = "portal/search.html#results" if request.htmx else "portal/search.html"
    status = 422 if invalid else 200
    return render(request, template, context, status=status)


@require_GET
def clinic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic.objects.active(), slug=slug)
    today = timezone.now().astimezone(clinic.tz).date()
    doctors = selectors.doctor_search(
        selectors.SearchQuery(clinic_id=clinic.pk), now=timezone.now()
    )
    intervals = {}
    for hours in clinic.opening_hours.order_by("weekday", "opens"):
        intervals.setdefault(hours.weekday, []).append(hours)
    context = {
        "clinic": clinic,
        # Every weekday, so a day without hours reads "closed" instead of going missing.
        "week_hours": [(label, intervals.get(day, [])) for day, label in Weekday.choices],
        "closures": clinic.closures.filter(ends_on__gte=today).order_by("starts_on")[:10],
        "services": clinic.services.active()
        .select_related("category")
        .order_by("category__name", "name"),
        "doctors": doctors,
        **reviews_context(clinic=clinic),
    }
    return render(request, "portal/clinic_detail.html", context)


@require_GET
@vary_on_headers("HX-Request")
def doctor_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The doctor's page; for htmx requests only the availability picker is sent."""
    doctor = get_object_or_404(
        Doctor.objects.active().select_related("user").prefetch_related("specialties", "languages"),
        slug=slug,
    )
    picker = availability_context(request, doctor=doctor)
    if request.htmx:
        return render(request, "portal/doctor_detail.html#slot-picker", picker)
    services = (
        ServiceOffering.objects.active()
        .filter(doctors=doctor)
        .select_related("clinic", "category")
        .order_by("clinic__name", "price_minor")
    )
    context = {**picker, "services": services, **reviews_context(doctor=doctor)}
    if request.user.is_authenticated:
        context.update(waitlist_form_context(request, doctor, picker["service"].pk))
    return render(request, "portal/doctor_detail.html", context)


def availability_context(request: HttpRequest, *, doctor: Doctor, booking=None) -> dict:
    """Everything the week strip needs, from ?clinic=&service=&week=&day=.

    Used by the doctor page and, with ``booking``, by rescheduling (same doctor, clinic
    and service, only the time changes).
    """
    now = timezone.now()
    if booking is not None:
        clinics, services = [booking.clinic], [booking.service]
    else:
        clinics = list(doctor_clinics(doctor).order_by("name"))
        if not clinics:
            raise Http404("This doctor takes no bookings at the moment.")
        services = None
    form = PickerForm(request.GET, clinics=clinics, services=services or [])
    form.is_valid()  # unknown values fall back to defaults below, never to an error page
    data = form.cleaned_data
    clinic = next((c for c in clinics if c.pk == data.get("clinic")), clinics[0])
    if services is None:
        services = list(
            ServiceOffering.objects.active()
            .filter(doctors=doctor, clinic=clinic)
            .order_by("price_minor", "name")
        )
        form = PickerForm(request.GET, clinics=clinics, services=services)
        form.is_valid()
        data = form.cleaned_data
    service = next((s for s in services if s.pk == data.get("service")), services[0])
    # A rolling week from today (no empty past days), moved in steps of seven days.
    today = now.astimezone(clinic.tz).date()
    week_start = max(data.get("week") or data.get("day") or today, today)
    if data.get("day") and not week_start <= data["day"] < week_start + timedelta(days=7):
        week_start = max(data["day"], today)
    week = selectors.doctor_week(
        doctor=doctor, clinic=clinic, service=service, start=week_start, now=now
    )
    next_free = None
    if not week.slot_count:
        after = week.days[-1].date + timedelta(days=1)
        next_free = selectors.doctor_next_free(
            doctor=doctor,
            clinic=clinic,
            service=service,
            after=datetime.combine(after, time.min, tzinfo=clinic.tz),
            now=now,
        )
    return {
        "doctor": doctor,
        "clinic": clinic,
        "service": service,
        "clinics": clinics,
        "picker_services": services,
        "week": week,
        "day": week.day(data.get("day")),
        "today": today,
        "previous_week": max(week_start - timedelta(days=7), today) if week_start > today else None,
        "next_week": week_start + timedelta(days=7),
        "next_free": next_free,
        "booking": booking,
    }
