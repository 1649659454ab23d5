"""Reviews on the patient pages: the "Review this visit" form and the review lists of a
doctor and a clinic (the first page sits on their pages; more pages here)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from apps.bookings import selectors as booking_selectors
from apps.clinics.models import Clinic
from apps.core.errors import DomainError
from apps.doctors.models import Doctor
from apps.reviews import selectors, services
from apps.reviews.exceptions import ReviewInvalid
from apps.reviews.forms import ReviewForm

REVIEWS_PER_PAGE = 5


def reviews_context(*, doctor=None, clinic=None, page_number=1) -> dict:
    """The summary and one page of published reviews, for a doctor or a clinic."""
    scope = {"doctor_id": doctor.pk} if doctor else {"clinic_id": clinic.pk}
    page = Paginator(selectors.review_list_published(**scope), REVIEWS_PER_PAGE).get_page(
        page_number
    )
    name = "portal:doctor-reviews" if doctor else "portal:clinic-reviews"
    return {
        "summary": selectors.rating_summary(**scope),
        "reviews_page": page,
        "reviews_url": reverse(name, args=[(doctor or clinic).slug]),
        "about": doctor or clinic,
        "about_doctor": doctor is not None,
    }


@require_GET
@vary_on_headers("HX-Request")
def doctor_reviews(request: HttpRequest, slug: str) -> HttpResponse:
    doctor = get_object_or_404(Doctor.objects.active().select_related("user"), slug=slug)
    return _reviews_page(
        request, reviews_context(doctor=doctor, page_number=request.GET.get("page"))
    )


@require_GET
@vary_on_headers("HX-Request")
def clinic_reviews(request: HttpRequest, slug: str) -> HttpResponse:
    clinic = get_object_or_404(Clinic.objects.active(), slug=slug)
    return _reviews_page(
        request, reviews_context(clinic=clinic, page_number=request.GET.get("page"))
    )


def _reviews_page(request: HttpRequest, context: dict) -> HttpResponse:
    """A page of reviews; htmx ("More reviews") gets the next items only."""
    template = "reviews/list_page.html#more-page" if request.htmx else "reviews/list_page.html"
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def review_write(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the form (or the review already written). POST: review_create, then the
    thank-you state. Another patient's reference is not found (404)."""
    booking = get_object_or_404(
        booking_selectors.booking_list_for_patient(request.user).select_related(
            "doctor__user", "clinic", "service"
        ),
        reference=reference,
    )
    template = "reviews/write.html#review-region" if request.htmx else "reviews/write.html"
    context = {
        "booking": booking,
        "review": selectors.review_for_booking(booking),
        "review_window_days": settings.REVIEW_WINDOW_DAYS,
    }
    if context["review"] is not None:
        context["just_written"] = bool(request.GET.get("thanks"))
        return render(request, template, context)
    if not selectors.booking_is_reviewable(booking, now=timezone.now()):
        context["closed"] = True
        return render(request, template, context, status=409 if request.method == "POST" else 200)
    form = ReviewForm(request.POST if request.method == "POST" else None)
    context["form"] = form
    if request.method == "GET":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=422)
    try:
        context["review"] = services.review_create(
            patient=request.user, booking=booking, **form.cleaned_data
        )
    except ReviewInvalid as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return render(request, template, context, status=422)
    except DomainError as error:
        return render(request, template, {**context, "problem": error.message}, status=409)
    if request.htmx:
        context["just_written"] = True
        return render(request, template, context)
    return redirect(reverse("portal:review-write", args=[booking.reference]) + "?thanks=1")
