"""Celery tasks: thin wrappers over services, retried with backoff on transient errors.
Each is idempotent (the gateway call carries the same key every time)."""

from celery import shared_task

from apps.audit.context import system_job
from apps.bookings import services as booking_services
from apps.payments import services
from apps.payments.gateways import GatewayError

_RETRY = {
    "autoretry_for": (GatewayError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="apps.payments.tasks.refund_execute", **_RETRY)
def refund_execute(refund_id: int) -> str:
    with system_job("refund_execute"):
        return services.refund_execute(refund_id).status


@shared_task(name="apps.payments.tasks.payment_capture", **_RETRY)
def payment_capture(payment_id: int, amount_minor: int | None = None) -> str:
    with system_job("payment_capture"):
        return services.payment_capture(payment_id, amount_minor).status


@shared_task(name="apps.payments.tasks.payment_cancel", **_RETRY)
def payment_cancel(payment_id: int) -> str:
    with system_job("payment_cancel"):
        return services.payment_cancel(payment_id).status


@shared_task(name="apps.payments.tasks.refunds_resend_stale")
def refunds_resend_stale() -> int:
    """Send again refunds whose task or answer was lost (every 10 minutes). Idempotent."""
    with system_job("refunds_resend_stale"):
        return services.refunds_resend_stale()


@shared_task(name="apps.payments.tasks.holds_expire")
def holds_expire() -> int:
    """Expire holds whose time to pay ran out (every minute, from beat). Idempotent."""
    with system_job("holds_expire"):
        return booking_services.booking_expire_holds()
