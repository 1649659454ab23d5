from apps.core.errors import DomainError


class InvalidBlockRange(DomainError):
    message = "The end of the blocked period must be after its start."
    code = "invalid-block-range"
