"""The base of every domain error.

Services raise subclasses of DomainError with a user-facing message; views turn them
into form errors or messages, the API into RFC 7807 problem JSON. Each app declares its
own errors in ``apps/<app>/exceptions.py``.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain said no. ``message`` is safe to show to the user."""

    #: Default user-facing message; subclasses override it, tests reuse it.
    message = _("This action is not possible.")
    #: Stable machine-readable code (the API's problem ``type`` suffix).
    code = "domain-error"
    #: HTTP status the API answers with.
    http_status = 400
    #: Whether retrying the same request later may succeed.
    retryable = False

    def __init__(self, message: str | None = None, **context: object) -> None:
        self.message = message or self.message
        self.context = context
        super().__init__(self.message)


class FieldDomainError(DomainError):
    """A domain error about one input: ``field`` names the form field (or API field) the
    message belongs to, set on the class or per raise (``raise X(field="email")``)."""

    field: str | None = None

    def __init__(self, message: str | None = None, *, field: str | None = None, **context):
        super().__init__(message, **context)
        if field is not None:
            self.field = field
