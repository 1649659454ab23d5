from celery import shared_task

from apps.audit.context import system_job
from apps.outbox import services


@shared_task(name="apps.outbox.tasks.outbox_relay")
def outbox_relay() -> int:
    """Publish committed events (every few seconds from beat, and kicked after commits)."""
    with system_job("outbox_relay"):
        return services.outbox_relay()
