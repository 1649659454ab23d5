from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from apps.audit.models import AuditEntry
from apps.bookings import services
from apps.bookings.models import Booking, BookingEvent, WaitlistEntry, WaitlistOffer
from apps.clinics.admin_scoping import ClinicScopedAdmin
from apps.core.admin import ReadOnlyAdminMixin
from apps.core.errors import DomainError


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    can_delete = False
    fields = ["at", "kind", "actor", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class UpcomingFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming"), ("past", "Past")]

    def queryset(self, request, queryset):
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=timezone.now())
        if self.value() == "past":
            return queryset.filter(starts_at__lt=timezone.now())
        return queryset


@admin.register(Booking)
class BookingAdmin(ClinicScopedAdmin):
    """Bookings change only through the booking services (locks, timeline, audit)."""

    list_display = [
        "reference",
        "local_start",
        "patient_name",
        "doctor",
        "service",
        "clinic",
        "status_badge",
        "price",
    ]
    list_filter = ["status", UpcomingFilter, "clinic", "doctor"]
    search_fields = [
        "reference",
        "patient__email",
        "patient__first_name",
        "patient__last_name",
        "doctor__user__last_name",
    ]
    # The service's name shows its clinic: without service__clinic, one query per row.
    list_select_related = ["patient", "doctor__user", "clinic", "service__clinic"]
    date_hierarchy = "starts_at"
    ordering = ["starts_at"]
    inlines = [BookingEventInline]
    actions = ["check_in", "mark_no_show", "complete", "cancel_on_behalf"]
    readonly_fields = [
        "reference",
        "status",
        "patient",
        "doctor",
        "clinic",
        "service",
        "slot",
        "starts_at",
        "ends_at",
        "blocked_from",
        "blocked_until",
        "price_base_minor",
        "price_discount_minor",
        "price_promo_minor",
        "price_total_minor",
        "currency",
        "hold_expires_at",
        "cancelled_at",
        "cancellation_reason",
        "created_by",
        "created_at",
        "patient_notes",
        "audit_trail",
    ]

    def has_add_permission(self, request):
        return False  # bookings are made through the exclusive-booking service

    def has_delete_permission(self, request, obj=None):
        return False  # history is kept; cancel instead

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: Booking) -> str:
        """Who did what to this booking, from the audit log (append-only)."""
        entries = AuditEntry.objects.for_target(obj).order_by("at", "id")
        if not entries:
            return "—"
        return format_html(
            "<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Changes</th>"
            "<th>From</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        f"{e.at.astimezone(obj.clinic.tz):%d %b %Y %H:%M}",
                        e.actor_label,
                        e.action,
                        "; ".join(
                            f"{k}: {v[0]} → {v[1]}"
                            for k, v in (e.changes or {}).items()
                            if isinstance(v, list) and len(v) == 2
                        ),
                        e.ip or "",
                    )
                    for e in entries
                ),
            ),
        )

    @admin.display(description="Starts (clinic time)", ordering="starts_at")
    def local_start(self, obj: Booking) -> str:
        return f"{obj.local_starts_at:%a %d %b %Y %H:%M} {obj.clinic.tz_city}"

    @admin.display(description="Patient", ordering="patient__last_name")
    def patient_name(self, obj: Booking) -> str:
        return obj.patient.get_full_name()

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj: Booking) -> str:
        return obj.get_status_display()

    @admin.display(description="Price", ordering="price_total_minor")
    def price(self, obj: Booking) -> str:
        return str(obj.price_total)

    def _apply(self, request, queryset, service, done: str) -> None:
        ok, failed = 0, []
        for booking in queryset:
            try:
                service(booking=booking, actor=request.user)
                ok += 1
            except DomainError as error:
                failed.append(f"{booking.reference}: {error.message}")
        if ok:
            self.message_user(request, f"{ok} booking(s) {done}.", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Check in", permissions=["change"])
    def check_in(self, request, queryset):
        self._apply(request, queryset, services.booking_check_in, "checked in")

    @admin.action(description="Mark as no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        self._apply(request, queryset, services.booking_mark_no_show, "marked as no-show")

    @admin.action(description="Mark visit completed", permissions=["change"])
    def complete(self, request, queryset):
        self._apply(request, queryset, services.booking_complete, "completed")

    @admin.action(description="Cancel on the clinic's behalf (full refund)", permissions=["change"])
    def cancel_on_behalf(self, request, queryset):
        def cancel(*, booking, actor):
            return services.booking_cancel(
                booking=booking, actor=actor, reason="Cancelled by the clinic", by_clinic=True
            )

        self._apply(request, queryset, cancel, "cancelled")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, ClinicScopedAdmin):
    list_display = ["created_at", "patient", "clinic", "service", "doctor", "date_from", "date_to"]
    list_display += ["status"]
    list_filter = ["status", "clinic"]
    search_fields = ["patient__email", "patient__last_name"]
    list_select_related = ["patient", "clinic", "service__clinic", "doctor__user"]
    ordering = ["created_at", "id"]


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdminMixin, ClinicScopedAdmin):
    list_display = ["created_at", "entry_patient", "booking", "expires_at", "status"]
    list_filter = ["status"]
    search_fields = ["booking__reference", "entry__patient__email"]
    list_select_related = ["entry__patient", "booking"]
    ordering = ["-created_at", "-id"]

    @admin.display(description="Patient", ordering="entry__patient__last_name")
    def entry_patient(self, obj: WaitlistOffer) -> str:
        return obj.entry.patient.get_full_name()
