"""After a completed visit the patient is invited to review it, through the outbox and
the notifications app, unless the review is written or the window has closed."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from apps.bookings import services as booking_services
from apps.notifications import services as notification_services
from apps.notifications.models import Notification
from apps.outbox.models import OutboxEvent
from apps.reviews import services
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def completed(world, patient, clinic_manager):
    booking = booking_services.booking_create(
        patient=verify(patient), slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    with time_machine.travel(booking.ends_at + timedelta(minutes=5), tick=False):
        booking_services.booking_complete(booking=booking, actor=clinic_manager)
    booking.refresh_from_db()
    return booking


def handle(kind: str) -> None:
    for event in OutboxEvent.objects.filter(kind=kind):
        notification_services.event_handle(event.pk)


def test_a_completed_visit_invites_the_patient_to_review_it(completed, patient):
    with time_machine.travel(completed.ends_at + timedelta(hours=1), tick=False):
        handle("booking.completed")

    note = Notification.objects.get(recipient=patient, kind="booking.completed")
    assert note.title == f"How was your visit with {completed.doctor.display_name}?"
    assert note.url == reverse("portal:review-write", args=[completed.reference])
    email = next(m for m in mail.outbox if m.to == [patient.email])
    assert "How was your visit" in email.subject
    assert reverse("portal:review-write", args=[completed.reference]) in email.body


def test_no_invitation_once_the_review_is_written(completed, patient):
    with time_machine.travel(completed.ends_at + timedelta(hours=1), tick=False):
        services.review_create(patient=patient, booking=completed, rating=5)
        handle("booking.completed")

    assert not Notification.objects.filter(kind="booking.completed").exists()


def test_no_invitation_after_the_window_has_closed(completed, settings):
    settings.REVIEW_WINDOW_DAYS = 3
    with time_machine.travel(completed.ends_at + timedelta(days=3, minutes=1), tick=False):
        handle("booking.completed")

    assert not Notification.objects.filter(kind="booking.completed").exists()
