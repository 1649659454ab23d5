"""The public catalogue: clinics, services, doctors. Read-only, no sign-in needed."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets

from apps.api import filters, serializers
from apps.api.schema import problems
from apps.clinics.models import Clinic, ServiceOffering
from apps.doctors.models import Doctor

READ_ERRORS = problems(400, 406, 429)
DETAIL_ERRORS = problems(404, 406, 429)


@extend_schema_view(
    list=extend_schema(
        summary="List clinics",
        responses={200: serializers.ClinicSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A clinic", responses={200: serializers.ClinicSerializer, **DETAIL_ERRORS}
    ),
)
class ClinicViewSet(viewsets.ReadOnlyModelViewSet):
    """Active clinics with their booking rules (zone, currency, notice, cancellation policy)."""

    queryset = Clinic.objects.active().order_by("name")
    serializer_class = serializers.ClinicSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = filters.ClinicFilter
    ordering_fields = ["name", "city"]


@extend_schema_view(
    list=extend_schema(
        summary="List services",
        responses={200: serializers.ServiceSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A service", responses={200: serializers.ServiceSerializer, **DETAIL_ERRORS}
    ),
)
class ServiceViewSet(viewsets.ReadOnlyModelViewSet):
    """What clinics offer, with duration, buffers and price (integer minor units)."""

    queryset = (
        ServiceOffering.objects.active()
        .select_related("clinic", "category")
        .order_by("clinic", "name")
    )
    serializer_class = serializers.ServiceSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = filters.ServiceFilter
    ordering_fields = ["name", "price_minor", "duration_minutes"]


@extend_schema_view(
    list=extend_schema(
        summary="List doctors",
        responses={200: serializers.DoctorSerializer(many=True), **READ_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A doctor", responses={200: serializers.DoctorSerializer, **DETAIL_ERRORS}
    ),
)
class DoctorViewSet(viewsets.ReadOnlyModelViewSet):
    """Active doctors; ``clinics`` and ``services`` list where they work and what they offer."""

    queryset = (
        Doctor.objects.active()
        .select_related("user")
        .prefetch_related(
            "specialties",
            "languages",
            Prefetch(
                "services",
                queryset=ServiceOffering.objects.active().only("id", "clinic_id"),
                to_attr="active_services",
            ),
        )
        .order_by("user__last_name", "user__first_name", "pk")
    )
    serializer_class = serializers.DoctorSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = filters.DoctorFilter
    ordering_fields = ["user__last_name"]
