"""Back-office scoping: clinic staff see and change only what belongs to their clinics.

Every admin of a clinic-owned model uses these mixins. The list, the change form, the
delete page and bulk actions all read ``get_queryset``, so a foreign object is simply
not found; foreign-key and many-to-many choices are narrowed the same way, so nothing
can be moved into another clinic either.
"""

from django.contrib import admin

from apps.clinics.selectors import is_clinic_scoped, scope_to_clinics


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


class ClinicScopedAdmin(_ScopedChoicesMixin, admin.ModelAdmin):
    def get_queryset(self, request):
        return scope_to_clinics(super().get_queryset(request), request.user)


class ClinicScopedTabularInline(_ScopedChoicesMixin, admin.TabularInline):
    pass


class ClinicScopedStackedInline(_ScopedChoicesMixin, admin.StackedInline):
    pass
