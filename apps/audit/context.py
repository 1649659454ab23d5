"""Who is acting right now: the request (IP, user agent, request id) or a named system job.

Services read this when they write audit entries, so callers do not thread request data
through every function. A ContextVar keeps it correct across threads and async tasks.
"""

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActingContext:
    request_id: str = ""
    ip: str | None = None
    user_agent: str = ""
    #: Set for background work, e.g. "job:slots_extend_horizon".
    system_label: str = ""


_current: ContextVar[ActingContext | None] = ContextVar("clinix_acting_context", default=None)


def current() -> ActingContext:
    return _current.get() or ActingContext()


@contextmanager
def bound(context: ActingContext) -> Iterator[ActingContext]:
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def system_job(name: str) -> AbstractContextManager[ActingContext]:
    """Mark work done by a background job or command, for the audit log."""
    return bound(ActingContext(request_id=uuid.uuid4().hex, system_label=f"job:{name}"))
