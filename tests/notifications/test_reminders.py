"""Reminders: each sent once, at the right offset, never for cancelled bookings; a moved
booking gets reminders for its new time."""

from datetime import timedelta

import time_machine
from django.core import mail

from apps.bookings import services as booking_services
from apps.bookings.models import BookingEvent, EventKind
from apps.notifications import services
from apps.notifications.models import Reminder
from apps.outbox.models import OutboxEvent
from tests.portal.conftest import verify


def book(world, patient, slot=0):
    return booking_services.booking_create(
        patient=verify(patient), slot_id=world.slots[slot].pk, service_id=world.service.pk
    )


def reminded(booking) -> list[int]:
    return [
        e.data["offset_minutes"]
        for e in BookingEvent.objects.filter(booking=booking, kind=EventKind.REMINDED)
    ]


def test_the_24_hour_reminder_then_the_2_hour_one(world, patient):
    booking = book(world, patient)

    with time_machine.travel(booking.starts_at - timedelta(hours=25)):
        assert services.reminders_plan() == 0
    with time_machine.travel(booking.starts_at - timedelta(hours=23)):
        assert services.reminders_plan() == 1
        assert services.reminders_plan() == 0  # a second scan finds it done
    with time_machine.travel(booking.starts_at - timedelta(minutes=90)):
        assert services.reminders_plan() == 1

    assert reminded(booking) == [1440, 120]
    assert OutboxEvent.objects.filter(kind="booking.reminded").count() == 2


def test_a_late_first_scan_sends_only_the_nearest_reminder(world, patient):
    booking = book(world, patient)

    with time_machine.travel(booking.starts_at - timedelta(minutes=60)):
        services.reminders_plan()
        services.reminders_plan()

    assert reminded(booking) == [120]
    assert Reminder.objects.get(booking=booking, offset_minutes=1440).sent is False


def test_cancelled_bookings_get_no_reminder(world, patient):
    booking = book(world, patient)
    booking_services.booking_cancel(booking=booking, actor=patient)

    with time_machine.travel(booking.starts_at - timedelta(hours=1)):
        assert services.reminders_plan() == 0


def test_a_moved_booking_is_reminded_for_its_new_time(world, patient):
    booking = book(world, patient)
    with time_machine.travel(booking.starts_at - timedelta(hours=23)):
        services.reminders_plan()
    moved = booking_services.booking_reschedule(
        booking=booking, new_slot_id=world.slots[4].pk, actor=patient
    )

    with time_machine.travel(moved.starts_at - timedelta(hours=23)):
        assert services.reminders_plan() == 1

    assert reminded(booking) == [1440, 1440]
    assert Reminder.objects.filter(booking=booking, starts_at=moved.starts_at).count() == 1


def test_no_reminder_right_after_booking(world, patient):
    with time_machine.travel(world.slots[0].starts_at - timedelta(hours=1)):
        booking = book(world, patient)
        assert services.reminders_plan() == 0
    with time_machine.travel(world.slots[0].starts_at - timedelta(minutes=25)):
        assert services.reminders_plan() == 1
    assert reminded(booking) == [120]


def test_a_reminder_arrives_as_an_email_in_the_clinics_local_time(world, patient):
    booking = book(world, patient)
    with time_machine.travel(booking.starts_at - timedelta(hours=2, minutes=-1)):
        services.reminders_plan()
    event = OutboxEvent.objects.get(kind="booking.reminded")

    services.event_handle(event.pk)

    email = next(m for m in mail.outbox if m.to == [patient.email])
    local = booking.starts_at.astimezone(world.clinic.tz).strftime("%H:%M")
    assert email.subject.startswith("Reminder:")
    assert local in email.subject
