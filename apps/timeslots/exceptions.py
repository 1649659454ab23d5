from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError


class InvalidBlockRange(DomainError):
    message = _("The end of the blocked period must be after its start.")
    code = "invalid-block-range"
