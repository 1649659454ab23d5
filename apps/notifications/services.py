"""Deliver each event's messages exactly once per (event, channel, recipient), and plan
reminders.

A delivery is claimed (a unique row) before anything is sent and marked after. A second
handler of the same event finds the row and sends nothing; a failed send is retried by
claiming the failed row again (compare-and-set); a claim that was never marked (the worker
died mid-send) is reported as "unknown" by ``deliveries_flag_stale`` and is not resent
blindly: an admin looks and resends if the message really did not go out.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.accounts.services import is_placeholder_email
from apps.audit.services import audit_record
from apps.bookings import services as booking_services
from apps.bookings.models import Booking, BookingStatus, EventKind
from apps.notifications.messages import Message, messages_for
from apps.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    NotificationPreference,
    Reminder,
)
from apps.notifications.sms import SmsError, sms_backend
from apps.outbox.models import OutboxEvent

logger = logging.getLogger(__name__)

#: A claim older than this without a result was interrupted.
STALE_CLAIM = timedelta(minutes=15)


class TransientDeliveryError(Exception):
    """A channel failed in a way worth retrying (the task retries with backoff)."""


def event_handle(event_id: int) -> int:
    """Deliver one outbox event's messages. Idempotent. Returns how many were sent now."""
    event = OutboxEvent.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    sent = 0
    transient = []
    for message in messages_for(event):
        for channel in channels_for(message.recipient):
            try:
                sent += deliver_once(event, channel, message)
            except TransientDeliveryError as error:
                transient.append(error)
    if transient:
        raise transient[0]
    return sent


def channels_for(user) -> list[str]:
    preference = NotificationPreference.objects.filter(user=user).first()
    channels = [Channel.IN_APP]
    if (preference is None or preference.email) and not is_placeholder_email(user.email):
        channels.append(Channel.EMAIL)
    if preference is not None and preference.sms and _phone(user):
        channels.append(Channel.SMS)
    return channels


def deliver_once(event: OutboxEvent, channel: str, message: Message) -> int:
    """Claim, send, mark. Returns 1 if sent now, 0 if already done or not ours to send."""
    if channel == Channel.IN_APP:
        return _in_app(event, message)
    address = message.recipient.email if channel == Channel.EMAIL else _phone(message.recipient)
    delivery = _claim(event, channel, message, address)
    if delivery is None:
        return 0
    try:
        if channel == Channel.EMAIL:
            _send_email(message)
        else:
            sms_backend().send(to=address, body=f"{message.title}. {message.lines[0]}")
    except SmsError as error:
        _mark(delivery, DeliveryStatus.FAILED, str(error))
        if error.transient:
            raise TransientDeliveryError(str(error)) from error
        return 0
    except Exception as error:  # noqa: BLE001 - e-mail backends raise anything (SMTP, OSError)
        _mark(delivery, DeliveryStatus.FAILED, str(error))
        raise TransientDeliveryError(str(error)) from error
    _mark(delivery, DeliveryStatus.SENT)
    return 1


def _in_app(event: OutboxEvent, message: Message) -> int:
    """The notification row and its delivery row commit together: exactly once."""
    try:
        with transaction.atomic():
            Delivery.objects.create(
                event=event,
                channel=Channel.IN_APP,
                recipient=message.recipient,
                status=DeliveryStatus.SENT,
                claimed_at=timezone.now(),
                sent_at=timezone.now(),
            )
            Notification.objects.create(
                recipient=message.recipient,
                kind=event.kind,
                title=message.title[:200],
                body=message.body,
                url=message.url,
            )
    except IntegrityError:
        return 0
    return 1


