from django.contrib import admin

from apps.audit.models import AuditEntry
from apps.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the log is append-only, here as in the database."""

    list_display = ["at", "actor_label", "action", "target_type", "target_repr", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "target_repr", "target_id", "request_id"]
    date_hierarchy = "at"
    list_select_related = False
