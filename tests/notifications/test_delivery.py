"""Every message arrives once per (event, channel, recipient), in the person's language."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import PatientProfile
from apps.bookings import services as booking_services
from apps.bookings import waitlist
from apps.notifications import services
from apps.notifications.models import Delivery, DeliveryStatus, Notification
from apps.outbox.models import OutboxEvent
from apps.outbox.services import outbox_relay
from tests.portal.conftest import verify


def book(world, patient):
    return booking_services.booking_create(
        patient=verify(patient), slot_id=world.slots[0].pk, service_id=world.service.pk
    )


def handle_all() -> int:
    """What the relay and the workers do, in this process."""
    sent = 0
    outbox_relay(send=lambda event: None)
    for event in OutboxEvent.objects.order_by("id"):
        sent += services.event_handle(event.pk)
    return sent


def test_a_confirmed_booking_sends_one_email_and_one_in_app_message_to_the_patient(world, patient):
    booking = book(world, patient)

    handle_all()

    to_patient = [m for m in mail.outbox if m.to == [patient.email]]
    assert len(to_patient) == 1
    assert "is confirmed" in to_patient[0].subject
    assert booking.reference in to_patient[0].body
    assert world.clinic.name in to_patient[0].body
    html = to_patient[0].alternatives[0][0]
    assert booking.reference in html
    assert Notification.objects.filter(recipient=patient, kind="booking.confirmed").count() == 1


def test_handling_the_same_event_again_sends_nothing_more(world, patient):
    book(world, patient)
    handle_all()
    emails, notes = len(mail.outbox), Notification.objects.count()

    assert handle_all() == 0

    assert len(mail.outbox) == emails
    assert Notification.objects.count() == notes


def test_the_clinics_front_desk_and_the_doctor_hear_of_a_new_booking(
    world, patient, receptionist, clinic_manager, nurse
):
    book(world, patient)

    handle_all()

    told = set(
        Notification.objects.filter(kind="booking.confirmed").values_list("recipient", flat=True)
    )
    assert told == {patient.pk, receptionist.pk, clinic_manager.pk, world.doctor.user_id}
    assert nurse.pk not in told
    staff_note = Notification.objects.get(recipient=receptionist)
    assert staff_note.title.startswith("New booking:")


def test_a_patient_writing_german_gets_german_messages(world, patient):
    PatientProfile.objects.update_or_create(user=patient, defaults={"preferred_language": "de"})
    book(world, patient)

    handle_all()

    email = next(m for m in mail.outbox if m.to == [patient.email])
    assert "bestätigt" in email.subject


def test_a_failed_email_is_retried_and_then_sent_once(world, patient, settings, monkeypatch):
    book(world, patient)
    outbox_relay(send=lambda event: None)
    event = OutboxEvent.objects.get(kind="booking.confirmed")

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
    with pytest.raises(services.TransientDeliveryError):
        services.event_handle(event.pk)
    failed = Delivery.objects.get(channel="email", recipient=patient)
    assert failed.status == DeliveryStatus.FAILED
    assert "SMTP down" in failed.error
    monkeypatch.undo()

    services.event_handle(event.pk)
    services.event_handle(event.pk)

    sent = Delivery.objects.get(channel="email", recipient=patient)
    assert (sent.status, sent.attempts) == (DeliveryStatus.SENT, 2)
    assert len([m for m in mail.outbox if m.to == [patient.email]]) == 1


def test_a_send_interrupted_mid_way_is_surfaced_not_resent(world, patient):
    book(world, patient)
    outbox_relay(send=lambda event: None)
    event = OutboxEvent.objects.get(kind="booking.confirmed")
    # A worker claimed the e-mail and died before marking it.
    Delivery.objects.create(
        event=event,
        channel="email",
        recipient=patient,
        status=DeliveryStatus.CLAIMED,
        claimed_at=timezone.now() - timedelta(minutes=20),
    )

    services.event_handle(event.pk)
    flagged = services.deliveries_flag_stale()

    assert flagged == 1
    assert Delivery.objects.get(channel="email", recipient=patient).status == (
        DeliveryStatus.UNKNOWN
    )
    assert not [m for m in mail.outbox if m.to == [patient.email]]


def test_a_waitlist_offer_reaches_the_patient_with_its_link(world, patient, other_patient):
    taken = book(world, other_patient)
    day = taken.starts_at.astimezone(world.clinic.tz).date()
    entry = waitlist.waitlist_join(
        patient=verify(patient),
        service_id=world.service.pk,
        doctor_id=world.doctor.pk,
        date_from=day,
        date_to=day,
    )
    booking_services.booking_cancel(booking=taken, actor=other_patient)
    waitlist.waitlist_offer_for_slot(slot_id=world.slots[0].pk)
    OutboxEvent.objects.exclude(kind="waitlist.offer_made").delete()

    handle_all()

    note = Notification.objects.get(recipient=patient, kind="waitlist.offer_made")
    assert note.title.startswith("A time is free for you")
    assert note.url == f"/waitlist/offers/{entry.offers.get().pk}/"
    assert any(m.to == [patient.email] for m in mail.outbox)
