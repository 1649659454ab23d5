"""Shapes of the API. Input serializers only validate (unknown fields are errors); output
serializers read objects that the selectors already fetched with their relations."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import ApiToken, PatientProfile, Sex
from apps.bookings.models import Booking, BookingEvent
from apps.clinics.models import Clinic, ServiceOffering
from apps.doctors.models import Doctor
from apps.payments.models import PaymentStatus
from apps.timeslots.models import Slot

#: The largest id the database can hold (BigAutoField): bigger numbers are input errors,
#: not database errors.
MAX_ID = 2**63 - 1
#: An id in a query parameter, for the schema.
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a typo must not be silently ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = self.input_errors(data)
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def input_errors(self, data: dict) -> dict[str, list]:
        return {name: [_("Unknown field.")] for name in sorted(set(data) - set(self.fields))}


# A JSON body says what type a value is, and DRF's fields would quietly convert another one
# ("name": 0 becomes "0", "slot": "12" becomes 12): take only the type the schema documents.
_NOT_A_STRING = serializers.CharField.default_error_messages["invalid"]
_JSON_TYPES: list[tuple[type[serializers.Field], type, str]] = [
    (serializers.BooleanField, bool, serializers.BooleanField.default_error_messages["invalid"]),
    (serializers.IntegerField, int, serializers.IntegerField.default_error_messages["invalid"]),
    (serializers.CharField, str, _NOT_A_STRING),
    (serializers.ChoiceField, str, _NOT_A_STRING),
    (serializers.DateField, str, _NOT_A_STRING),
]


def _json_type_error(field: serializers.Field, value) -> str | None:
    for field_class, json_type, message in _JSON_TYPES:
        if isinstance(field, field_class):
            # bool is an int in Python, never in JSON.
            wrong = not isinstance(value, json_type) or (
                isinstance(value, bool) and json_type is not bool
            )
            return message if wrong else None
    return None


class JsonBodySerializer(StrictSerializer):
    """A request body: unknown fields and values of the wrong JSON type are errors."""

    def input_errors(self, data: dict) -> dict[str, list]:
        errors = super().input_errors(data)
        for name, value in data.items():
            field = self.fields.get(name)
            if field is None or field.read_only or value is None:
                continue
            error = _json_type_error(field, value)
            if error:
                errors[name] = [error]
        return errors


def id_field(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class MoneySerializer(serializers.Serializer):
    amount_minor = serializers.IntegerField(help_text="Integer minor units (cents).")
    currency = serializers.CharField(help_text="ISO 4217 code.")
    formatted = serializers.CharField(help_text="For display, in the request's language.")

    def to_representation(self, money):
        return {
            "amount_minor": money.amount_minor,
            "currency": money.currency,
            "formatted": str(money),
        }


# --- Catalogue -------------------------------------------------------------------------------


class ClinicSerializer(serializers.ModelSerializer):
    class Meta:
        model = Clinic
        fields = [
            "id",
            "slug",
            "name",
            "address",
            "postcode",
            "city",
            "country",
            "timezone",
            "currency",
            "phone",
            "email",
            "min_notice_minutes",
            "max_advance_days",
            "requires_prepayment",
            "cancellation_cutoff_hours",
            "late_cancellation_refund_percent",
            "no_show_fee_percent",
        ]


class ServiceSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    price = serializers.SerializerMethodField()

    class Meta:
        model = ServiceOffering
        fields = [
            "id",
            "clinic",
            "name",
            "category",
            "description",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "price",
        ]

    def get_price(self, service) -> dict:
        return MoneySerializer(service.price).data


class DoctorSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    specialties = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    languages = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    services = serializers.SerializerMethodField()
    clinics = serializers.SerializerMethodField()

    class Meta:
        model = Doctor
        fields = ["id", "slug", "name", "specialties", "languages", "bio", "clinics", "services"]

    def get_services(self, doctor) -> list[int]:
        return sorted(s.pk for s in doctor.active_services)

    def get_clinics(self, doctor) -> list[int]:
        return sorted({s.clinic_id for s in doctor.active_services})


class SlotSerializer(serializers.ModelSerializer):
    timezone = serializers.CharField(source="clinic.timezone", help_text="The clinic's zone.")
    local_starts_at = serializers.SerializerMethodField(
        help_text="The start in the clinic's zone, with its offset."
    )

    class Meta:
        model = Slot
        fields = ["id", "doctor", "clinic", "starts_at", "ends_at", "timezone", "local_starts_at"]

    def get_local_starts_at(self, slot) -> str:
        return slot.starts_at.astimezone(slot.clinic.tz).isoformat()


# --- Bookings ------------------------------------------------------------------------------------


class BookingEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = BookingEvent
        fields = ["kind", "at", "data"]


class PriceBreakdownSerializer(serializers.Serializer):
    base = MoneySerializer()
    discount = MoneySerializer(help_text="The discount rule (birthday, high price).")
    promo = MoneySerializer(help_text="The promo code's reduction.")
    total = MoneySerializer()


class PaymentSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    amount = MoneySerializer()
    checkout_url = serializers.CharField(help_text="Where the patient pays (while held).")


class BookingSerializer(serializers.ModelSerializer):
    doctor = serializers.SerializerMethodField()
    clinic = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    timezone = serializers.CharField(source="clinic.timezone")
    price = serializers.SerializerMethodField()
    price_breakdown = serializers.SerializerMethodField()
    payment = serializers.SerializerMethodField()
    notes = serializers.CharField(source="patient_notes")
    timeline = BookingEventSerializer(source="events", many=True)

    class Meta:
        model = Booking
        fields = [
            "reference",
            "status",
            "doctor",
            "clinic",
            "service",
            "slot",
            "starts_at",
            "ends_at",
            "timezone",
            "price",
            "price_breakdown",
            "payment",
            "notes",
            "hold_expires_at",
            "cancelled_at",
            "created_at",
            "timeline",
        ]

    def get_doctor(self, booking) -> dict:
        return {"id": booking.doctor_id, "name": booking.doctor.display_name}

    def get_clinic(self, booking) -> dict:
        return {"id": booking.clinic_id, "name": booking.clinic.name}

    def get_service(self, booking) -> dict:
        return {"id": booking.service_id, "name": booking.service.name}

    def get_price(self, booking) -> dict:
        return MoneySerializer(booking.price_total).data

    @extend_schema_field(PriceBreakdownSerializer)
    def get_price_breakdown(self, booking) -> dict:
        price = booking.price
        return {
            part: MoneySerializer(getattr(price, part)).data
            for part in ("base", "discount", "promo", "total")
        }

    @extend_schema_field(PaymentSerializer(allow_null=True))
    def get_payment(self, booking) -> dict | None:
        payment = getattr(booking, "payment", None)
        if payment is None:
            return None
        return {
            "status": payment.status,
            "amount": MoneySerializer(payment.amount).data,
            "checkout_url": reverse("payments:checkout", args=[booking.reference]),
        }


class StaffBookingSerializer(BookingSerializer):
    patient = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "patient"]

    def get_patient(self, booking) -> dict:
        return {"id": booking.patient_id, "name": booking.patient.get_full_name()}


class BookingCreateSerializer(JsonBodySerializer):
    slot = id_field(help_text="A slot id from /api/v1/slots/.")
    service = id_field(help_text="A service the slot's doctor offers at that clinic.")
    promo_code = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="Optional."
    )
    notes = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default="", trim_whitespace=True
    )


class BookingCancelSerializer(JsonBodySerializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BookingRescheduleSerializer(JsonBodySerializer):
    slot = id_field(help_text="Another free slot of the same doctor.")


# --- Me ------------------------------------------------------------------------------------------


class ProfileSerializer(JsonBodySerializer):
    email = serializers.EmailField(read_only=True)
    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)
    date_of_birth = serializers.DateField(allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    phone = serializers.CharField(max_length=32, allow_blank=True)
    preferred_language = serializers.ChoiceField(
        choices=PatientProfile._meta.get_field("preferred_language").choices
    )

    def validate_date_of_birth(self, value):
        if value is not None and (value.year < 1900 or value > timezone.localdate()):
            raise serializers.ValidationError(_("Enter a date of birth between 1900 and today."))
        return value


class ApiTokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]


class ApiTokenCreateSerializer(JsonBodySerializer):
    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(
        min_value=1, max_value=3650, required=False, allow_null=True, default=None
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="The secret. Shown once: store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
