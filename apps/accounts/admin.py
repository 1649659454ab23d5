from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db import transaction

from apps.accounts import services
from apps.accounts.models import PatientProfile, User
from apps.audit.admin_mixins import AuditedAdminMixin
from apps.audit.services import audit_record


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role")


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    """Platform admins manage accounts; clinic staff have no permission on users.

    Edits are on the audit record (the password hash never: a password change is recorded
    as the bare fact), the patient profile inline included.
    """

    audit_exclude = ("last_login",)

    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    inlines = [PatientProfileInline]
    list_display = ["email", "full_name", "role", "is_staff", "is_active", "date_joined"]
    list_filter = ["role", "is_staff", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "role")}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "role", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description="Name")
    def full_name(self, obj: User) -> str:
        return obj.full_name

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "role" in form.changed_data or not change:
            # Back-office access and the role's group follow the role, in one place.
            services.user_set_role(user=obj, role=obj.role, actor=request.user)

    def user_change_password(self, request, id, form_url=""):
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                # Saved (an invalid form re-renders with 200): on the record, in one commit.
                audit_record(
                    actor=request.user,
                    action="accounts.user.password_change",
                    target=User.objects.get(pk=id),
                )
        return response
