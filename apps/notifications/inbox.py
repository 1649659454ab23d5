"""Writes a person makes in their own notifications: marking them read.

Both are compare-and-set updates on unread rows, so two tabs marking the same message
read at once keep the first time and never fail.
"""

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Notification


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read (already read: unchanged) and return it.

    Raises ``Notification.DoesNotExist`` for an id that is not theirs.
    """
    own = Notification.objects.filter(pk=notification_id, recipient_id=user.pk)
    own.filter(read_at__isnull=True).update(read_at=timezone.now())
    return own.get()


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of ``user`` read. Returns how many changed."""
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )
