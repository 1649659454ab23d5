"""``Idempotency-Key`` for POSTs that change bookings (and, later, payments).

The same key with the same request replays the first answer (with ``Idempotent-Replayed:
true``); the same key with another request answers 422. Keys belong to a user. The record
is written in one durable transaction with the change itself: if the change rolls back
or the process dies, no record remains and the client may simply retry. A concurrent
duplicate waits on the unique index until the first commits, then replays its answer.
Retryable failures (busy, 5xx) are not recorded.
"""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.models import IdempotencyRecord
from apps.api.problems import domain_problem, problem_response
from apps.core.errors import DomainError

HEADER = "Idempotency-Key"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
#: How long answers are kept for replay.
KEEP_FOR = timedelta(hours=24)


def idempotent(request: Request, produce: Callable[[], Response]) -> Response:
    """Run ``produce`` (which calls one service) at most once per user and key."""
    key = request.headers.get(HEADER)
    if key is None:
        return _respond(request, produce)
    if not _VALID_KEY.match(key):
        return problem_response(
            request,
            code="idempotency-key-invalid",
            status_code=400,
            detail="Idempotency-Key must be 1 to 255 visible ASCII characters.",
        )
    fingerprint = _fingerprint(request)
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:255],
                    fingerprint=fingerprint,
                    status_code=0,
                    response_body={},
                )
        except IntegrityError:
            record = None
        if record is None:
            # Someone (maybe ourselves, a moment ago) used this key: replay or refuse.
            previous = IdempotencyRecord.objects.get(user=request.user, key=key)
            return _replay(request, previous, fingerprint)
        response = _respond(request, produce)
        if response.status_code >= 500 or response.status_code == 429:
            transaction.set_rollback(True)  # retryable: forget the key with the attempt
            return response
        record.status_code = response.status_code
        record.response_body = response.data
        record.save(update_fields=["status_code", "response_body"])
    return response


def idempotency_purge(*, now=None) -> int:
    """Forget answers older than KEEP_FOR. Returns how many."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _respond(request: Request, produce: Callable[[], Response]) -> Response:
    try:
        return produce()
    except DomainError as error:
        # Answered (and recorded) here rather than by the exception handler, so a replay
        # gives the same "slot taken" as the first time.
        return domain_problem(request, error)


def _replay(request: Request, record: IdempotencyRecord, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        return problem_response(
            request,
            code="idempotency-key-reused",
            status_code=422,
            detail="This Idempotency-Key was already used for a different request.",
        )
    content_type = "application/problem+json" if record.status_code >= 400 else "application/json"
    response = Response(record.response_body, status=record.status_code, content_type=content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()
