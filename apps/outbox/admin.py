from django.contrib import admin

from apps.outbox.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    """What happened and whether it reached the workers. Read-only."""

    list_display = ["id", "kind", "dedupe_key", "created_at", "dispatched_at", "dispatch_attempts"]
    list_filter = ["kind", ("dispatched_at", admin.EmptyFieldListFilter)]
    search_fields = ["dedupe_key", "kind"]
    readonly_fields = [f.name for f in OutboxEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
