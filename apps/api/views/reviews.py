"""Reviews: read a doctor's or a clinic's published reviews with their rating summary;
write a review of one's own completed booking. The same services as the web pages."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.pagination import PagePagination
from apps.api.schema import problems
from apps.api.serializers import ID_SCHEMA, JsonBodySerializer
from apps.api.throttling import BookingWriteThrottle, IPThrottle, UserThrottle
from apps.bookings import selectors as booking_selectors
from apps.clinics.models import Clinic
from apps.doctors.models import Doctor
from apps.reviews import selectors, services
from apps.reviews.exceptions import ReviewInvalid
from apps.reviews.models import COMMENT_MAX_LENGTH, RATING_MAX, RATING_MIN, Review

REFERENCE_PATTERN = "[A-Z0-9]{4}-[A-Z0-9]{4}"


# --- Shapes ------------------------------------------------------------------------------------


class RatingSummarySerializer(serializers.Serializer):
    average = serializers.FloatField(
        allow_null=True, help_text="Mean of the published ratings, null without reviews."
    )
    count = serializers.IntegerField(help_text="How many published reviews.")
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text='Reviews per star: {"5": 12, ..., "1": 0}.'
    )

    def to_representation(self, summary):
        return {
            "average": summary.average_rounded,
            "count": summary.count,
            "distribution": {str(stars): n for stars, n in summary.distribution},
        }


class ReplySerializer(serializers.Serializer):
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class ReviewSerializer(serializers.ModelSerializer):
    """A review as anyone may read it: no patient identity, no booking reference."""

    reply = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "doctor",
            "clinic",
            "rating",
            "waiting_time",
            "manner",
            "explanation",
            "comment",
            "status",
            "published_at",
            "reply",
        ]

    def get_reply(self, review) -> ReplySerializer(allow_null=True):  # type: ignore[valid-type]
        reply = getattr(review, "reply", None)
        return ReplySerializer(reply).data if reply is not None else None


def _rating_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=RATING_MIN, max_value=RATING_MAX, **kwargs)


class ReviewCreateSerializer(JsonBodySerializer):
    rating = _rating_field(help_text="The visit overall, 1 to 5 stars.")
    waiting_time = _rating_field(required=False, allow_null=True, default=None)
    manner = _rating_field(required=False, allow_null=True, default=None)
    explanation = _rating_field(required=False, allow_null=True, default=None)
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=COMMENT_MAX_LENGTH
    )


SUMMARY_SCHEMA = {
    "type": "object",
    "description": "Over all published reviews, not just this page.",
    "properties": {
        "average": {"type": "number", "nullable": True, "minimum": 1, "maximum": 5},
        "count": {"type": "integer", "minimum": 0},
        "distribution": {
            "type": "object",
            "description": 'Reviews per number of stars: {"5": 12, ..., "1": 0}.',
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
    },
    "required": ["average", "count", "distribution"],
}


class ReviewPagination(PagePagination):
    """A page of reviews with the summary of all of them."""

    page_size = 10

    def get_paginated_response_schema(self, schema):
        page = super().get_paginated_response_schema(schema)
        page["properties"]["summary"] = SUMMARY_SCHEMA
        page["required"] = [*page.get("required", []), "summary"]
        return page


# --- Reading -----------------------------------------------------------------------------------


class _ReviewListView(APIView):
    permission_classes = [permissions.AllowAny]
    pagination_class = ReviewPagination

    def answer(self, request, **scope) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.review_list_published(**scope), request, view=self
        )
        response = paginator.get_paginated_response(ReviewSerializer(page, many=True).data)
        response.data["summary"] = RatingSummarySerializer(selectors.rating_summary(**scope)).data
        return response


_LIST_DESCRIPTION = (
    "Published reviews, newest first, each from a patient's own completed visit; `summary` "
    "is the average, count and distribution over all of them (not just this page)."
)
_ID = OpenApiParameter("id", ID_SCHEMA, OpenApiParameter.PATH)


class DoctorReviewListView(_ReviewListView):
    @extend_schema(
        operation_id="doctors_reviews_list",
        summary="A doctor's reviews",
        description=_LIST_DESCRIPTION,
        parameters=[_ID],
        responses={200: ReviewSerializer(many=True), **problems(400, 404, 406, 429)},
    )
    def get(self, request, id: int):
        doctor = get_object_or_404(Doctor.objects.active(), pk=id)
        return self.answer(request, doctor_id=doctor.pk)


class ClinicReviewListView(_ReviewListView):
    @extend_schema(
        operation_id="clinics_reviews_list",
        summary="A clinic's reviews",
        description=_LIST_DESCRIPTION,
        parameters=[_ID],
        responses={200: ReviewSerializer(many=True), **problems(400, 404, 406, 429)},
    )
    def get(self, request, id: int):
        clinic = get_object_or_404(Clinic.objects.active(), pk=id)
        return self.answer(request, clinic_id=clinic.pk)


# --- Writing -----------------------------------------------------------------------------------


class BookingReviewView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [UserThrottle, IPThrottle, BookingWriteThrottle]

    @extend_schema(
        operation_id="bookings_review_create",
        summary="Review your completed visit",
        description=(
            "Once per booking, by its patient, after the visit is completed and within the "
            "review window. Published at once, or `pending` where the clinic approves reviews "
            "first. Another patient's booking answers 404; a visit not completed yet 409 "
            "`booking-not-completed`; a second review 409 `already-reviewed`; after the window "
            "409 `review-window-closed`; a rating out of range or a comment over the limit or "
            "with a banned word 400 naming the field."
        ),
        parameters=[
            OpenApiParameter(
                "reference",
                {"type": "string", "pattern": f"^{REFERENCE_PATTERN}$"},
                OpenApiParameter.PATH,
            )
        ],
        request=ReviewCreateSerializer,
        responses={201: ReviewSerializer, **problems(400, 403, 404, 409, 429)},
        examples=[
            OpenApiExample(
                "Review",
                value={"rating": 5, "manner": 5, "comment": "Took time to explain."},
                request_only=True,
            )
        ],
    )
    def post(self, request, reference: str):
        # First: someone else's booking is a 404 whatever the body.
        booking = get_object_or_404(
            booking_selectors.booking_list_for_patient(request.user), reference=reference
        )
        data = ReviewCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            review = services.review_create(
                patient=request.user, booking=booking, **data.validated_data
            )
        except ReviewInvalid as error:
            raise serializers.ValidationError({error.field: [error.message]}) from error
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)
