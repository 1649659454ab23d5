import re
import uuid

from django.conf import settings

from apps.audit.context import ActingContext, bound

# A client-supplied request id is kept only if it looks like one (no log injection).
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Bind the request id, client IP and user agent for the audit log; echo the id back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        context = ActingContext(
            request_id=request_id,
            ip=_client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
        )
        request.request_id = request_id
        with bound(context):
            response = self.get_response(request)
            if response.status_code == 403:
                _record_denial(request)
        response["X-Request-ID"] = request_id
        return response


def _record_denial(request) -> None:
    """Every 403 (back office, pages, API) is on the record, with who asked for what."""
    from apps.audit.services import audit_record

    user = getattr(request, "user", None)
    audit_record(
        actor=user if getattr(user, "is_authenticated", False) else None,
        action="auth.permission_denied",
        changes={"path": [None, request.path[:300]], "method": [None, request.method]},
    )


def _client_ip(request) -> str | None:
    # Behind a proxy the socket address is the proxy's; trust X-Forwarded-For only when
    # the deployment says a proxy sets it (otherwise any client could forge it).
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None
