from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.accounts.roles import CLINIC_ROLES, Role
from apps.core.money import CURRENCY_CHOICES, Money
from apps.core.timeutils import validate_timezone


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ClinicQuerySet(models.QuerySet):
    def active(self) -> "ClinicQuerySet":
        return self.filter(is_active=True)


class Clinic(models.Model):
    # ORM path from a model to the clinic(s) that own it; scope_to_clinics() reads it.
    clinic_scope_path = "pk"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    address = models.CharField(max_length=200)
    city = models.CharField(max_length=80, db_index=True)
    postcode = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=2, help_text="ISO 3166 code, e.g. DE.")
    timezone = models.CharField(
        max_length=64, validators=[validate_timezone], help_text="IANA zone, e.g. Europe/Berlin."
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)

    # Booking window.
    min_notice_minutes = models.PositiveIntegerField(
        default=60, help_text="How soon before the start a slot can still be booked."
    )
    max_advance_days = models.PositiveIntegerField(
        default=90, validators=[MinValueValidator(1)], help_text="How far ahead patients can book."
    )
    requires_prepayment = models.BooleanField(
        default=False, help_text="Bookings are held until paid online; otherwise pay at the visit."
    )
    capture_on_check_in = models.BooleanField(
        default=False,
        help_text="Only authorise the card when booking and take the money at check-in "
        "(manual capture); otherwise it is taken when booking.",
    )
    # Cancellation policy.
    cancellation_cutoff_hours = models.PositiveIntegerField(
        default=24, help_text="Cancelling at least this long before the start is free."
    )
    late_cancellation_refund_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(100)],
        help_text="Share of the price refunded when cancelling after the cut-off.",
    )
    no_show_fee_percent = models.PositiveSmallIntegerField(
        default=100,
        validators=[MaxValueValidator(100)],
        help_text="Share of a prepaid price kept when the patient does not come "
        "(the rest is refunded).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(late_cancellation_refund_percent__lte=100),
                name="clinic_refund_percent_le_100",
            ),
            models.CheckConstraint(
                condition=Q(no_show_fee_percent__lte=100), name="clinic_no_show_fee_le_100"
            ),
            models.CheckConstraint(condition=Q(max_advance_days__gte=1), name="clinic_window_ge_1"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def tz_city(self) -> str:
        """How people name the zone: "Berlin" for Europe/Berlin."""
        return self.timezone.rsplit("/", 1)[-1].replace("_", " ")


class OpeningHours(models.Model):
    """One opening interval on a weekday; two rows make a lunch break."""

    clinic_scope_path = "clinic"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["clinic", "weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(opens__lt=models.F("closes")), name="hours_open_lt_close"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_valid"),
            models.UniqueConstraint(
                fields=["clinic", "weekday", "opens"], name="hours_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class ClosureKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday")
    EMERGENCY = "emergency", _("Emergency closure")
    OTHER = "other", _("Other")


class Closure(models.Model):
    """Days the clinic is closed, inclusive of both ends, in the clinic's local calendar."""

    clinic_scope_path = "clinic"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    kind = models.CharField(max_length=12, choices=ClosureKind.choices, default=ClosureKind.HOLIDAY)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["clinic", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="closure_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinic}: closed {self.starts_on}–{self.ends_on} ({self.get_kind_display()})"

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class ServiceCategory(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service categories"

    def __str__(self) -> str:
        return self.name


class ServiceOfferingQuerySet(models.QuerySet):
    def active(self) -> "ServiceOfferingQuerySet":
        return self.filter(is_active=True, clinic__is_active=True)


class ServiceOffering(models.Model):
    """Something a clinic offers: a consultation, a vaccination, an ultrasound."""

    clinic_scope_path = "clinic"

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="services")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    buffer_before_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(120)], help_text="Preparation time before."
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(120)], help_text="Clean-up or notes time after."
    )
    price_minor = models.PositiveIntegerField(
        help_text="Price in minor units of the clinic's currency (cents): 4500 is 45.00."
    )
    is_active = models.BooleanField(default=True)

    objects = ServiceOfferingQuerySet.as_manager()

    class Meta:
        ordering = ["clinic", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "name"], name="service_unique_name_per_clinic"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="service_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.clinic})"

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.clinic.currency)


class ClinicMembership(models.Model):
    """A staff member's role in one clinic: what scopes their back office."""

    clinic_scope_path = "clinic"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinic_memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in CLINIC_ROLES])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic", "role", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic", "role"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in CLINIC_ROLES]), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {Role(self.role).label} at {self.clinic}"
