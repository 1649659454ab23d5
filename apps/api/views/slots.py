"""Free times: only slots that can be booked right now."""

from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.views import APIView

from apps.api.fields import INSTANT_SCHEMA, AwareDateTimeField
from apps.api.pagination import PagePagination
from apps.api.schema import problems
from apps.api.serializers import ID_SCHEMA, SlotSerializer, StrictSerializer, id_field
from apps.bookings.selectors import Candidate, slot_first_bookable, slot_list_available
from apps.clinics.models import ServiceOffering
from apps.doctors.models import Doctor
from apps.timeslots.models import Slot

#: Longest window one request may ask about, and the longest without a doctor or clinic.
MAX_DAYS = 31
MAX_DAYS_WIDE = 2
DEFAULT_DAYS = 7


class SlotQuery(StrictSerializer):
    clinic = id_field(required=False)
    doctor = id_field(required=False)
    service = id_field(required=False, help_text="Only times where this service fits.")
    specialty = serializers.SlugField(required=False, max_length=80)
    date_from = AwareDateTimeField(required=False)
    date_to = AwareDateTimeField(required=False)
    first_available = serializers.BooleanField(required=False, default=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=100_000)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)

    def validate(self, data):
        now = timezone.now()
        narrow = data.get("doctor") or data.get("clinic") or data.get("service")
        limit = MAX_DAYS if narrow or data.get("first_available") else MAX_DAYS_WIDE
        # Near the end of the calendar a window (and a visit in it) would overflow datetime.
        latest = datetime.max.replace(tzinfo=UTC) - timedelta(days=MAX_DAYS + 1)
        start = min(max(data.get("date_from") or now, now), latest)
        end = min(data.get("date_to") or start + timedelta(days=min(DEFAULT_DAYS, limit)), latest)
        if end <= start:
            raise serializers.ValidationError({"date_to": [_("Must be after date_from.")]})
        if end - start > timedelta(days=limit):
            raise serializers.ValidationError(
                {"date_to": [_("Ask for at most %(days)s days at a time.") % {"days": limit}]}
            )
        data["window"] = (start, end)
        return data


INSTANT_HELP = "ISO date (00:00 UTC) or date-time with an offset."


class SlotListView(APIView):
    permission_classes = [permissions.AllowAny]
    # Documents the answer as a page (count, next, previous, results) with page parameters.
    pagination_class = PagePagination

    @extend_schema(
        operation_id="slots_list",
        summary="Free slots",
        description=(
            "Only times that can be booked now: open, inside each clinic's booking window, "
            "and not taken. With `service`, only starts where that whole service (with its "
            "buffers) fits. With `first_available=true`, the earliest such time per doctor "
            "and clinic. Times are UTC; `timezone` names the clinic's zone. Without `doctor`, "
            f"`clinic` or `service` a request covers at most {MAX_DAYS_WIDE} days, otherwise "
            f"{MAX_DAYS}; the default is {DEFAULT_DAYS} days from now (or the shorter limit)."
        ),
        parameters=[
            OpenApiParameter("clinic", ID_SCHEMA),
            OpenApiParameter("doctor", ID_SCHEMA),
            OpenApiParameter("service", ID_SCHEMA),
            OpenApiParameter(
                "specialty",
                {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$", "maxLength": 80},
                description="Specialty slug.",
            ),
            OpenApiParameter("date_from", INSTANT_SCHEMA, description=INSTANT_HELP),
            OpenApiParameter("date_to", INSTANT_SCHEMA, description=INSTANT_HELP),
            OpenApiParameter("first_available", bool),
        ],
        responses={200: SlotSerializer(many=True), **problems(400, 404, 406, 429)},
    )
    def get(self, request):
        query = SlotQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        params = query.validated_data
        start, end = params["window"]
        now = timezone.now()
        service = None
        if params.get("service"):
            service = (
                ServiceOffering.objects.active()
                .select_related("clinic")
                .filter(pk=params["service"])
                .first()
            )
            if service is None:
                raise serializers.ValidationError({"service": [_("No such active service.")]})
        doctors = Doctor.objects.active()
        if params.get("doctor"):
            doctors = doctors.filter(pk=params["doctor"])
        if params.get("specialty"):
            doctors = doctors.filter(specialties__slug=params["specialty"])
        if params.get("first_available"):
            slots = _first_available(doctors, params, service, start, end, now)
        else:
            slots_qs = Slot.objects.filter(doctor__in=doctors.values("pk"), clinic__is_active=True)
            if params.get("clinic"):
                slots_qs = slots_qs.filter(clinic_id=params["clinic"])
            slots = slot_list_available(
                slots_qs, service=service, window_start=start, window_end=end, now=now
            )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(slots, request, view=self)
        return paginator.get_paginated_response(SlotSerializer(page, many=True).data)


def _first_available(doctors, params, service, start, end, now) -> list[Slot]:
    """One candidate per doctor and clinic: the asked service, or the shortest one there."""
    offers = ServiceOffering.objects.active().filter(doctors__in=doctors.values("pk"))
    if service is not None:
        offers = offers.filter(pk=service.pk)
    if params.get("clinic"):
        offers = offers.filter(clinic_id=params["clinic"])
    # Plain tuples first (a specialty has hundreds of doctor-service rows), then objects
    # only for the one service chosen per doctor and clinic: the shortest, then cheapest.
    chosen: dict[tuple[int, int], int] = {}
    for doctor_id, clinic_id, service_id in (
        Doctor.services.through.objects.filter(
            doctor__in=doctors.values("pk"), serviceoffering__in=offers.values("pk")
        )
        .order_by(
            "serviceoffering__duration_minutes",
            "serviceoffering__price_minor",
            "serviceoffering_id",
        )
        .values_list("doctor_id", "serviceoffering__clinic_id", "serviceoffering_id")
    ):
        chosen.setdefault((doctor_id, clinic_id), service_id)
    services = ServiceOffering.objects.select_related("clinic").in_bulk(set(chosen.values()))
    candidates = {
        pair: Candidate(pair[0], services[service_id].clinic, services[service_id])
        for pair, service_id in chosen.items()
    }
    found = slot_first_bookable(
        list(candidates.values()), window_start=start, window_end=end, now=now
    )
    return sorted(found.values(), key=lambda s: (s.starts_at, s.doctor_id))
