"""Back-office scoping: clinic staff see and change only what belongs to their clinics.

Every admin of a clinic-owned model uses these mixins. The list, the change form, the
delete page, bulk actions and inlines all read ``get_queryset``, so a foreign object is
simply not found; foreign-key and many-to-many choices and the sidebar filters are
narrowed the same way, so nothing can be moved into another clinic, nor its names read.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import get_fields_from_path

from apps.accounts.roles import is_self_scoped
from apps.clinics.selectors import is_clinic_scoped, scope_to_clinics


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A sidebar filter offering only related rows that are in the list and in scope.

    Django's plain related filter offers every row of the related table, so a clinic's
    staff would read the names of other clinics and their doctors in the sidebar. The
    rows come from the related model's own admin queryset, which also brings its
    ``select_related`` (a doctor's name lives on the user row: one query, not one each).
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        try:
            rows = model_admin.admin_site.get_model_admin(related).get_queryset(request)
        except NotRegistered:
            rows = related._default_manager.all()
        in_list = model_admin.get_queryset(request).values(f"{self.field_path}__pk")
        rows = scope_to_clinics(rows, request.user).filter(pk__in=in_list).prefetch_related(None)
        if ordering := self.field_admin_ordering(field, request, model_admin):
            rows = rows.order_by(*ordering)
        return [(row.pk, str(row)) for row in rows]

    def has_output(self):
        # Also when the one choice left is chosen, or a foreign id is asked for: otherwise
        # Django drops the filter and the list silently shows every row instead of none.
        return super().has_output() or self.lookup_val is not None


def _scoped_list_filter(model, item):
    if isinstance(item, str):
        field = get_fields_from_path(model, item)[-1]
        if field.is_relation and is_clinic_scoped(field.related_model):
            return (item, ScopedRelatedFieldListFilter)
    return item


class _ScopedChoicesMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs and is_clinic_scoped(related):
            kwargs["queryset"] = scope_to_clinics(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if "queryset" not in kwargs and is_clinic_scoped(related):
            kwargs["queryset"] = scope_to_clinics(related._default_manager.all(), request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


def _links_out_of_scope(form, user) -> dict[str, list]:
    """Per many-to-many field of ``form``, the linked rows ``user`` cannot see."""
    kept = {}
    for field in form.instance._meta.many_to_many:
        if field.name in form.fields and is_clinic_scoped(field.related_model):
            in_scope = scope_to_clinics(field.related_model._default_manager.all(), user)
            related = getattr(form.instance, field.name).exclude(pk__in=in_scope.values("pk"))
            if pks := list(related.values_list("pk", flat=True)):
                kept[field.name] = pks
    return kept


class ClinicScopedAdmin(_ScopedChoicesMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return scope_to_clinics(super().get_queryset(request), request.user)

    def get_list_filter(self, request):
        return [_scoped_list_filter(self.model, item) for item in super().get_list_filter(request)]

    def save_related(self, request, form, formsets, change):
        # A many-to-many field offers only rows in scope, so what was posted says nothing
        # about links to other clinics' rows (a doctor's services elsewhere): keep them,
        # or saving a shared doctor would take them away from the other clinic.
        kept = _links_out_of_scope(form, request.user) if change else {}
        super().save_related(request, form, formsets, change)
        for name, pks in kept.items():
            getattr(form.instance, name).add(*pks)


class _ScopedInlineMixin(_ScopedChoicesMixin):
    # The parent being in scope is not enough: a doctor working at two clinics has rules
    # at both, and an unscoped inline would show, and let staff delete, the other's.
    def get_queryset(self, request):
        return scope_to_clinics(super().get_queryset(request), request.user)


class ClinicScopedTabularInline(_ScopedInlineMixin, admin.TabularInline):
    pass


class ClinicScopedStackedInline(_ScopedInlineMixin, admin.StackedInline):
    pass


class DoctorSelfScopedMixin:
    """A doctor sees and edits only their own rows, and can point a new row only at
    themselves: a rule, a leave, a break can never be made for a colleague.

    ``own_path`` is the ORM path from this admin's model to the owning user
    ("doctor__user"); ``own_choices`` maps a foreign-key field to the path from the
    related model to the owning user ({"doctor": "user", "rule": "doctor__user"}).
    Put it before the clinic-scoped base class so both narrowings apply.
    """

    own_path: str = "doctor__user"
    own_choices: dict[str, str] = {"doctor": "user"}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_self_scoped(request.user):
            queryset = queryset.filter(**{self.own_path: request.user})
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.own_choices.get(db_field.name)
        if field is not None and path and is_self_scoped(request.user):
            field.queryset = field.queryset.filter(**{path: request.user})
        return field
