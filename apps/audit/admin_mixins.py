"""Admin changes on the record: a ModelAdmin mixin that audits adds, changes and deletes
with the changed fields' before and after values, in the transaction of the save."""

from django.db import transaction

from apps.audit.services import audit_record, diff, snapshot


class AuditedAdminMixin:
    """Records ``<app>.<model>.create|update|delete`` entries for admin saves and deletes.

    Many-to-many fields are recorded as sorted id lists after ``save_related``.
    """

    def _audit_fields(self, obj) -> list[str]:
        return [f.name for f in obj._meta.concrete_fields if f.name not in ("id",)]

    def _m2m_fields(self, obj) -> list[str]:
        return [f.name for f in obj._meta.many_to_many]

    def _m2m_snapshot(self, obj) -> dict:
        if obj.pk is None:
            return {}
        return {
            name: sorted(getattr(obj, name).values_list("pk", flat=True))
            for name in self._m2m_fields(obj)
        }

    def save_model(self, request, obj, form, change):
        fields = self._audit_fields(obj)
        before = {}
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None:
                before = {**snapshot(stored, fields), **self._m2m_snapshot(stored)}
        request._clinix_audit_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = {**snapshot(obj, self._audit_fields(obj)), **self._m2m_snapshot(obj)}
        before = getattr(request, "_clinix_audit_before", {})
        changes = diff(before, after) if change else {k: [None, v] for k, v in after.items()}
        if change and not changes:
            return
        audit_record(
            actor=request.user,
            action=f"{obj._meta.label_lower}.{'update' if change else 'create'}",
            target=obj,
            changes=changes,
        )

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action=f"{obj._meta.label_lower}.delete",
                target=obj,
                changes={k: [v, None] for k, v in snapshot(obj, self._audit_fields(obj)).items()},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit_record(
                    actor=request.user, action=f"{obj._meta.label_lower}.delete", target=obj
                )
            super().delete_queryset(request, queryset)
