"""Saving the channels a person wants. Kept apart from ``services`` (delivery)."""

from django.db import transaction

from apps.accounts.models import User
from apps.audit.services import audit_record, diff
from apps.notifications import selectors
from apps.notifications.exceptions import SmsNeedsPhone
from apps.notifications.models import NotificationPreference


@transaction.atomic
def notification_preference_update(
    *, user: User, email: bool, sms: bool, actor: User | None = None
) -> NotificationPreference:
    """Save which channels ``user`` wants besides in-app messages; audit what changed.

    Raises ``SmsNeedsPhone`` when text messages are asked for without a phone number in the
    patient profile (the delivery would skip them silently otherwise).
    """
    if sms and not selectors.sms_number_for_user(user=user):
        raise SmsNeedsPhone
    preference, created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user, defaults={"email": email, "sms": sms}
    )
    before = {} if created else {"email": preference.email, "sms": preference.sms}
    changes = diff(before, {"email": email, "sms": sms})
    if changes and not created:
        preference.email, preference.sms = email, sms
        preference.save(update_fields=["email", "sms", "updated_at"])
    if changes:
        audit_record(
            actor=actor or user, action="notifications.preferences", target=user, changes=changes
        )
    return preference
