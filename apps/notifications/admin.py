"""The delivery log, in-app notifications, preferences and reminders in the back office.

Platform admins only: no clinic role's group holds these permissions (apps.accounts.roles),
so the section does not even show for clinic staff. Everything is read-only except the
"Resend" action (through ``services.delivery_resend``) and a person's channel choice
(through ``preferences.notification_preference_update``).
"""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.core.admin import ReadOnlyAdmin
from apps.notifications import preferences, selectors, services
from apps.notifications.exceptions import SmsNeedsPhone
from apps.notifications.models import (
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    Reminder,
)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = [
        "event__kind",
        "channel",
        "recipient",
        "address",
        "status",
        "attempts",
        "error",
        "claimed_at",
        "sent_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["recipient__email", "address"]
    list_select_related = ["event", "recipient"]
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = ["resend"]

    def has_resend_permission(self, request) -> bool:
        # Sending again reaches a patient: only those who may change deliveries (superusers).
        return request.user.has_perm("notifications.change_delivery")

    @admin.action(description=_("Resend failed or interrupted messages"), permissions=["resend"])
    def resend(self, request, queryset):
        resendable = queryset.filter(status__in=[DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN])
        skipped = queryset.count() - resendable.count()
        sent = failed = 0
        for delivery in resendable.select_related("event"):
            try:
                sent += services.delivery_resend(delivery=delivery, actor=request.user)
            except services.TransientDeliveryError as error:
                failed += 1
                self.message_user(
                    request,
                    _("Resending %(d)s failed: %(e)s") % {"d": delivery, "e": error},
                    messages.ERROR,
                )
        if sent:
            self.message_user(
                request,
                ngettext("%(n)d message sent again.", "%(n)d messages sent again.", sent)
                % {"n": sent},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d delivery skipped: only failed or interrupted ones are resent.",
                    "%(n)d deliveries skipped: only failed or interrupted ones are resent.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
        if not (sent or failed or skipped):
            self.message_user(request, _("Nothing was sent."), messages.WARNING)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient__email", "title"]
    list_select_related = ["recipient"]
    readonly_fields = [f.name for f in Notification._meta.fields]


class NotificationPreferenceAdminForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["email", "sms"]

    def clean_sms(self) -> bool:
        sms = self.cleaned_data["sms"]
        if sms and not selectors.sms_number_for_user(user=self.instance.user):
            raise forms.ValidationError(SmsNeedsPhone.message, code=SmsNeedsPhone.code)
        return sms


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    """A person's channels, changed on their behalf (say, by phone). Saved through the
    preferences service: the audit log records who changed what."""

    list_display = ["user", "email", "sms", "updated_at"]
    list_filter = ["email", "sms"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ["user", "email", "sms", "updated_at"]
    readonly_fields = ["user", "updated_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    form = NotificationPreferenceAdminForm

    def save_model(self, request, obj, form, change):
        saved = preferences.notification_preference_update(
            user=obj.user, email=obj.email, sms=obj.sms, actor=request.user
        )
        obj.updated_at = saved.updated_at


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["booking", "offset_minutes", "starts_at", "sent", "created_at"]
    list_filter = ["sent"]
    search_fields = ["booking__reference"]
    list_select_related = ["booking"]
    readonly_fields = [f.name for f in Reminder._meta.fields]
