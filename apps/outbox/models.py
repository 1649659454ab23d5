"""The transactional outbox: domain events written in the transaction of the change."""

from django.db import models
from django.db.models import Q


class OutboxEvent(models.Model):
    """One domain event ("booking.confirmed", "refund.succeeded", ...).

    Written by services in the same transaction as the change it describes; the relay
    publishes committed rows to Celery and marks them sent. ``dedupe_key`` is unique: an
    event recorded twice (a retried job) is one row.
    """

    kind = models.CharField(max_length=64, db_index=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(dispatched_at__isnull=True), name="outbox_unsent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"
