"""Per-key rate limit: ``API_RATE`` (e.g. ``600/min``) calls per key per window (the current second, minute, hour
or day), counted across every process of the install (``tenancy.ratelimits``: Redis with ``REDIS_URL``, else the
database). Over the limit: 429 with ``Retry-After``, the seconds until the window ends."""

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from programs.models import ApiKey
from tenancy import ratelimits

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """``"600/min"`` as (600, 60): the number of calls and the window in seconds."""
    calls, period = rate.split("/")
    return int(calls), PERIODS[period.strip()[0].lower()]


class ApiKeyRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        self.retry_after = None
        # Read at request time (not at import like DRF's THROTTLE_RATES), so the setting can change in tests.
        if not settings.KARTKA_API_RATE or not isinstance(request.auth, ApiKey):
            return True
        limit, period = rate_parse(settings.KARTKA_API_RATE)
        window = ratelimits.hit("api_key", str(request.auth.pk), period=period)
        if window.count <= limit:
            return True
        self.retry_after = window.retry_after
        return False

    def wait(self):
        return self.retry_after
