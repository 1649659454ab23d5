"""OpenAPI documentation helpers (drf-spectacular): the Problem shape and auth schemes."""

import threading

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers

from apps.api.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPES


class ProblemSerializer(serializers.Serializer):
    """RFC 7807 problem details."""

    type = serializers.CharField(help_text="A URI naming the kind of problem (GET it).")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="What happened and what to do, for people.")
    instance = serializers.CharField(help_text="The request path.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field messages (400).",
    )
    slot_id = serializers.IntegerField(required=False, help_text="The slot that was taken (409).")
    retry_after = serializers.IntegerField(required=False, help_text="Seconds to wait (429, 503).")


_DESCRIPTIONS = {
    400: "Invalid request: see `errors`.",
    401: "Not authenticated, or the token is invalid.",
    403: "Not allowed for your role (or email not verified).",
    404: "Not found, or not yours.",
    405: "Method not allowed.",
    406: "Only JSON is served.",
    409: "Conflict: the time is taken, or the booking can no longer change.",
    413: "Body too large.",
    415: "Send application/json.",
    422: "Valid JSON, but the request cannot be done (too soon, not offered, key reused).",
    429: "Too many requests: see Retry-After.",
    503: "Busy: retry shortly (Retry-After).",
}

_EXAMPLES = {
    409: OpenApiExample(
        "Slot taken",
        value={
            "type": "/api/problems/slot-unavailable",
            "title": "SlotUnavailable",
            "status": 409,
            "detail": "This time is no longer available. Please choose another time.",
            "instance": "/api/v1/bookings/",
            "slot_id": 812,
        },
    ),
    400: OpenApiExample(
        "Field errors",
        value={
            "type": "/api/problems/invalid-request",
            "title": "Invalid request",
            "status": 400,
            "detail": "Some fields are not valid; see errors.",
            "instance": "/api/v1/bookings/",
            "errors": {"slot": ["A valid integer is required."], "colour": ["Unknown field."]},
        },
    ),
    429: OpenApiExample(
        "Throttled",
        value={
            "type": "/api/problems/throttled",
            "title": "Too many requests",
            "status": 429,
            "detail": "Request was throttled. Expected available in 12 seconds.",
            "instance": "/api/v1/slots/",
            "retry_after": 12,
        },
    ),
}


def problems(*statuses: int) -> dict:
    """Response entries for ``extend_schema(responses=...)``: problem JSON per status."""
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemSerializer,
            description=_DESCRIPTIONS[status],
            examples=[_EXAMPLES[status]] if status in _EXAMPLES else [],
        )
        for status in statuses
    }


def document_common_errors(result, generator, request, public):
    """Postprocessing hook: every operation may answer 401/403 (auth), 406, 429, with a
    body 400/413/415, and a list 404 for a page past the last; document them all so
    clients (and schemathesis) can rely on it."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            responses = operation.setdefault("responses", {})
            entries = {status: _DESCRIPTIONS[status] for status in (401, 403, 406, 429)}
            if method in ("post", "put", "patch"):
                entries.update({status: _DESCRIPTIONS[status] for status in (400, 413, 415)})
            if any(p["name"] == "page" for p in operation.get("parameters", [])):
                entries[404] = "No such page: past the last one."  # PagePagination
            for status, description in entries.items():
                responses.setdefault(
                    str(status),
                    {
                        "description": description,
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": problem_ref}},
                    },
                )
    return result


class StrictSerializerScheme(OpenApiSerializerExtension):
    """Input serializers refuse fields they do not know (StrictSerializer): say so, with
    ``additionalProperties: false``, so clients and generated code know it too."""

    target_class = "apps.api.serializers.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema


def problem_type_table() -> str:
    rows = "\n".join(
        f"| `{p.code}` | {p.status} | {p.description} |" for p in PROBLEM_TYPES.values()
    )
    return "| type | status | meaning |\n|---|---|---|\n" + rows


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.PersonalTokenAuthentication"
    name = "personalToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token clx_…`: create one at POST /api/v1/me/tokens/.",
        }


class OIDCBearerScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.OIDCBearerAuthentication"
    name = "oidcBearer"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An access token from the configured OpenID Connect provider.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class SchemaView(SpectacularAPIView):
    """GET /api/schema/, one generation at a time.

    drf-spectacular resolves its extensions lazily on the first generation in a process,
    and not thread-safely: two first requests at once in a threaded server (gunicorn's
    gthread workers, the test live server) could end in a 500 (AttributeError in
    ``_load_class``). Generating a schema is rare; waiting for the other one costs nothing.
    """

    _lock = threading.Lock()
    schema = None  # the schema itself is not an API operation

    def get(self, request, *args, **kwargs):
        with self._lock:
            return super().get(request, *args, **kwargs)
