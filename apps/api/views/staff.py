"""Clinic staff: the bookings of their clinics and the visit-day actions."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.api import filters, serializers
from apps.api.schema import problems
from apps.bookings import selectors as booking_selectors
from apps.bookings import services as booking_services
from apps.bookings.models import BookingEvent


class IsClinicStaff(permissions.BasePermission):
    """Back-office people only; what they see is scoped to their clinics by the selector.
    Changing a booking needs the role's permission (doctors and nurses may only read)."""

    message = "Only clinic staff can use this endpoint."

    def has_permission(self, request, view):
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return user.has_perm("bookings.change_booking")


ACTION_ERRORS = problems(400, 404, 409, 429)


@extend_schema_view(
    list=extend_schema(
        summary="Bookings of your clinics",
        responses={200: serializers.StaffBookingSerializer(many=True), **problems(400, 406, 429)},
    ),
    retrieve=extend_schema(
        summary="A booking of your clinics",
        responses={200: serializers.StaffBookingSerializer, **problems(404, 406, 429)},
    ),
)
class StaffBookingViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Filter by `date` (the clinic's local day), `status`, `doctor`, `clinic`."""

    serializer_class = serializers.StaffBookingSerializer
    permission_classes = [IsClinicStaff]
    filterset_class = filters.BookingFilter
    ordering_fields = ["starts_at"]
    ordering = ["starts_at"]
    lookup_field = "reference"
    lookup_value_regex = "[A-Z0-9]{4}-[A-Z0-9]{4}"

    def get_queryset(self):
        return (
            booking_selectors.booking_list_for_staff(self.request.user)
            .select_related("payment")
            .prefetch_related(
                Prefetch("events", queryset=BookingEvent.objects.order_by("at", "id"))
            )
        )

    def _transition(self, service, request):
        booking = self.get_object()
        service(booking=booking, actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=booking.pk)).data)

    @extend_schema(
        summary="Check the patient in",
        request=None,
        responses={200: serializers.StaffBookingSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, reference=None):
        return self._transition(booking_services.booking_check_in, request)

    @extend_schema(
        summary="Record a no-show",
        request=None,
        responses={200: serializers.StaffBookingSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, reference=None):
        return self._transition(booking_services.booking_mark_no_show, request)

    @extend_schema(
        summary="Mark the visit completed",
        request=None,
        responses={200: serializers.StaffBookingSerializer, **ACTION_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, reference=None):
        return self._transition(booking_services.booking_complete, request)
