"""Record domain events (inside the caller's transaction) and relay them to Celery.

Delivery is at least once: the relay marks a row sent only after handing it to the
broker, so a crash between the two sends it again, and every handler is idempotent.
A crash before the relay runs loses nothing: the row waits in the table.
"""

import logging

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from apps.outbox.models import OutboxEvent

logger = logging.getLogger(__name__)

#: The Celery task every event is handed to (by name: the outbox imports no app above it).
HANDLER_TASK = "apps.notifications.tasks.event_handle"


def event_record(*, kind: str, dedupe_key: str, payload: dict) -> OutboxEvent | None:
    """Write an event in the current transaction; kick the relay once it commits.

    Recording the same ``dedupe_key`` twice keeps the first row (returns None).
    """
    event = OutboxEvent(
        kind=kind, dedupe_key=dedupe_key, payload=payload, created_at=timezone.now()
    )
    # One statement, no savepoint: every booking change records events, and a savepoint
    # around a plain INSERT would cost two more round trips each (bench/findings.md).
    meta = OutboxEvent._meta
    columns = ["kind", "dedupe_key", "payload", "created_at", "dispatch_attempts", "last_error"]
    values = [meta.get_field(c).get_db_prep_save(getattr(event, c), connection) for c in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - our names
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            values,
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return None  # recorded before: the first row stands
    event.pk = inserted[0]
    event._state.adding = False
    if settings.OUTBOX_RELAY_ON_COMMIT:
        transaction.on_commit(_kick_relay)
    return event


#: At most one kick per this many seconds: a burst of commits needs one relay run.
KICK_EVERY_SECONDS = 1


def _kick_relay() -> None:
    try:
        if not cache.add("clinix:outbox:kicked", 1, timeout=KICK_EVERY_SECONDS):
            return  # a relay was kicked a moment ago; it (or the periodic run) takes these
        current_app.send_task("apps.outbox.tasks.outbox_relay")
    except Exception:  # noqa: BLE001 - the periodic relay will send it; never fail a request
        logger.warning("Could not kick the outbox relay; the periodic run will.", exc_info=True)


def outbox_relay(*, batch: int = 100, send=None) -> int:
    """Hand unsent events to the handler task and mark them sent. Returns how many.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so relays running at once (beat and a
    kick, or ``manage.py outbox_relay``) never take the same row. ``send`` is for tests.
    """
    send = send or _send
    relayed = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(dispatched_at__isnull=True)
                .order_by("id")[:batch]
            )
            for event in rows:
                try:
                    send(event)
                except Exception as error:  # noqa: BLE001 - the broker is down: next run
                    OutboxEvent.objects.filter(pk=event.pk).update(
                        dispatch_attempts=F("dispatch_attempts") + 1, last_error=str(error)[:500]
                    )
                    logger.warning("Outbox event %s not sent: %s", event.pk, error)
                    return relayed
                OutboxEvent.objects.filter(pk=event.pk).update(
                    dispatched_at=timezone.now(), dispatch_attempts=F("dispatch_attempts") + 1
                )
                relayed += 1
        if len(rows) < batch:
            return relayed


def _send(event: OutboxEvent) -> None:
    current_app.send_task(HANDLER_TASK, args=[event.pk])
