"""Payments: pricing rules, promo codes, payments, refunds, receipts and gateway records.

Money is integer minor units plus an ISO 4217 code everywhere.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import Booking
from apps.clinics.models import Clinic, ServiceOffering
from apps.core.money import CURRENCY_CHOICES, Money
from apps.core.timeutils import validate_timezone

# --- Pricing rules -----------------------------------------------------------------------------


class WhenQuotaUsedUp(models.TextChoices):
    FULL_PRICE = "full_price", _("Book at the full price")
    REFUSE = "refuse", _("Refuse the booking")


class DiscountPolicy(models.Model):
    """The platform's discount rule and its daily quota. One row (pk 1), edited in the admin."""

    is_active = models.BooleanField(default=True)
    percent = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    birthday_rule = models.BooleanField(
        default=True,
        help_text="Discount for female patients on their birthday (in the clinic's time zone).",
    )
    threshold_rule = models.BooleanField(
        default=True, help_text="Discount when the base price is above the threshold."
    )
    threshold_minor = models.PositiveIntegerField(
        default=15000, help_text="In minor units of the threshold currency (15000 = 150.00)."
    )
    threshold_currency = models.CharField(
        max_length=3,
        choices=CURRENCY_CHOICES,
        default="EUR",
        help_text="The threshold applies to prices in this currency only.",
    )
    daily_quota = models.PositiveIntegerField(
        default=20, help_text="Discounted bookings per day, across the platform."
    )
    quota_timezone = models.CharField(
        max_length=64,
        default="Europe/Berlin",
        validators=[validate_timezone],
        help_text="IANA zone where the quota's day starts at midnight.",
    )
    when_quota_used_up = models.CharField(
        max_length=16, choices=WhenQuotaUsedUp.choices, default=WhenQuotaUsedUp.FULL_PRICE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "discount policy"
        verbose_name_plural = "discount policy"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="discountpolicy_single_row"),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="discountpolicy_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.percent}% discount, {self.daily_quota} a day"


class DiscountQuotaDay(models.Model):
    """How many discounts one quota day has given. Counted with a guarded UPDATE."""

    day = models.DateField(unique=True)
    used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.used} used"


class DiscountClaim(models.Model):
    """One booking's use of the daily quota; released when the booking falls through."""

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="discount_claim")
    day = models.DateField()
    reason = models.CharField(max_length=16)  # "birthday" or "threshold"
    released_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Discount for {self.booking.reference} on {self.day}"


class PromoKind(models.TextChoices):
    PERCENT = "percent", _("Percent off")
    FIXED = "fixed", _("Fixed amount off")


class PromoCode(models.Model):
    code = models.CharField(
        max_length=32, unique=True, help_text="What patients type; compared ignoring case."
    )
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=8, choices=PromoKind.choices)
    percent = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    amount_minor = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    max_uses_per_patient = models.PositiveIntegerField(default=1)
    clinics = models.ManyToManyField(
        Clinic, blank=True, related_name="+", help_text="Empty: every clinic."
    )
    services = models.ManyToManyField(
        ServiceOffering, blank=True, related_name="+", help_text="Empty: every service."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-valid_until"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="percent", percent__isnull=False, amount_minor__isnull=True)
                    | Q(kind="fixed", percent__isnull=True, amount_minor__gt=0) & ~Q(currency="")
                ),
                name="promocode_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="promocode_window"
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)


class PromoRedemption(models.Model):
    """One booking's use of a promo code; released when the booking falls through."""

    promo = models.ForeignKey(PromoCode, on_delete=models.PROTECT, related_name="redemptions")
    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="promo_use")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    amount_minor = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["promo", "patient"], name="promoredemption_promo_pat_idx")]

    def __str__(self) -> str:
        return f"{self.promo} on {self.booking.reference}"


