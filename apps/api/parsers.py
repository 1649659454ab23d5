from django.conf import settings
from rest_framework import exceptions
from rest_framework.parsers import JSONParser


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The body is too large."
    default_code = "payload_too_large"
    problem_code = "payload-too-large"


class LimitedJSONParser(JSONParser):
    """JSON only, and small: API bodies are a few fields, never megabytes."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > settings.API_MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The body may be at most {settings.API_MAX_BODY_BYTES} bytes.")
        return super().parse(stream, media_type, parser_context)
