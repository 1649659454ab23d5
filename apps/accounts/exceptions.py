"""Account errors. Messages are shown to people as they are; tests reuse them."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import FieldDomainError


class AccountError(FieldDomainError):
    code = "account-error"


class EmailAlreadyUsed(AccountError):
    message = _("Someone already has an account with this e-mail address. Search for them instead.")
    code = "email-already-used"
    http_status = 409
    field = "email"


class PatientUnreachable(AccountError):
    message = _("Enter an e-mail address or a phone number, so the clinic can reach the patient.")
    code = "patient-unreachable"
    http_status = 422
    field = "email"
