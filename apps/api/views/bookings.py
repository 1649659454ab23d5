"""A patient's own bookings: list, book, read, cancel, move. Writes are idempotent."""

from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from apps.accounts.selectors import user_has_verified_email
from apps.api import filters, serializers
from apps.api.idempotency import idempotent
from apps.api.schema import problems
from apps.api.throttling import BookingWriteThrottle, IPThrottle, UserThrottle
from apps.bookings import selectors as booking_selectors
from apps.bookings import services as booking_services
from apps.bookings.models import BookingEvent
from apps.payments import services as payment_services

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    # What idempotency.py accepts: 1 to 255 visible ASCII characters.
    {"type": "string", "pattern": "^[!-~]{1,255}$"},
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID). The same key and body replay the first answer "
    "(header `Idempotent-Replayed: true`); the same key with another body answers 422. "
    "Kept for 24 hours.",
)
WRITE_ERRORS = problems(400, 403, 404, 409, 422, 429, 503)


class EmailNotVerified(PermissionDenied):
    default_detail = "Confirm your email address before your first booking."
    problem_code = "email-not-verified"


@extend_schema_view(
    list=extend_schema(
        summary="Your bookings",
        responses={200: serializers.BookingSerializer(many=True), **problems(400, 406, 429)},
    ),
    retrieve=extend_schema(
        summary="One of your bookings",
        responses={200: serializers.BookingSerializer, **problems(404, 406, 429)},
    ),
)
class BookingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your bookings, each with its timeline. Another patient's reference answers 404."""

    serializer_class = serializers.BookingSerializer
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [UserThrottle, IPThrottle, BookingWriteThrottle]
    filterset_class = filters.BookingFilter
    ordering_fields = ["starts_at", "created_at"]
    ordering = ["-starts_at"]
    lookup_field = "reference"
    lookup_value_regex = "[A-Z0-9]{4}-[A-Z0-9]{4}"

    def get_queryset(self):
        return (
            booking_selectors.booking_list_for_patient(self.request.user)
            .select_related("payment")
            .prefetch_related(
                Prefetch("events", queryset=BookingEvent.objects.order_by("at", "id"))
            )
        )

    def _answer(self, booking, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=booking.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        summary="Book a slot",
        description="Books `service` on `slot` for you, exactly once even under races: the "
        "loser of a race for a time gets 409 with `slot_id`. Needs a verified email.",
        parameters=[IDEMPOTENCY_KEY],
        request=serializers.BookingCreateSerializer,
        responses={201: serializers.BookingSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Book",
                value={"slot": 812, "service": 3, "notes": "Rash on my arm"},
                request_only=True,
            )
        ],
    )
    def create(self, request):
        data = _valid(serializers.BookingCreateSerializer, request)
        if not user_has_verified_email(request.user):
            raise EmailNotVerified()

        def book():
            booking = payment_services.checkout_book(
                patient=request.user,
                slot_id=data["slot"],
                service_id=data["service"],
                notes=data["notes"],
                promo_code=data["promo_code"],
            )
            return self._answer(booking, status.HTTP_201_CREATED)

        return idempotent(request, book)

    @extend_schema(
        summary="Cancel a booking",
        description="Cancels an upcoming booking; the event in the timeline says what the "
        "clinic's policy refunds.",
        parameters=[IDEMPOTENCY_KEY],
        request=serializers.BookingCancelSerializer,
        responses={200: serializers.BookingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, reference=None):
        booking = self.get_object()  # first: someone else's booking is a 404 whatever the body
        data = _valid(serializers.BookingCancelSerializer, request)

        def cancel():
            booking_services.booking_cancel(
                booking=booking, actor=request.user, reason=data["reason"]
            )
            return self._answer(booking)

        return idempotent(request, cancel)

    @extend_schema(
        summary="Move a booking to another slot",
        description="Atomic: the new time is taken and the old one freed together, or nothing "
        "changes. Same doctor only.",
        parameters=[IDEMPOTENCY_KEY],
        request=serializers.BookingRescheduleSerializer,
        responses={200: serializers.BookingSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, reference=None):
        booking = self.get_object()
        data = _valid(serializers.BookingRescheduleSerializer, request)

        def move():
            booking_services.booking_reschedule(
                booking=booking, new_slot_id=data["slot"], actor=request.user
            )
            return self._answer(booking)

        return idempotent(request, move)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
