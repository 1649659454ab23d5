"""Notifications: in-app messages, the delivery log (once per event, channel, recipient),
channel preferences and the reminders already planned."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.bookings.models import Booking
from apps.outbox.models import OutboxEvent


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In Clinix")


class NotificationPreference(models.Model):
    """Which channels a person wants (in-app messages always arrive)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email = models.BooleanField(_("E-mail"), default=True)
    sms = models.BooleanField(_("Text message"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


class Notification(models.Model):
    """A message shown in Clinix (the bell)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DeliveryStatus(models.TextChoices):
    CLAIMED = "claimed", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown: interrupted while sending")


class Delivery(models.Model):
    """One message on one channel to one person for one event: claimed before sending,
    marked after. A claim left unmarked (a crash mid-send) is surfaced as unknown, never
    sent again on its own: an admin decides."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    address = models.CharField(max_length=254, blank=True)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.CharField(max_length=500, blank=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-claimed_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel", "recipient"], name="delivery_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="delivery_status_idx")]

    def __str__(self) -> str:
        return f"{self.event.kind} by {self.channel} to {self.recipient}: {self.status}"


class Reminder(models.Model):
    """A reminder planned for one booking, one offset and one start time: a moved booking
    (new start) gets its own, a scan running twice finds the row and sends nothing."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="reminders")
    offset_minutes = models.PositiveIntegerField()
    starts_at = models.DateTimeField()
    sent = models.BooleanField(default=True, help_text="False: skipped (a nearer one was due).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "offset_minutes", "starts_at"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.booking.reference} {self.offset_minutes} min before"
