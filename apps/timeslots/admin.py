from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts.roles import is_self_scoped
from apps.audit.admin_mixins import AuditedAdminMixin
from apps.clinics.admin_scoping import (
    ClinicScopedAdmin,
    ClinicScopedTabularInline,
    DoctorSelfScopedMixin,
)
from apps.clinics.selectors import clinic_list_for_staff
from apps.timeslots import services
from apps.timeslots.models import (
    DoctorSchedule,
    ScheduleBreak,
    ScheduleException,
    ScheduleRule,
    Slot,
    SlotStatus,
)


class ScheduleBreakInline(admin.TabularInline):
    model = ScheduleBreak
    extra = 0


class ScheduleRuleInline(ClinicScopedTabularInline):
    model = ScheduleRule
    extra = 0
    fields = [
        "clinic",
        "weekday",
        "start_time",
        "end_time",
        "slot_minutes",
        "valid_from",
        "valid_until",
        "is_active",
    ]
    show_change_link = True  # breaks are edited on the rule's own page


class _ExceptionScopeMixin:
    """Exceptions at a clinic belong to that clinic; those without one to all the doctor's.

    The model's scope path (the doctor's clinics) covers leave away from every clinic,
    but would also show a shared doctor's extra hours at another clinic, and let its
    staff delete them.
    """

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_platform_admin:
            return queryset
        own_clinics = clinic_list_for_staff(request.user).values("pk")
        return queryset.filter(Q(clinic__isnull=True) | Q(clinic__in=own_clinics))


class ScheduleExceptionInline(_ExceptionScopeMixin, ClinicScopedTabularInline):
    model = ScheduleException
    extra = 0
    fields = ["kind", "clinic", "starts_at", "ends_at", "slot_minutes", "note"]


class _OwnDoctorByDefaultMixin:
    """A doctor adding a row of their own schedule finds themselves already chosen."""

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if is_self_scoped(request.user):
            profile = getattr(request.user, "doctor_profile", None)
            if profile is not None:
                initial.setdefault("doctor", profile.pk)
        return initial