def _claim(event, channel: str, message: Message, address: str) -> Delivery | None:
    now = timezone.now()
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                event=event,
                channel=channel,
                recipient=message.recipient,
                address=address,
                status=DeliveryStatus.CLAIMED,
                claimed_at=now,
            )
    except IntegrityError:
        pass
    # Only a failed delivery is tried again, and only by one claimer (compare-and-set).
    claimed = Delivery.objects.filter(
        event=event, channel=channel, recipient=message.recipient, status=DeliveryStatus.FAILED
    ).update(status=DeliveryStatus.CLAIMED, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return None
    return Delivery.objects.get(event=event, channel=channel, recipient=message.recipient)


def _mark(delivery: Delivery, status: str, error: str = "") -> None:
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.CLAIMED).update(
        status=status,
        error=error[:500],
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
    )


def _send_email(message: Message) -> None:
    with translation.override(message.language or settings.LANGUAGE_CODE):
        context = {"message": message, "site_url": settings.SITE_URL}
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    email = EmailMultiAlternatives(subject=message.title, body=text, to=[message.recipient.email])
    email.attach_alternative(html, "text/html")
    email.send()


def _phone(user) -> str:
    profile = getattr(user, "patient_profile", None)
    return (profile.phone or "").strip() if profile is not None else ""


def deliveries_flag_stale(*, now=None) -> int:
    """Claims never marked (a crash between send and mark): flag them for a person to look
    at instead of sending again. Returns how many."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        status=DeliveryStatus.CLAIMED, claimed_at__lt=now - STALE_CLAIM
    ).update(status=DeliveryStatus.UNKNOWN, error="Interrupted while sending: check, then resend.")


def delivery_resend(*, delivery: Delivery, actor=None) -> int:
    """An admin resends a failed or unknown delivery (on the record, with who asked)."""
    with transaction.atomic():
        reopened = Delivery.objects.filter(
            pk=delivery.pk, status__in=[DeliveryStatus.UNKNOWN, DeliveryStatus.FAILED]
        ).update(status=DeliveryStatus.FAILED)
        if reopened:
            audit_record(
                actor=actor,
                action="delivery.resend",
                target=delivery,
                changes={"status": [delivery.status, DeliveryStatus.FAILED]},
            )
    return event_handle(delivery.event_id)


# --- Reminders ----------------------------------------------------------------------------------


#: No reminder within this long after booking: the confirmation just arrived.
REMINDER_QUIET_AFTER_BOOKING = timedelta(minutes=30)


def reminders_plan(*, now=None) -> int:
    """Record the reminders that are due (a timeline step and an outbox event each).

    For each confirmed booking ahead, the nearest due offset is sent and farther ones not
    yet done are marked skipped (no 24-hour reminder 2 hours before). The unique row per
    (booking, offset, start) makes a second scan, at the same time or later, send nothing;
    a moved booking has a new start and gets its own reminders; cancelled ones get none.
    Returns how many reminders were recorded.
    """
    now = now or timezone.now()
    offsets = sorted(settings.REMINDER_OFFSETS_MINUTES)
    if not offsets:
        return 0
    upcoming = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        starts_at__gt=now,
        starts_at__lte=now + timedelta(minutes=offsets[-1]),
        created_at__lte=now - REMINDER_QUIET_AFTER_BOOKING,
    ).prefetch_related("reminders")
    planned = 0
    for booking in upcoming:
        done = {
            r.offset_minutes for r in booking.reminders.all() if r.starts_at == booking.starts_at
        }
        due = [
            o for o in offsets if o not in done and booking.starts_at - timedelta(minutes=o) <= now
        ]
        if due:
            planned += _remind(booking, due)
    return planned


def _remind(booking: Booking, due: list[int]) -> int:
    nearest = min(due)
    try:
        with transaction.atomic():
            for offset in due:
                Reminder.objects.create(
                    booking=booking,
                    offset_minutes=offset,
                    starts_at=booking.starts_at,
                    sent=offset == nearest,
                )
            booking_services.booking_record_event(
                booking=booking, kind=EventKind.REMINDED, offset_minutes=nearest
            )
            audit_record(
                actor=None,
                action="booking.reminded",
                target=booking,
                changes={"offset_minutes": [None, nearest]},
            )
    except IntegrityError:
        return 0  # another scan planned it a moment ago
    return 1
