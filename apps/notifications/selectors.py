"""Reads for the bell, the notifications page and the preferences page. Each is scoped to
the person asking: another person's notification is simply not found."""

from django.db.models import QuerySet

from apps.accounts import selectors as account_selectors
from apps.accounts.models import User
from apps.notifications.models import Notification, NotificationPreference


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    """The person's notifications, newest first."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")


def notification_get_for_user(*, user: User, notification_id: int) -> Notification | None:
    return notification_list_for_user(user=user).filter(pk=notification_id).first()


def unread_count_for_user(*, user: User) -> int:
    """One COUNT on the (recipient, read_at) index; no query for a visitor."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_preference_get(*, user: User) -> NotificationPreference:
    """The saved preference, or the defaults the delivery uses without one (e-mail on, text
    messages off), unsaved."""
    return NotificationPreference.objects.filter(user_id=user.pk).first() or (
        NotificationPreference(user=user)
    )


def sms_number_for_user(*, user: User) -> str:
    """The phone number text messages go to (the patient profile's), or ""."""
    profile = account_selectors.patient_profile_get(user=user)
    return (profile.phone or "").strip() if profile is not None else ""
