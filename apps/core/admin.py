"""Back-office building blocks every app shares."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Records that change only through services (or never): nobody adds, edits or
    deletes them in the back office; viewing follows the model's view permission."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass
