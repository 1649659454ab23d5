"""Writing audit entries. Call inside the transaction of the change being recorded."""

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import models

from apps.audit import context
from apps.audit.models import AuditEntry


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    changes: dict | None = None,
) -> AuditEntry:
    """Append one entry. ``actor`` is a user, or None for the system (job name from context)."""
    acting = context.current()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_label = actor.email
    else:
        # No user: a job (named by its context), someone not signed in on the web, or
        # the system itself.
        web = acting.ip is not None or bool(acting.user_agent)
        actor, actor_label = None, acting.system_label or ("anonymous" if web else "system")
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor_label,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        changes=changes or {},
        ip=acting.ip,
        user_agent=acting.user_agent,
        request_id=acting.request_id,
    )


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    """The JSON-safe values of ``fields`` on ``obj`` (foreign keys by id)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = _json_safe(getattr(obj, field.attname))
    return values


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def _json_safe(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
