from django.contrib import admin

from apps.audit.admin_mixins import AuditedAdminMixin
from apps.clinics.admin_scoping import ClinicScopedAdmin
from apps.doctors.models import Doctor, Specialty, SpokenLanguage


@admin.register(Specialty)
class SpecialtyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(SpokenLanguage)
class SpokenLanguageAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Doctor)
class DoctorAdmin(AuditedAdminMixin, ClinicScopedAdmin):
    list_display = ["display_name", "email", "specialty_list", "is_active"]
    list_filter = ["is_active", "specialties", "languages", "services__clinic"]
    search_fields = ["user__first_name", "user__last_name", "user__email", "slug"]
    filter_horizontal = ["specialties", "languages", "services"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user").prefetch_related("specialties")

    def has_add_permission(self, request):
        # A doctor profile is tied to a user account, which platform admins create.
        return request.user.is_platform_admin

    def get_readonly_fields(self, request, obj=None):
        # For the same reason only platform admins move a profile to another account:
        # the raw id field would otherwise accept any user, of any clinic or none.
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_platform_admin:
            readonly.append("user")
        return readonly

    @admin.display(description="E-mail", ordering="user__email")
    def email(self, obj: Doctor) -> str:
        return obj.user.email

    @admin.display(description="Specialties")
    def specialty_list(self, obj: Doctor) -> str:
        return ", ".join(s.name for s in obj.specialties.all())
