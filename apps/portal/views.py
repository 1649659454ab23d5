from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.clinics.models import Clinic


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    clinics = (
        Clinic.objects.active()
        .annotate(
            doctor_count=Count(
                "services__doctors",
                filter=Q(services__is_active=True, services__doctors__is_active=True),
                distinct=True,
            ),
            price_from=Min("services__price_minor", filter=Q(services__is_active=True)),
        )
        .order_by("city", "name")
    )
    return render(request, "home.html", {"clinics": clinics})
