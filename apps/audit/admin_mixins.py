"""Admin changes on the record: a ModelAdmin mixin that audits adds, changes and deletes,
of the page's object and of every inline row, with the changed fields' before and after
values, in the transaction of the save (the admin wraps each change page in one)."""

from datetime import time, timedelta
from uuid import UUID

from django.db import transaction

from apps.audit.services import audit_record, diff
from apps.audit.services import snapshot as _snapshot

#: Never copied into the log, whatever the model: the log is read by people who must not
#: learn a password hash, and a hash change says nothing a reviewer needs.
NEVER_RECORDED = frozenset({"id", "password"})


def _fields(obj, exclude=frozenset()) -> list[str]:
    skip = NEVER_RECORDED | set(exclude)
    # "updated at" stamps change on every save and would drown the real changes.
    return [
        f.name
        for f in obj._meta.concrete_fields
        if f.name not in skip and not f.primary_key and not getattr(f, "auto_now", False)
    ]


def snapshot(obj, fields) -> dict:
    """``apps.audit.services.snapshot``, also for the value types admin forms edit that
    it leaves as they are (wall-clock times of opening hours and rules, durations, UUIDs)."""
    return {name: _json_safe(value) for name, value in _snapshot(obj, fields).items()}


def _json_safe(value):
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, UUID):
        return str(value)
    return value


def _m2m_snapshot(obj) -> dict:
    if obj.pk is None:
        return {}
    return {
        f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
        for f in obj._meta.many_to_many
    }


def _action(obj, verb: str) -> str:
    return f"{obj._meta.label_lower}.{verb}"


class AuditedAdminMixin:
    """Records ``<app>.<model>.create|update|delete`` entries for admin saves and deletes,
    and the same for each row added, changed or deleted in an inline on the page (the entry
    targets the inline row). Many-to-many fields are recorded as sorted id lists after
    ``save_related``. ``audit_exclude`` names more fields to leave out (timestamps that
    change on every save, secrets)."""

    audit_exclude: tuple[str, ...] = ()

    def _audit_fields(self, obj) -> list[str]:
        return _fields(obj, self.audit_exclude)

    def _audit_state(self, obj) -> dict:
        return {**snapshot(obj, self._audit_fields(obj)), **_m2m_snapshot(obj)}

    def save_model(self, request, obj, form, change):
        before = {}
        if change:
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            if stored is not None:
                before = self._audit_state(stored)
        request._clinix_audit_before = before
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = self._audit_state(obj)
        before = getattr(request, "_clinix_audit_before", {})
        changes = diff(before, after) if change else {k: [None, v] for k, v in after.items()}
        if change and not changes:
            return
        audit_record(
            actor=request.user,
            action=_action(obj, "update" if change else "create"),
            target=obj,
            changes=changes,
        )

    def save_formset(self, request, form, formset, change):
        """Each inline row added, changed or deleted gets its own entry."""
        exclude = getattr(formset, "audit_exclude", ())
        existing = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        model = formset.model
        # The forms' instances already hold the posted values: read the stored rows.
        stored = {row.pk: row for row in model._default_manager.filter(pk__in=existing)}
        before = {
            pk: {**snapshot(row, _fields(row, exclude)), **_m2m_snapshot(row)}
            for pk, row in stored.items()
        }
        for deleted in formset.deleted_forms:
            row = stored.get(deleted.instance.pk)
            if row is not None:
                # Recorded before the row goes (its id is gone after), in the same
                # transaction: a failed delete rolls the entry back with it.
                audit_record(
                    actor=request.user,
                    action=_action(row, "delete"),
                    target=row,
                    changes={k: [v, None] for k, v in before[row.pk].items()},
                )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            after = {**snapshot(obj, _fields(obj, exclude)), **_m2m_snapshot(obj)}
            audit_record(
                actor=request.user,
                action=_action(obj, "create"),
                target=obj,
                changes={k: [None, v] for k, v in after.items()},
            )
        for obj, _changed in formset.changed_objects:
            after = {**snapshot(obj, _fields(obj, exclude)), **_m2m_snapshot(obj)}
            if changes := diff(before.get(obj.pk, {}), after):
                audit_record(
                    actor=request.user, action=_action(obj, "update"), target=obj, changes=changes
                )

    def delete_model(self, request, obj):
        with transaction.atomic():
            self._audit_delete(request, obj)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """The bulk "delete selected" action: one entry per deleted row."""
        with transaction.atomic():
            for obj in queryset:
                self._audit_delete(request, obj)
            super().delete_queryset(request, queryset)

    def _audit_delete(self, request, obj) -> None:
        audit_record(
            actor=request.user,
            action=_action(obj, "delete"),
            target=obj,
            changes={k: [v, None] for k, v in self._audit_state(obj).items()},
        )
