"""Celery tasks: thin wrappers over services. Each is idempotent."""

from celery import shared_task

from apps.audit.context import system_job
from apps.notifications import services


@shared_task(
    name="apps.notifications.tasks.event_handle",
    autoretry_for=(services.TransientDeliveryError,),
    retry_backoff=10,
    retry_backoff_max=900,
    retry_jitter=True,
    max_retries=8,
)
def event_handle(event_id: int) -> int:
    with system_job("event_handle"):
        return services.event_handle(event_id)


@shared_task(name="apps.notifications.tasks.reminders_plan")
def reminders_plan() -> int:
    """Every minute: record the reminders that are due (sent through the outbox)."""
    with system_job("reminders_plan"):
        return services.reminders_plan()


@shared_task(name="apps.notifications.tasks.deliveries_flag_stale")
def deliveries_flag_stale() -> int:
    """Every 5 minutes: surface deliveries interrupted mid-send (never resent blindly)."""
    with system_job("deliveries_flag_stale"):
        return services.deliveries_flag_stale()
