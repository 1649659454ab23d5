"""The whole path on a real Celery worker (Redis): outbox relay → event handler →
deliveries, and reminder scans racing each other."""

from datetime import timedelta

import pytest
import time_machine
from celery import current_app
from django.utils import timezone

from apps.bookings import services as booking_services
from apps.bookings import waitlist
from apps.bookings.models import Booking, BookingEvent, EventKind, OfferStatus, WaitlistOffer
from apps.bookings.tasks import waitlist_offer_slots
from apps.notifications import services
from apps.notifications.models import Delivery, DeliveryStatus, Notification
from apps.outbox.models import OutboxEvent
from apps.outbox.services import HANDLER_TASK
from apps.payments.tasks import holds_expire
from tests.accounts.factories import PatientFactory
from tests.concurrency import race, summary
from tests.portal.conftest import verify
from tests.processes import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_confirmed_booking_reaches_the_patient_once_through_a_real_worker(
    celery_worker_process, world, patient
):
    worker = celery_worker_process
    booking = booking_services.booking_create(
        patient=verify(patient), slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    current_app.send_task("apps.outbox.tasks.outbox_relay", queue=worker.queue)
    wait_for(
        lambda: Delivery.objects.filter(recipient=patient, status=DeliveryStatus.SENT).count() == 2,
        timeout=30,
        what="the e-mail and the in-app message",
        process=worker.process,
    )
    confirmed = OutboxEvent.objects.get(kind="booking.confirmed", payload__booking=booking.pk)
    # A duplicated event (the relay died after dispatching, before marking) sends nothing.
    current_app.send_task(HANDLER_TASK, args=[confirmed.pk], queue=worker.queue)
    current_app.send_task(HANDLER_TASK, args=[confirmed.pk], queue=worker.queue)
    wait_for(
        lambda: worker.succeeded(HANDLER_TASK) >= 4,
        timeout=30,
        what="the duplicates handled",
        process=worker.process,
    )

    assert Notification.objects.filter(recipient=patient, kind="booking.confirmed").count() == 1
    emails = Delivery.objects.filter(recipient=patient, channel="email")
    assert [(d.event.kind, d.status) for d in emails] == [("booking.confirmed", "sent")]
    assert worker.process.output().count("Subject: Your appointment on") == 1
    assert not OutboxEvent.objects.filter(dispatched_at__isnull=True).exists()


def test_two_reminder_scans_at_once_remind_once(world, patient):
    booking = booking_services.booking_create(
        patient=verify(patient), slot_id=world.slots[0].pk, service_id=world.service.pk
    )

    with time_machine.travel(booking.starts_at - timedelta(hours=23)):
        outcomes = race([services.reminders_plan] * 4)

    assert sorted(o.value for o in outcomes) == [0, 0, 0, 1], summary(outcomes)
    assert BookingEvent.objects.filter(booking=booking, kind=EventKind.REMINDED).count() == 1
    assert OutboxEvent.objects.filter(kind="booking.reminded").count() == 1


def test_a_lapsed_waitlist_offer_cascades_to_the_next_patient_on_a_real_worker(
    celery_worker_process, world, patient, other_patient
):
    worker = celery_worker_process
    taken = booking_services.booking_create(
        patient=verify(PatientFactory()), slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    day = taken.starts_at.astimezone(world.clinic.tz).date()
    first, second = (
        waitlist.waitlist_join(
            patient=verify(person),
            service_id=world.service.pk,
            doctor_id=world.doctor.pk,
            date_from=day,
            date_to=day,
        )
        for person in (patient, other_patient)
    )
    booking_services.booking_cancel(booking=taken, actor=taken.patient)
    waitlist_offer_slots.apply_async([[world.slots[0].pk]], queue=worker.queue)
    wait_for(
        lambda: WaitlistOffer.objects.filter(entry=first, status=OfferStatus.OPEN).exists(),
        timeout=30,
        what="the offer to the first in line",
        process=worker.process,
    )

    # Nobody answers: the hold runs out and the worker's expiry job ends it.
    offer = WaitlistOffer.objects.get(entry=first)
    Booking.objects.filter(pk=offer.booking_id).update(
        hold_expires_at=timezone.now() - timedelta(seconds=1)
    )
    holds_expire.apply_async(queue=worker.queue)
    wait_for(
        lambda: WaitlistOffer.objects.filter(entry=second, status=OfferStatus.OPEN).exists(),
        timeout=30,
        what="the offer cascading to the next patient",
        process=worker.process,
    )
    current_app.send_task("apps.outbox.tasks.outbox_relay", queue=worker.queue)
    wait_for(
        lambda: Notification.objects.filter(
            recipient=other_patient, kind="waitlist.offer_made"
        ).exists(),
        timeout=30,
        what="the next patient told",
        process=worker.process,
    )

    offer.refresh_from_db()
    assert offer.status == OfferStatus.LAPSED
    assert Notification.objects.filter(recipient=patient, kind="waitlist.offer_expired").exists()
    assert WaitlistOffer.objects.filter(status=OfferStatus.OPEN).count() == 1
