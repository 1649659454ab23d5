"""Query filters of the catalogue and booking lists (django-filter).

Ids are bounded integers: a number the database cannot hold is a 400, not a 500. A typed
parameter sent empty (``?clinic=``) is a 400 too, as in pagination and /slots/: only
leaving it out means "any".
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.fields import INSTANT_SCHEMA, AwareDateTimeField
from apps.api.serializers import ID_SCHEMA, MAX_ID
from apps.bookings.models import Booking, BookingStatus
from apps.clinics.models import Clinic, ServiceOffering
from apps.doctors.models import Doctor


class _IdField(forms.IntegerField):
    empty_values = [None]  # absent; "" is not a number


class _DateField(forms.DateField):
    empty_values = [None]


class _InstantField(forms.Field):
    """An AwareDateTimeField for django-filter: a date or a date-time with an offset, in UTC
    (an offset PostgreSQL cannot store, beyond ±15:59, must not reach the query)."""

    empty_values = [None]

    def to_python(self, value):
        if value is None:
            return None
        try:
            return AwareDateTimeField().run_validation(value)
        except serializers.ValidationError as error:
            raise forms.ValidationError(error.detail) from error


@extend_schema_field(ID_SCHEMA)
class IdFilter(filters.Filter):
    field_class = _IdField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "string", "format": "date"})
class DateFilter(filters.DateFilter):
    field_class = _DateField


@extend_schema_field(INSTANT_SCHEMA)
class InstantFilter(filters.Filter):
    field_class = _InstantField


class ClinicFilter(filters.FilterSet):
    city = filters.CharFilter(lookup_expr="iexact", help_text="City, any case.")

    class Meta:
        model = Clinic
        fields = ["city"]


class ServiceFilter(filters.FilterSet):
    clinic = IdFilter(field_name="clinic_id")
    category = filters.CharFilter(field_name="category__slug", help_text="Category slug.")
    doctor = IdFilter(method="filter_doctor")
    city = filters.CharFilter(field_name="clinic__city", lookup_expr="iexact")

    class Meta:
        model = ServiceOffering
        fields = ["clinic", "category", "doctor", "city"]

    def filter_doctor(self, queryset, name, value):
        return queryset.filter(pk__in=ServiceOffering.objects.filter(doctors=value).values("pk"))


class DoctorFilter(filters.FilterSet):
    city = filters.CharFilter(method="filter_city", help_text="Works at a clinic in this city.")
    clinic = IdFilter(method="filter_clinic")
    specialty = filters.CharFilter(method="filter_specialty", help_text="Specialty slug.")
    service = IdFilter(method="filter_service")
    language = filters.CharFilter(method="filter_language", help_text="ISO 639-1 code.")

    class Meta:
        model = Doctor
        fields = ["city", "clinic", "specialty", "service", "language"]

    # Each filter narrows by a subquery on primary keys: no duplicate rows from joins.
    def _where(self, queryset, **lookup):
        return queryset.filter(pk__in=Doctor.objects.filter(**lookup).values("pk"))

    def filter_city(self, queryset, name, value):
        return self._where(queryset, services__clinic__city__iexact=value, services__is_active=True)

    def filter_clinic(self, queryset, name, value):
        return self._where(queryset, services__clinic_id=value, services__is_active=True)

    def filter_specialty(self, queryset, name, value):
        return self._where(queryset, specialties__slug=value)

    def filter_service(self, queryset, name, value):
        return self._where(queryset, services=value, services__is_active=True)

    def filter_language(self, queryset, name, value):
        return self._where(queryset, languages__code=value)


class BookingFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=BookingStatus.choices)
    doctor = IdFilter(field_name="doctor_id")
    clinic = IdFilter(field_name="clinic_id")
    starts_after = InstantFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = InstantFilter(field_name="starts_at", lookup_expr="lt")
    date = DateFilter(method="filter_date", help_text="A day, in each clinic's own zone.")

    class Meta:
        model = Booking
        fields = ["status", "doctor", "clinic", "starts_after", "starts_before", "date"]

    def filter_date(self, queryset, name, value):
        # A calendar day starts at different instants in different zones: one range per zone.
        zones = set(queryset.values_list("clinic__timezone", flat=True).distinct())
        condition = Q(pk__in=[])
        for zone in zones:
            start = datetime.combine(value, time.min, tzinfo=ZoneInfo(zone))
            try:
                end = start + timedelta(1)
            except OverflowError:
                end = datetime.max.replace(tzinfo=ZoneInfo(zone))  # 9999-12-31
            condition |= Q(clinic__timezone=zone, starts_at__gte=start, starts_at__lt=end)
        return queryset.filter(condition)
