"""Text messages: a backend interface, a console backend (logs; the default) and a
Twilio adapter (its REST API over HTTPS), chosen by SMS_BACKEND."""

import logging
from typing import Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("clinix.sms")


class SmsError(Exception):
    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Send; returns the provider's message id. Raises SmsError."""
        ...


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> str:
        logger.info("SMS to %s: %s", to, body)
        return "console"


class TwilioSmsBackend:
    """POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth (SMS_API_URL points
    elsewhere only for a fake server in tests)."""

    def send(self, *, to: str, body: str) -> str:
        sid = settings.TWILIO_ACCOUNT_SID
        url = f"{settings.SMS_API_URL.rstrip('/')}/2010-04-01/Accounts/{sid}/Messages.json"
        try:
            response = requests.post(
                url,
                data={"To": to, "From": settings.SMS_FROM, "Body": body[:1600]},
                auth=(sid, settings.TWILIO_AUTH_TOKEN),
                timeout=10,
            )
        except requests.RequestException as error:
            raise SmsError(f"SMS provider unreachable: {error}", transient=True) from error
        if response.status_code >= 500 or response.status_code == 429:
            raise SmsError(f"SMS provider busy ({response.status_code})", transient=True)
        if response.status_code >= 400:
            raise SmsError(
                f"SMS refused ({response.status_code}): {response.text[:200]}", transient=False
            )
        return response.json().get("sid", "")


BACKENDS = {
    "console": "apps.notifications.sms.ConsoleSmsBackend",
    "twilio": "apps.notifications.sms.TwilioSmsBackend",
}


def sms_backend() -> SmsBackend:
    return import_string(BACKENDS[settings.SMS_BACKEND])()