@admin.register(DoctorSchedule)
class DoctorScheduleAdmin(AuditedAdminMixin, DoctorSelfScopedMixin, ClinicScopedAdmin):
    """Edit a doctor's weekly rules and exceptions in one place, then generate slots.

    Doctors see and edit their own schedule only; every rule and exception added, changed
    or removed on this page is on the audit record (the inlines included).
    """

    own_path = "user"
    own_choices: dict[str, str] = {}

    list_display = ["display_name", "rule_count", "is_active"]
    search_fields = ["user__first_name", "user__last_name", "user__email"]
    fields = ["display_name"]
    readonly_fields = ["display_name"]
    inlines = [ScheduleRuleInline, ScheduleExceptionInline]
    actions = ["generate_slots"]

    def get_queryset(self, request):
        # Counted in the list query (not one query per row), and only the rules at the
        # user's clinics: a doctor shared with another clinic has rules there too.
        rules = Q(schedule_rules__is_active=True)
        if not request.user.is_platform_admin:
            own_clinics = clinic_list_for_staff(request.user).values("pk")
            rules &= Q(schedule_rules__clinic__in=own_clinics)
        return (
            super()
            .get_queryset(request)
            .select_related("user")
            .annotate(active_rule_count=Count("schedule_rules", filter=rules))
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Weekly rules", ordering="active_rule_count")
    def rule_count(self, obj: DoctorSchedule) -> int:
        return obj.active_rule_count

    @admin.action(description="Generate slots up to the booking horizon", permissions=["change"])
    def generate_slots(self, request, queryset):
        today = timezone.now().date()
        last = today + timedelta(days=settings.SLOT_HORIZON_DAYS)
        created = removed = 0
        for doctor in queryset:
            result = services.slots_generate(
                doctor=doctor, first=today - timedelta(days=1), last=last, actor=request.user
            )
            created, removed = created + result.created, removed + result.removed
        self.message_user(
            request,
            f"Slots generated until {last:%d %b %Y}: {created} created, {removed} removed.",
            messages.SUCCESS,
        )


@admin.register(ScheduleRule)
class ScheduleRuleAdmin(
    AuditedAdminMixin, _OwnDoctorByDefaultMixin, DoctorSelfScopedMixin, ClinicScopedAdmin
):
    list_display = [
        "doctor",
        "clinic",
        "weekday",
        "start_time",
        "end_time",
        "slot_minutes",
        "valid_from",
        "valid_until",
        "is_active",
    ]
    list_filter = ["is_active", "weekday", "clinic"]
    search_fields = ["doctor__user__last_name", "doctor__user__first_name", "clinic__name"]
    list_select_related = ["doctor__user", "clinic"]
    inlines = [ScheduleBreakInline]


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(
    AuditedAdminMixin,
    _OwnDoctorByDefaultMixin,
    DoctorSelfScopedMixin,
    _ExceptionScopeMixin,
    ClinicScopedAdmin,
):
    list_display = ["doctor", "kind", "clinic", "starts_at", "ends_at", "note"]
    list_filter = ["kind", "clinic"]
    search_fields = ["doctor__user__last_name", "doctor__user__first_name", "note"]
    list_select_related = ["doctor__user", "clinic"]
    date_hierarchy = "starts_at"


@admin.register(Slot)
class SlotAdmin(DoctorSelfScopedMixin, ClinicScopedAdmin):
    """Slot changes go through the slot services, which write the audit entries."""

    list_display = ["local_start", "doctor", "clinic", "length", "status", "source", "block_reason"]
    list_filter = ["status", "source", "clinic"]
    search_fields = ["doctor__user__last_name", "doctor__user__first_name", "clinic__name"]
    list_select_related = ["doctor__user", "clinic"]
    date_hierarchy = "starts_at"
    actions = ["block_slots", "unblock_slots"]
    readonly_fields = ["doctor", "clinic", "starts_at", "ends_at", "source", "created_at"]
    fields = [*readonly_fields, "status", "block_reason"]

    def has_add_permission(self, request):
        return False  # slots come from schedules; add extra hours instead

    def save_model(self, request, obj, form, change):
        # Status changes go through the services (lock, audit), never a raw save.
        if "status" in form.changed_data or "block_reason" in form.changed_data:
            if obj.status == SlotStatus.BLOCKED:
                services.slots_block(
                    doctor=obj.doctor,
                    starts_at=obj.starts_at,
                    ends_at=obj.ends_at,
                    reason=obj.block_reason or "Blocked in the back office",
                    actor=request.user,
                )
            else:
                services.slots_unblock(slot_ids=[obj.pk], actor=request.user)

    @admin.display(description="Starts (clinic time)", ordering="starts_at")
    def local_start(self, obj: Slot) -> str:
        local = obj.starts_at.astimezone(obj.clinic.tz)
        return f"{local:%a %d %b %Y %H:%M} {obj.clinic.tz_city}"

    @admin.display(description="Minutes")
    def length(self, obj: Slot) -> int:
        return int((obj.ends_at - obj.starts_at).total_seconds() // 60)

    @admin.action(description="Block selected slots", permissions=["change"])
    def block_slots(self, request, queryset):
        count = 0
        for slot in queryset.select_related("doctor").order_by("doctor_id", "starts_at"):
            count += len(
                services.slots_block(
                    doctor=slot.doctor,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    reason="Blocked in the back office",
                    actor=request.user,
                )
            )
        self.message_user(request, f"{count} slot(s) blocked.", messages.SUCCESS)

    @admin.action(description="Unblock selected slots", permissions=["change"])
    def unblock_slots(self, request, queryset):
        count = services.slots_unblock(
            slot_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"{count} slot(s) opened again.", messages.SUCCESS)
