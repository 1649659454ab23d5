"""Celery tasks of the bookings app: thin, idempotent wrappers over the waitlist services."""

from celery import shared_task

from apps.audit.context import system_job
from apps.bookings import waitlist


@shared_task(name="apps.bookings.tasks.waitlist_offer_slots")
def waitlist_offer_slots(slot_ids: list[int]) -> int:
    """Offer freed slots to the waitlist (enqueued after the commit that freed them)."""
    with system_job("waitlist_offer_slots"):
        return waitlist.waitlist_offer_for_slots(slot_ids=slot_ids)


@shared_task(name="apps.bookings.tasks.waitlist_sweep")
def waitlist_sweep() -> int:
    """Match waiting entries with free times, end past entries (every 5 minutes)."""
    with system_job("waitlist_sweep"):
        return waitlist.waitlist_offer_sweep()