# --- Payments and refunds ----------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    """A payment's state. It only moves forward (RANK); gateways may report late or twice."""

    PENDING = "pending", _("Waiting for the gateway")
    REQUIRES_PAYMENT = "requires_payment", _("Waiting for the patient")
    PROCESSING = "processing", _("Processing")
    AUTHORIZED = "authorized", _("Authorised")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Cancelled")


PAYMENT_RANK = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.REQUIRES_PAYMENT: 1,
    PaymentStatus.PROCESSING: 2,
    PaymentStatus.AUTHORIZED: 3,
    PaymentStatus.SUCCEEDED: 4,
    PaymentStatus.FAILED: 4,
    PaymentStatus.CANCELED: 4,
}
FINAL_PAYMENT_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED)


class Payment(models.Model):
    """The money for one held booking, at one gateway."""

    clinic_scope_path = "booking__clinic"

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="payment")
    gateway = models.CharField(max_length=16)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    manual_capture = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    client_secret = models.CharField(max_length=255, blank=True)
    captured_minor = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_minor__lte=F("amount_minor")),
                name="payment_captured_le_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for {self.booking.reference}: {self.get_status_display()}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)

    @property
    def captured(self) -> Money:
        return Money(self.captured_minor, self.currency)

    def operation_key(self, operation: str) -> str:
        """The Idempotency-Key of one gateway operation on this payment (create, capture,
        cancel): the same every time the operation is tried, unique to it."""
        return f"clinix-payment-{self.pk}-{operation}"


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SUBMITTED = "submitted", _("Submitted")
    SUCCEEDED = "succeeded", _("Refunded")
    FAILED = "failed", _("Failed")


class Refund(models.Model):
    """Money going back. Written in the transaction that decided it; sent after commit."""

    clinic_scope_path = "payment__booking__clinic"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    number = models.PositiveSmallIntegerField(help_text="1 for the payment's first refund, …")
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    reason = models.CharField(max_length=300)
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    idempotency_key = models.CharField(max_length=100, unique=True)
    gateway_refund_id = models.CharField(max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "number"], name="refund_number_per_payment"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["status", "updated_at"],
                condition=Q(status__in=["requested", "submitted", "failed"]),
                name="refund_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Refund {self.payment_id}/{self.number}: {self.get_status_display()}"

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class ReceiptKind(models.TextChoices):
    PAYMENT = "payment", _("Payment receipt")
    REFUND = "refund", _("Refund receipt")


class Receipt(models.Model):
    """A numbered receipt: one per successful payment and per successful refund.

    Numbers are gapless per year (``2026-000042``), allocated under a counter row lock.
    """

    clinic_scope_path = "payment__booking__clinic"

    number = models.CharField(max_length=16, unique=True)
    kind = models.CharField(max_length=8, choices=ReceiptKind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="receipts")
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="receipt"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="receipts"
    )
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="payment"),
                name="receipt_one_per_payment",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class ReceiptCounter(models.Model):
    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# --- Gateway records ---------------------------------------------------------------------------


class GatewayCall(models.Model):
    """Every call to a payment gateway, with the idempotency key it carried."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="calls")
    refund = models.ForeignKey(
        Refund, on_delete=models.CASCADE, null=True, blank=True, related_name="calls"
    )
    operation = models.CharField(max_length=16)
    idempotency_key = models.CharField(max_length=100)
    ok = models.BooleanField()
    detail = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.operation} {self.idempotency_key} {'ok' if self.ok else 'failed'}"


class WebhookEvent(models.Model):
    """A gateway event, stored once by its id and applied once."""

    gateway = models.CharField(max_length=16)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="webhookevent_once")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.type} {self.event_id}"


class SimulatedIntent(models.Model):
    """The simulated gateway's own state: what a real provider would keep on its side."""

    intent_id = models.CharField(max_length=40, unique=True)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24)
    manual_capture = models.BooleanField(default=False)
    captured_minor = models.PositiveIntegerField(default=0)
    refunded_minor = models.PositiveIntegerField(default=0)
    keys = models.JSONField(
        default=dict, help_text="Idempotency key → result, as a provider keeps."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.intent_id} {self.status}"
