from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin
from apps.outbox.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    """What happened and whether it reached the workers. Read-only."""

    list_display = ["id", "kind", "dedupe_key", "created_at", "dispatched_at", "dispatch_attempts"]
    list_filter = ["kind", ("dispatched_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedupe_key", "kind"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]
