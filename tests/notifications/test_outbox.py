"""The outbox: events written with the change, relayed at least once, never lost."""

import pytest
from django.db import transaction

from apps.bookings import services as booking_services
from apps.outbox.models import OutboxEvent
from apps.outbox.services import event_record, outbox_relay
from tests.portal.conftest import verify

pytestmark = pytest.mark.django_db


def test_every_booking_step_is_an_event_written_with_it(world, patient):
    booking = booking_services.booking_create(
        patient=verify(patient), slot_id=world.slots[0].pk, service_id=world.service.pk
    )
    booking_services.booking_cancel(booking=booking, actor=patient)

    kinds = list(OutboxEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["booking.requested", "booking.confirmed", "booking.cancelled"]
    assert OutboxEvent.objects.filter(payload__booking=booking.pk).count() == 3


def test_a_rolled_back_change_leaves_no_event(world, patient):
    verify(patient)

    @transaction.atomic
    def book_then_fail():
        booking_services.booking_create(
            patient=patient, slot_id=world.slots[0].pk, service_id=world.service.pk
        )
        raise RuntimeError("the request failed after booking")

    with pytest.raises(RuntimeError):
        book_then_fail()

    assert not OutboxEvent.objects.exists()


def test_the_same_dedupe_key_is_one_event():
    first = event_record(kind="x.happened", dedupe_key="x-1", payload={})
    again = event_record(kind="x.happened", dedupe_key="x-1", payload={"other": True})

    assert first is not None
    assert again is None
    assert OutboxEvent.objects.get().payload == {}


def test_a_crash_between_commit_and_dispatch_loses_nothing():
    # The change committed with its event; the process died before any relay ran.
    event_record(kind="x.happened", dedupe_key="x-2", payload={})
    sent = []

    assert outbox_relay(send=sent.append) == 1

    assert [e.dedupe_key for e in sent] == ["x-2"]
    assert OutboxEvent.objects.get().dispatched_at is not None


def test_a_crash_between_dispatch_and_mark_sends_again(monkeypatch):
    event_record(kind="x.happened", dedupe_key="x-3", payload={})
    sent = []

    def dispatch_then_die(event):
        sent.append(event.pk)
        raise SystemExit("worker killed after handing the event to the broker")

    with pytest.raises(SystemExit):
        outbox_relay(send=dispatch_then_die)
    assert OutboxEvent.objects.get().dispatched_at is None

    outbox_relay(send=lambda event: sent.append(event.pk))

    assert len(sent) == 2  # at least once: the handler's delivery rows make it once
    assert OutboxEvent.objects.get().dispatched_at is not None


def test_a_broker_outage_keeps_the_event_for_the_next_run():
    event_record(kind="x.happened", dedupe_key="x-4", payload={})

    def broker_down(event):
        raise ConnectionError("broker unreachable")

    assert outbox_relay(send=broker_down) == 0
    event = OutboxEvent.objects.get()
    assert (event.dispatched_at, event.dispatch_attempts) == (None, 1)
    assert "unreachable" in event.last_error
    assert outbox_relay(send=lambda e: None) == 1


def test_a_burst_of_commits_kicks_the_relay_once(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RELAY_ON_COMMIT = True
    kicked = []
    monkeypatch.setattr(
        "apps.outbox.services.current_app.send_task", lambda name, **kw: kicked.append(name)
    )

    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            event_record(kind="x.happened", dedupe_key=f"burst-{n}", payload={})

    assert kicked == ["apps.outbox.tasks.outbox_relay"]
