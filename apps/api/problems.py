"""RFC 7807 problem details: the one shape of every API error.

``{"type", "title", "status", "detail", "instance"}`` plus, where useful, ``errors``
(field messages), ``slot_id`` (the time that was taken) and ``retry_after`` (seconds).
Served as ``application/problem+json`` by DRF views (``exception_handler``) and by the
project's 404/500 handlers for paths under /api/, so a client never sees an HTML page.
"""

import logging
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.errors import DomainError

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    code: str
    title: str
    status: int
    description: str


# The problem types of the API, by code; GET /api/problems/<code> describes each.
PROBLEM_TYPES: dict[str, ProblemType] = {
    p.code: p
    for p in [
        ProblemType(
            "invalid-request",
            "Invalid request",
            400,
            "The request body or query "
            "has fields that are missing, of the wrong type or not allowed; "
            "`errors` lists them by field.",
        ),
        ProblemType("malformed-json", "Malformed JSON", 400, "The body is not valid JSON."),
        ProblemType(
            "not-authenticated",
            "Not authenticated",
            401,
            "Send a personal token "
            "(`Authorization: Token clx_…`), an OIDC bearer token or a session.",
        ),
        ProblemType(
            "authentication-failed",
            "Authentication failed",
            401,
            "The token is unknown, revoked, expired, or the identity provider refused it.",
        ),
        ProblemType(
            "permission-denied", "Permission denied", 403, "Your role does not allow this action."
        ),
        ProblemType(
            "email-not-verified",
            "Email not verified",
            403,
            "Confirm your email address before your first booking.",
        ),
        ProblemType("not-found", "Not found", 404, "Nothing here, or nothing of yours."),
        ProblemType(
            "method-not-allowed",
            "Method not allowed",
            405,
            "This URL does not support that HTTP method; see `Allow`.",
        ),
        ProblemType("not-acceptable", "Not acceptable", 406, "The API answers JSON only."),
        ProblemType(
            "payload-too-large",
            "Payload too large",
            413,
            "The body is larger than the API accepts.",
        ),
        ProblemType(
            "unsupported-media-type",
            "Unsupported media type",
            415,
            "Send `Content-Type: application/json`.",
        ),
        ProblemType(
            "idempotency-key-reused",
            "Idempotency key reused",
            422,
            "This "
            "Idempotency-Key was used before with a different request. Use a new "
            "key for a new request.",
        ),
        ProblemType(
            "idempotency-key-invalid",
            "Invalid Idempotency-Key",
            400,
            "Use 1 to 255 visible ASCII characters, for example a UUID.",
        ),
        ProblemType(
            "throttled",
            "Too many requests",
            429,
            "Slow down; `retry_after` and the Retry-After header say when to try again.",
        ),
        ProblemType(
            "server-error",
            "Server error",
            500,
            "Something failed on our side. Nothing was changed. Try again later.",
        ),
        ProblemType(
            "service-unavailable",
            "Service unavailable",
            503,
            "A dependency is not reachable right now.",
        ),
    ]
}


def problem_type_uri(code: str) -> str:
    return f"/api/problems/{code}"


def problem_body(
    *, code: str, status_code: int, title: str, detail: str, instance: str = "", **extra
) -> dict:
    body = {
        "type": problem_type_uri(code),
        "title": str(title),
        "status": status_code,
        "detail": str(detail),
        "instance": instance,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(
    request, *, code: str, status_code: int, detail: str, title: str | None = None, **extra
) -> Response:
    known = PROBLEM_TYPES.get(code)
    body = problem_body(
        code=code,
        status_code=status_code,
        title=title or (known.title if known else code.replace("-", " ").capitalize()),
        detail=detail,
        instance=request.get_full_path() if request is not None else "",
        **extra,
    )
    response = Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)
    if extra.get("retry_after") is not None:
        response["Retry-After"] = str(extra["retry_after"])
    return response


def domain_problem(request, error: DomainError) -> Response:
    """A domain error in problem form; ids named in the error (slot_id, ...) go along."""
    extra = {k: v for k, v in error.context.items() if k.endswith("_id")}
    if error.retryable:
        extra["retry_after"] = 1
    return problem_response(
        request,
        code=error.code,
        status_code=error.http_status,
        title=domain_title(type(error)),
        detail=error.message,
        **extra,
    )


_DRF_CODES = {
    exceptions.ParseError: "malformed-json",
    exceptions.NotAuthenticated: "not-authenticated",
    exceptions.AuthenticationFailed: "authentication-failed",
    exceptions.PermissionDenied: "permission-denied",
    exceptions.NotFound: "not-found",
    exceptions.MethodNotAllowed: "method-not-allowed",
    exceptions.NotAcceptable: "not-acceptable",
    exceptions.UnsupportedMediaType: "unsupported-media-type",
    exceptions.Throttled: "throttled",
}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error a view raises, as problem JSON."""
    request = context.get("request")
    if isinstance(exc, DomainError):
        set_rollback()
        return domain_problem(request, exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        set_rollback()
        return problem_response(
            request, code="payload-too-large", status_code=413, detail=_("The body is too large.")
        )
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(str(exc))
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler answers, in problem form for /api/
    set_rollback()
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return problem_response(
            request,
            code="invalid-request",
            status_code=status.HTTP_400_BAD_REQUEST,
            detail=_("Some fields are not valid; see errors."),
            errors=errors,
        )
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
    code = getattr(exc, "problem_code", None) or code or "invalid-request"
    response = problem_response(
        request,
        code=code,
        status_code=exc.status_code,
        detail=exc.detail if isinstance(exc.detail, str) else str(exc.detail),
        retry_after=getattr(exc, "wait", None) and int(exc.wait + 0.999),
    )
    if isinstance(exc, exceptions.MethodNotAllowed) and context.get("view") is not None:
        response["Allow"] = ", ".join(context["view"].allowed_methods)
    if getattr(exc, "auth_header", None):
        response["WWW-Authenticate"] = exc.auth_header
    return response


def _json_problem(request: HttpRequest, *, code: str, status_code: int, detail: str):
    known = PROBLEM_TYPES[code]
    return JsonResponse(
        problem_body(
            code=code,
            status_code=status_code,
            title=known.title,
            detail=detail,
            instance=request.get_full_path(),
        ),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def api_not_found(request: HttpRequest):
    return _json_problem(request, code="not-found", status_code=404, detail=str(_("Not found.")))


def api_server_error(request: HttpRequest):
    return _json_problem(
        request,
        code="server-error",
        status_code=500,
        detail=str(_("Something failed on our side. Try again later.")),
    )


def api_bad_request(request: HttpRequest):
    return _json_problem(
        request, code="invalid-request", status_code=400, detail=str(_("Bad request."))
    )


def domain_title(error: type[DomainError]) -> str:
    """A short title from the error's class: SlotUnavailable -> "Slot unavailable"."""
    words = re.findall(r"[A-Z][a-z0-9]*", error.__name__.removesuffix("Error")) or [error.code]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def all_problem_types() -> dict[str, ProblemType]:
    """The HTTP-level types above plus one per domain error (from DomainError subclasses)."""
    found = dict(PROBLEM_TYPES)
    pending = list(DomainError.__subclasses__())
    while pending:
        error = pending.pop()
        pending.extend(error.__subclasses__())
        found.setdefault(
            error.code,
            ProblemType(error.code, domain_title(error), error.http_status, str(error.message)),
        )
    return found


def api_permission_denied(request: HttpRequest):
    return _json_problem(
        request, code="permission-denied", status_code=403, detail=str(_("Not allowed."))
    )
