"""Request limits per user, per IP address and for booking writes.

The counters live in the default cache (Redis in production), so the limits hold across
every web process. Rates come from settings on each request, so they can be tuned by
environment and in tests.
"""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)


class UserThrottle(_SettingsRateThrottle):
    """Per signed-in user (anonymous requests are left to the IP limit)."""

    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class IPThrottle(_SettingsRateThrottle):
    """Per client address, signed in or not: one address cannot flood the API."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class BookingWriteThrottle(_SettingsRateThrottle):
    """Creating, moving and cancelling bookings, per user."""

    scope = "booking-writes"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS") or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
