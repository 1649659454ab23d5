from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.roles import CLINIC_ROLES, MANAGER_ASSIGNABLE_ROLES
from apps.audit.admin_mixins import AuditedAdminMixin
from apps.clinics import services
from apps.clinics.admin_scoping import ClinicScopedAdmin, ClinicScopedTabularInline
from apps.clinics.exceptions import MembershipError
from apps.clinics.models import (
    Clinic,
    ClinicMembership,
    Closure,
    OpeningHours,
    ServiceCategory,
    ServiceOffering,
)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


class ServiceOfferingInline(ClinicScopedTabularInline):
    model = ServiceOffering
    extra = 0
    fields = [
        "name",
        "category",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "price_minor",
        "is_active",
    ]


@admin.register(Clinic)
class ClinicAdmin(AuditedAdminMixin, ClinicScopedAdmin):
    """A clinic's details, booking rules and cancellation policy, with its opening hours,
    closures and services (prices) inline: managers keep their own clinics; each field and
    inline row changed is on the audit record."""

    list_display = ["name", "city", "timezone", "currency", "requires_prepayment", "is_active"]
    list_filter = ["is_active", "city", "timezone", "requires_prepayment"]
    search_fields = ["name", "city", "address", "postcode"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline, ClosureInline, ServiceOfferingInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "is_active")}),
        ("Where", {"fields": ("address", "postcode", "city", "country", "timezone")}),
        ("Contact", {"fields": ("phone", "email")}),
        (
            "Booking rules",
            {
                "fields": (
                    "currency",
                    "min_notice_minutes",
                    "max_advance_days",
                    "requires_prepayment",
                    "capture_on_check_in",
                    "cancellation_cutoff_hours",
                    "late_cancellation_refund_percent",
                    "no_show_fee_percent",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        # New clinics are onboarded by the platform, not by another clinic's staff.
        return request.user.is_platform_admin

    def has_delete_permission(self, request, obj=None):
        return request.user.is_platform_admin


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(ServiceOffering)
class ServiceOfferingAdmin(AuditedAdminMixin, ClinicScopedAdmin):
    list_display = [
        "name",
        "clinic",
        "category",
        "duration_minutes",
        "price_display",
        "is_active",
    ]
    list_filter = ["is_active", "category", "clinic"]
    search_fields = ["name", "clinic__name", "category__name"]
    list_select_related = ["clinic", "category"]
    autocomplete_fields = ["category"]

    @admin.display(description="Price", ordering="price_minor")
    def price_display(self, obj: ServiceOffering) -> str:
        return str(obj.price)


class MembershipAddForm(forms.ModelForm):
    """Names the person by e-mail address (not by a user id to guess at, which would show
    any account's name); the role choices are those ``actor`` may give. ``actor`` is set per
    request by ``ClinicMembershipAdmin.get_form``."""

    actor = None
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Of an existing account. New staff sign up first, or ask a platform admin."),
    )

    class Meta:
        model = ClinicMembership
        fields = ["clinic", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        roles = CLINIC_ROLES if self.actor.is_platform_admin else MANAGER_ASSIGNABLE_ROLES
        self.fields["role"].choices = [("", "---------"), *[(r.value, r.label) for r in roles]]
        self.order_fields(["email", "clinic", "role"])
        clinics = self.fields["clinic"].queryset
        if len(clinics[:2]) == 1:  # a manager of one clinic has nothing to choose
            self.fields["clinic"].initial = clinics[0].pk

    def clean_email(self) -> User:
        email = User.objects.normalize_email(self.cleaned_data["email"])
        person = User.objects.filter(email__iexact=email, is_active=True).first()
        if person is None:
            raise forms.ValidationError(_("There is no active account with this e-mail address."))
        return person

    def clean(self):
        cleaned = super().clean()
        person, clinic, role = cleaned.get("email"), cleaned.get("clinic"), cleaned.get("role")
        if person is not None and clinic is not None and role:
            try:
                services.membership_check_add(
                    clinic=clinic, user=person, role=role, actor=self.actor
                )
            except MembershipError as error:
                field = {"user": "email"}.get(error.field, error.field)
                self.add_error(field if field in self.fields else None, error.message)
        return cleaned


@admin.register(ClinicMembership)
class ClinicMembershipAdmin(ClinicScopedAdmin):
    """Who works where. Managers add and remove doctors, nurses and receptionists at their
    own clinics; managers are appointed by platform admins. Adding and removing go through
    the membership services, which keep the person's role (and its permission group) in
    step and write the audit entries; a membership is never edited in place."""

    list_display = ["user", "email", "clinic", "role", "created_at"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "clinic__name"]
    list_select_related = ["user", "clinic"]
    form = MembershipAddForm

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or services.membership_may_remove(membership=obj, actor=request.user)

    def get_form(self, request, obj=None, **kwargs):
        if obj is not None:  # read-only: a membership is never edited in place
            return super().get_form(request, obj, form=forms.ModelForm, **kwargs)
        form = super().get_form(request, obj, **kwargs)
        # A class per request: the admin instance is shared between requests.
        return type(form.__name__, (form,), {"actor": request.user})

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["email", "clinic", "role"]
        return ["user", "clinic", "role", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["user", "clinic", "role", "created_at"]

    def save_model(self, request, obj, form, change):
        membership = services.membership_add(
            clinic=form.cleaned_data["clinic"],
            user=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            actor=request.user,
        )
        obj.pk, obj.user, obj.created_at = membership.pk, membership.user, membership.created_at

    def delete_model(self, request, obj):
        services.membership_remove(membership=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        skipped = []
        for membership in queryset.select_related("user", "clinic"):
            if services.membership_may_remove(membership=membership, actor=request.user):
                services.membership_remove(membership=membership, actor=request.user)
            else:
                skipped.append(str(membership))
        for line in skipped:
            self.message_user(
                request,
                _("Not removed (not yours to remove): %(membership)s") % {"membership": line},
                messages.WARNING,
            )

    @admin.display(description=_("E-mail"), ordering="user__email")
    def email(self, obj: ClinicMembership) -> str:
        return obj.user.email
