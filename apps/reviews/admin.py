"""Reviews in the back office.

Clinic managers (and platform admins) list the reviews of their clinics and hide (with a
reason), unhide or approve them; a doctor lists the reviews of their own visits and posts
the one public reply. Every action goes through apps.reviews.services (locks, audit,
events). What each role may do comes from its group's permissions (apps/accounts/roles.py:
``view_review``, ``moderate_review``, ``reply_review``, the review settings' rights); which
rows, from the clinic scoping and, for doctors, their own visits (the selectors).
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.text import Truncator

from apps.audit.admin_mixins import AuditedAdminMixin
from apps.clinics.admin_scoping import ClinicScopedAdmin
from apps.core.admin import ReadOnlyAdminMixin
from apps.core.errors import DomainError
from apps.reviews import selectors, services
from apps.reviews.exceptions import ReviewInvalid
from apps.reviews.forms import HideForm, ReplyForm
from apps.reviews.models import BannedWord, Review, ReviewSettings, ReviewStatus


def _staff_ok(request) -> bool:
    user = request.user
    return user.is_active and user.is_staff


def _may(request, permission: str) -> bool:
    user = request.user
    return _staff_ok(request) and (user.is_platform_admin or user.has_perm(permission))


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ReviewStatus.choices

    def queryset(self, request, queryset):
        return queryset.filter(status=self.value()) if self.value() else queryset


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, ClinicScopedAdmin):
    list_display = ["created_at", "doctor", "clinic", "rating", "status", "excerpt", "replied"]
    list_filter = [StatusFilter, "rating", "clinic"]
    search_fields = ["booking__reference", "comment", "doctor__user__last_name"]
    list_select_related = ["doctor__user", "clinic", "reply"]
    ordering = ["-created_at", "-id"]
    actions = ["hide", "unhide", "approve", "reply"]
    fields = [
        "booking",
        "doctor",
        "clinic",
        "rating",
        "waiting_time",
        "manner",
        "explanation",
        "comment",
        "status",
        "created_at",
        "published_at",
        "hidden_reason",
        "hidden_by",
        "hidden_at",
        "reply_body",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # Managers see their clinics' reviews, doctors their own visits' (not the whole
        # clinic's, as plain clinic scoping would give them).
        visible = selectors.review_list_for_staff(request.user).values("pk")
        return super().get_queryset(request).filter(pk__in=visible)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return _may(request, "reviews.view_review")

    def has_moderate_permission(self, request):
        return _may(request, "reviews.moderate_review")

    def has_reply_permission(self, request):
        # Platform admins moderate; only the visit's own doctor replies.
        return _staff_ok(request) and request.user.has_perm("reviews.reply_review")

    @admin.display(description="Comment")
    def excerpt(self, obj: Review) -> str:
        return Truncator(obj.comment).chars(80) or "—"

    @admin.display(description="Replied", boolean=True)
    def replied(self, obj: Review) -> bool:
        return hasattr(obj, "reply")

    @admin.display(description="Doctor's reply")
    def reply_body(self, obj: Review) -> str:
        return obj.reply.body if hasattr(obj, "reply") else "—"

    # --- Actions, all through the services -------------------------------------------------

    def _apply(self, request, queryset, call, done: str) -> None:
        ok, failed = 0, []
        for review in queryset:
            try:
                call(review)
                ok += 1
            except DomainError as error:
                failed.append(f"Review {review.pk}: {error.message}")
        if ok:
            self.message_user(request, f"{ok} review(s) {done}.", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description="Approve (publish) pending reviews", permissions=["moderate"])
    def approve(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda r: services.review_approve(review=r, actor=request.user),
            "approved",
        )

    @admin.action(description="Show hidden reviews again", permissions=["moderate"])
    def unhide(self, request, queryset):
        self._apply(
            request,
            queryset,
            lambda r: services.review_unhide(review=r, actor=request.user),
            "shown again",
        )

    @admin.action(description="Hide with a reason…", permissions=["moderate"])
    def hide(self, request, queryset):
        form = HideForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda r: services.review_hide(review=r, actor=request.user, reason=reason),
                "hidden",
            )
            return None
        return self._intermediate(request, queryset, form, "hide", "Hide reviews")

    @admin.action(description="Post your public reply…", permissions=["reply"])
    def reply(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose one review to reply to.", messages.WARNING)
            return None
        review = queryset.get()
        form = ReplyForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                services.doctor_reply_create(
                    review=review, actor=request.user, body=form.cleaned_data["body"]
                )
            except ReviewInvalid as error:
                form.add_error("body", error.message)
            except DomainError as error:
                self.message_user(request, error.message, messages.WARNING)
                return None
            else:
                self.message_user(request, "Your reply is published.", messages.SUCCESS)
                return None
        return self._intermediate(request, queryset, form, "reply", "Reply to a review")

    def _intermediate(self, request, queryset, form, action: str, title: str):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "reviews": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        status = 422 if form.is_bound else 200
        return TemplateResponse(request, "reviews/admin/action_form.html", context, status=status)


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(AuditedAdminMixin, ClinicScopedAdmin):
    """Per clinic: whether new reviews wait for a manager's approval."""

    list_display = ["clinic", "requires_manual_approval"]
    list_select_related = ["clinic"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_platform_admin:
            return qs
        return qs.filter(clinic__in=selectors.managed_clinics(request.user))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "clinic":
            kwargs["queryset"] = selectors.managed_clinics(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _allowed(self, request, obj=None) -> bool:
        user = request.user
        if not _staff_ok(request):
            return False
        if user.is_platform_admin:
            return True
        if not user.has_perm("reviews.change_reviewsettings"):
            return False
        if obj is not None:
            return selectors.managed_clinics(user).filter(pk=obj.clinic_id).exists()
        return True

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # set "requires approval" off instead


@admin.register(BannedWord)
class BannedWordAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Platform-wide words no review or reply may contain. Platform admins only."""

    list_display = ["word", "created_at"]
    search_fields = ["word"]

    def _allowed(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_platform_admin

    has_module_permission = _allowed
    has_view_permission = _allowed
    has_add_permission = _allowed
    has_change_permission = _allowed
    has_delete_permission = _allowed
