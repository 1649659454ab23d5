from celery import shared_task

from apps.audit.context import system_job
from apps.timeslots import services


@shared_task(name="apps.timeslots.tasks.slots_extend_horizon")
def slots_extend_horizon() -> int:
    """Keep every doctor's slots generated up to the horizon. Idempotent, runs hourly."""
    with system_job("slots_extend_horizon"):
        return services.slots_extend_horizon()
