"""Reads about doctors."""

from django.db.models import QuerySet

from apps.clinics.models import Clinic, ServiceOffering
from apps.doctors.models import Doctor


def doctor_clinics(doctor: Doctor) -> QuerySet[Clinic]:
    """The clinics where ``doctor`` offers at least one active service."""
    return Clinic.objects.filter(
        pk__in=ServiceOffering.objects.active().filter(doctors=doctor).values("clinic_id")
    )


def doctor_offers_service(*, doctor_id: int, service: ServiceOffering) -> bool:
    return service.doctors.filter(pk=doctor_id).exists()
