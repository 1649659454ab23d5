"""Back office for money: pricing rules and promo codes (platform admins, audited),
payments and refunds (scoped to the staff's clinics; failed refunds can be retried or a
manual refund issued), receipts and gateway records (read-only)."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from apps.audit.admin_mixins import AuditedAdminMixin
from apps.clinics.admin_scoping import ClinicScopedAdmin
from apps.core.admin import ReadOnlyAdmin, ReadOnlyAdminMixin
from apps.core.errors import DomainError
from apps.core.money import Money
from apps.payments import services
from apps.payments.models import (
    DiscountPolicy,
    DiscountQuotaDay,
    GatewayCall,
    Payment,
    PaymentStatus,
    PromoCode,
    Receipt,
    Refund,
    RefundStatus,
    WebhookEvent,
)


@admin.register(DiscountPolicy)
class DiscountPolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "is_active", "percent", "daily_quota", "when_quota_used_up"]
    fieldsets = (
        (None, {"fields": ("is_active", "percent")}),
        (
            _("When it applies"),
            {
                "fields": (
                    "birthday_rule",
                    "threshold_rule",
                    "threshold_minor",
                    "threshold_currency",
                )
            },
        ),
        (_("Daily quota"), {"fields": ("daily_quota", "quota_timezone", "when_quota_used_up")}),
    )

    def has_add_permission(self, request):
        # The permission first: the sidebar asks on every admin page.
        return super().has_add_permission(request) and not DiscountPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DiscountQuotaDay)
class DiscountQuotaDayAdmin(ReadOnlyAdmin):
    list_display = ["day", "used"]
    date_hierarchy = "day"


class PromoCodeForm(forms.ModelForm):
    class Meta:
        model = PromoCode
        fields = [
            "code",
            "description",
            "kind",
            "percent",
            "amount_minor",
            "currency",
            "valid_from",
            "valid_until",
            "max_uses",
            "max_uses_per_patient",
            "clinics",
            "services",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == "percent":
            if not data.get("percent"):
                self.add_error("percent", _("A percent code needs its percentage."))
            data["amount_minor"] = None
        elif kind == "fixed":
            if not data.get("amount_minor"):
                self.add_error("amount_minor", _("A fixed code needs its amount."))
            if not data.get("currency"):
                self.add_error("currency", _("A fixed code needs its currency."))
            data["percent"] = None
        if (
            data.get("valid_from")
            and data.get("valid_until")
            and data["valid_until"] <= data["valid_from"]
        ):
            self.add_error("valid_until", _("Must be after the start."))
        return data


@admin.register(PromoCode)
class PromoCodeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = PromoCodeForm
    list_display = [
        "code",
        "kind",
        "value",
        "valid_from",
        "valid_until",
        "uses",
        "max_uses",
        "is_active",
    ]
    list_filter = ["is_active", "kind"]
    search_fields = ["code", "description"]
    filter_horizontal = ["clinics", "services"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                uses_count=Count("redemptions", filter=Q(redemptions__released_at__isnull=True))
            )
        )

    @admin.display(description=_("Value"))
    def value(self, obj: PromoCode) -> str:
        if obj.kind == "percent":
            return f"{obj.percent}%"
        return str(Money(obj.amount_minor, obj.currency))

    @admin.display(description=_("Uses"), ordering="uses_count")
    def uses(self, obj: PromoCode) -> int:
        return obj.uses_count


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = ["number", "amount_minor", "currency", "status", "reason", "attempts", "last_error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class GatewayCallInline(admin.TabularInline):
    model = GatewayCall
    extra = 0
    fields = ["at", "operation", "idempotency_key", "ok", "detail"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ManualRefundForm(forms.Form):
    amount_minor = forms.IntegerField(min_value=1, label=_("Amount (minor units)"))
    reason = forms.CharField(max_length=300)


@admin.register(Payment)
class PaymentAdmin(ClinicScopedAdmin):
    list_display = [
        "booking",
        "amount_display",
        "status",
        "gateway",
        "manual_capture",
        "created_at",
    ]
    list_filter = ["status", "gateway"]
    search_fields = ["booking__reference", "intent_id", "booking__patient__email"]
    list_select_related = ["booking"]
    readonly_fields = [
        "booking",
        "gateway",
        "amount_minor",
        "currency",
        "manual_capture",
        "status",
        "intent_id",
        "captured_minor",
        "failure_reason",
        "created_at",
        "updated_at",
    ]
    exclude = ["client_secret"]
    inlines = [RefundInline, GatewayCallInline]
    actions = ["refund_remaining"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Amount"))
    def amount_display(self, obj: Payment) -> str:
        return str(obj.amount)

    @admin.action(
        description=_("Refund what is left of the selected payments"), permissions=["change"]
    )
    def refund_remaining(self, request, queryset):
        done = 0
        for payment in queryset.filter(status=PaymentStatus.SUCCEEDED):
            try:
                refund = services.refund_request(
                    payment=payment,
                    amount=services.refundable(payment),
                    reason=str(_("Manual refund from the back office.")),
                    actor=request.user,
                )
            except DomainError as error:
                self.message_user(request, f"{payment}: {error.message}", messages.ERROR)
                continue
            done += refund is not None
        self.message_user(request, _("%(count)d refund(s) requested.") % {"count": done})


@admin.register(Refund)
class RefundAdmin(ClinicScopedAdmin):
    list_display = [
        "__str__",
        "payment",
        "amount_display",
        "status",
        "attempts",
        "last_error",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["payment__booking__reference", "gateway_refund_id", "idempotency_key"]
    list_select_related = ["payment__booking"]
    readonly_fields = [
        "payment",
        "number",
        "amount_minor",
        "currency",
        "reason",
        "status",
        "idempotency_key",
        "gateway_refund_id",
        "attempts",
        "last_error",
        "requested_by",
        "created_at",
        "completed_at",
    ]
    actions = ["retry"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Amount"))
    def amount_display(self, obj: Refund) -> str:
        return str(obj.amount)

    @admin.action(description=_("Retry the selected failed refunds"), permissions=["change"])
    def retry(self, request, queryset):
        retried = 0
        for refund in queryset.filter(status=RefundStatus.FAILED):
            services.refund_retry(refund=refund, actor=request.user)
            retried += 1
        self.message_user(request, _("%(count)d refund(s) sent again.") % {"count": retried})


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdminMixin, ClinicScopedAdmin):
    list_display = ["number", "kind", "patient", "amount_minor", "currency", "issued_at"]
    list_filter = ["kind"]
    search_fields = ["number", "patient__email", "payment__booking__reference"]
    list_select_related = ["patient"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "gateway", "type", "event_id", "outcome"]
    list_filter = ["gateway", "type"]
    search_fields = ["event_id", "object_id"]
