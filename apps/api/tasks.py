from celery import shared_task

from apps.api.idempotency import idempotency_purge as purge
from apps.audit.context import system_job


@shared_task(name="apps.api.tasks.idempotency_purge")
def idempotency_purge() -> int:
    """Forget idempotency answers older than a day. Idempotent; runs daily."""
    with system_job("idempotency_purge"):
        return purge()
