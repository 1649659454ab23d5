"""How API clients prove who they are: personal tokens, OIDC bearer tokens, sessions."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.contrib.drf import OIDCAuthentication
from requests.exceptions import RequestException
from rest_framework import authentication, exceptions

from apps.accounts.models import User
from apps.accounts.oidc import ClinixOIDCBackend
from apps.accounts.services import API_TOKEN_PREFIX, api_token_authenticate
from apps.api.throttling import IPThrottle


class PersonalTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token clx_…`` (also accepted as ``Bearer clx_…``)."""

    keyword = "Token"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() not in (b"token", b"bearer"):
            return None
        secret = parts[1].decode(errors="replace")
        if parts[0].lower() == b"bearer" and not secret.startswith(API_TOKEN_PREFIX):
            return None  # an OIDC access token: the next class decides
        user = api_token_authenticate(secret)
        if user is None:
            raise exceptions.AuthenticationFailed("Unknown, revoked or expired token.")
        return user, secret

    def authenticate_header(self, request):
        return self.keyword


class OIDCBearerAuthentication(OIDCAuthentication):
    """``Authorization: Bearer <access token>`` from the configured OIDC provider.

    The provider's userinfo endpoint vouches for the token (mozilla-django-oidc); the
    answer is remembered for a short while so a busy client does not send every request
    through the provider. Off unless OIDC_OP_USER_ENDPOINT is set.
    """

    def __init__(self, backend=None):
        self._backend = backend

    @property
    def backend(self):
        if self._backend is None:
            self._backend = ClinixOIDCBackend()
        return self._backend

    def get_access_token(self, request):
        # mozilla-django-oidc indexes the header's first word: a blank header would be a 500.
        if not authentication.get_authorization_header(request).split():
            return None
        return super().get_access_token(request)

    def authenticate(self, request):
        if not settings.OIDC_OP_USER_ENDPOINT:
            return None
        token = self.get_access_token(request)
        if not token or token.startswith(API_TOKEN_PREFIX):
            return None
        key = "oidc-token:" + hashlib.sha256(token.encode()).hexdigest()
        user_id = cache.get(key)
        if user_id is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is not None:
                return user, token
        # An unknown token costs a blocking call to the provider, made before any view's
        # throttles run: count it against the client's address limit here, or one address
        # could keep web workers waiting on the provider (and flood it) with made-up tokens.
        limit = IPThrottle()
        if not limit.allow_request(request, None):
            raise exceptions.Throttled(limit.wait())
        try:
            user, token = super().authenticate(request)
        except RequestException as error:
            # The client's login failed, not us: never a 500. A 400/401/403 from the provider
            # means it does not know the token; anything else (down, timeout, 5xx, a 404 from
            # a wrong URL, not JSON) that it could not say.
            response = getattr(error, "response", None)
            refused = response is not None and response.status_code in (400, 401, 403)
            raise exceptions.AuthenticationFailed(
                "The identity provider refused the token."
                if refused
                else "The identity provider did not answer."
            ) from error
        except SuspiciousOperation as error:
            raise exceptions.AuthenticationFailed(
                "The identity provider refused the token."
            ) from error
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        cache.set(key, user.pk, settings.OIDC_TOKEN_CACHE_SECONDS)
        return user, token


class SessionAuthentication(authentication.SessionAuthentication):
    """The site's own session, for same-origin pages; CSRF enforced as usual."""
