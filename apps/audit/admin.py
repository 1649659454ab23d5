from allauth.account.models import EmailAddress
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)

from apps.audit.admin_mixins import AuditedAdminMixin
from apps.audit.models import AuditEntry
from apps.core.admin import ReadOnlyAdmin


class TextSearchFilter(admin.SimpleListFilter):
    """A sidebar filter with a text box: ``?<parameter_name>=<text>``."""

    template = "admin/audit/text_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # one dummy choice, so the filter is shown

    def choices(self, changelist):
        # The other filters currently applied, kept as hidden fields of the little form.
        kept = []
        for key, values in changelist.get_filters_params().items():
            if key == self.parameter_name:
                continue
            for value in values if isinstance(values, list) else [values]:
                kept.append((key, value))
        yield {"kept": kept, "value": self.value() or ""}


class ActorFilter(TextSearchFilter):
    title = "actor (e-mail or job name)"
    parameter_name = "actor"

    def queryset(self, request, queryset):
        if value := (self.value() or "").strip():
            return queryset.filter(actor_label__icontains=value)
        return queryset


class ObjectFilter(TextSearchFilter):
    """``bookings.booking:42`` for one object, or text found in its name or id."""

    title = "object (type:id or name)"
    parameter_name = "object"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        target_type, _, target_id = value.partition(":")
        if target_id and "." in target_type:
            return queryset.filter(target_type=target_type.lower(), target_id=target_id)
        return queryset.filter(Q(target_repr__icontains=value) | Q(target_id=value))


class ActorKindFilter(admin.SimpleListFilter):
    title = "kind of actor"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [
            ("person", "People (signed in)"),
            ("job", "Background jobs"),
            ("anonymous", "Not signed in (web and API)"),
            ("system", "The system (commands, set-up)"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "person":
            return queryset.filter(actor__isnull=False)
        if self.value() == "job":
            return queryset.filter(actor_label__startswith="job:")
        if self.value() == "anonymous":
            return queryset.filter(actor__isnull=True, actor_label="anonymous")
        if self.value() == "system":
            return queryset.filter(actor__isnull=True).exclude(
                Q(actor_label__startswith="job:") | Q(actor_label="anonymous")
            )
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only, here as in the database (migration 0002)."""

    list_display = ["at", "actor_label", "action", "target_link", "changed_fields", "ip"]
    list_filter = [ActorFilter, ActorKindFilter, "action", "target_type", ObjectFilter]
    search_fields = ["actor_label", "action", "target_repr", "target_id", "request_id"]
    date_hierarchy = "at"
    list_select_related = False
    show_full_result_count = False  # no second COUNT(*) over a large table on every page

    @admin.display(description="Object")
    def target_link(self, entry: AuditEntry) -> str:
        """The object's own back-office page where it has one, else its name."""
        if not entry.target_type:
            return "—"
        label = entry.target_repr or f"{entry.target_type} {entry.target_id}"
        app_label, _, model = entry.target_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model}_change", args=[entry.target_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="Changed")
    def changed_fields(self, entry: AuditEntry) -> str:
        return ", ".join(sorted(entry.changes or {})) or "—"


def _audit_third_party_admin(model) -> None:
    """Put an admin registered by a third-party app (groups, e-mail addresses, the periodic
    task schedule) on the record too, keeping everything else about it."""
    current = admin.site.get_model_admin(model)
    if isinstance(current, AuditedAdminMixin):
        return
    audited = type(f"Audited{type(current).__name__}", (AuditedAdminMixin, type(current)), {})
    admin.site.unregister(model)
    admin.site.register(model, audited)


# These apps come before ours in INSTALLED_APPS, so their admins are registered by now.
for _model in (
    Group,
    EmailAddress,
    PeriodicTask,
    CrontabSchedule,
    IntervalSchedule,
    ClockedSchedule,
    SolarSchedule,
):
    _audit_third_party_admin(_model)
