"""Notification errors a person can meet (see apps.core.errors.DomainError)."""

from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError


class SmsNeedsPhone(DomainError):
    message = _("Add a phone number to your profile to get text messages")
    code = "sms-needs-phone"
    http_status = 400
