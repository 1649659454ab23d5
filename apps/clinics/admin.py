from django.contrib import admin

from apps.audit.admin_mixins import AuditedAdminMixin
from apps.clinics.admin_scoping import ClinicScopedAdmin, ClinicScopedTabularInline
from apps.clinics.models import (
    Clinic,
    ClinicMembership,
    Closure,
    OpeningHours,
    ServiceCategory,
    ServiceOffering,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


class ServiceOfferingInline(ClinicScopedTabularInline):
    model = ServiceOffering
    extra = 0
    fields = [
        "name",
        "category",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "price_minor",
        "is_active",
    ]


@admin.register(Clinic)
class ClinicAdmin(AuditedAdminMixin, ClinicScopedAdmin):
    list_display = ["name", "city", "timezone", "currency", "requires_prepayment", "is_active"]
    list_filter = ["is_active", "city", "timezone", "requires_prepayment"]
    search_fields = ["name", "city", "address", "postcode"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline, ClosureInline, ServiceOfferingInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active")}),
        ("Where", {"fields": ("address", "postcode", "city", "country", "timezone")}),
        ("Contact", {"fields": ("phone", "email")}),
        (
            "Booking rules",
            {
                "fields": (
                    "currency",
                    "min_notice_minutes",
                    "max_advance_days",
                    "requires_prepayment",
                    "capture_on_check_in",
                    "cancellation_cutoff_hours",
                    "late_cancellation_refund_percent",
                    "no_show_fee_percent",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        # New clinics are onboarded by the platform, not by another clinic's staff.
        return request.user.is_platform_admin

    def has_delete_permission(self, request, obj=None):
        return request.user.is_platform_admin


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(AuditedAdminMixin, ClinicScopedAdmin):
    list_display = [
        "name",
        "clinic",
        "category",
        "duration_minutes",
        "price_display",
        "is_active",
    ]
    list_filter = ["is_active", "category", "clinic"]
    search_fields = ["name", "clinic__name", "category__name"]
    list_select_related = ["clinic", "category"]
    autocomplete_fields = ["category"]

    @admin.display(description="Price", ordering="price_minor")
    def price_display(self, obj: ServiceOffering) -> str:
        return str(obj.price)


@admin.register(ClinicMembership)
class ClinicMembershipAdmin(ClinicScopedAdmin):
    list_display = ["user", "clinic", "role", "created_at"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "clinic__name"]
    list_select_related = ["user", "clinic"]
    raw_id_fields = ["user"]
