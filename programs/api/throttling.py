"""Per-key rate limit: ``API_RATE`` (e.g. ``600/min``) calls per key, counted in the default cache (per process
without Redis, shared with ``REDIS_URL``). Over the limit: 429 with ``Retry-After``."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from programs.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    scope = "api_key"

    def get_rate(self):
        # Read at request time (not at import like DRF's THROTTLE_RATES), so the setting can change in tests.
        return settings.KARTKA_API_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return f"throttle_api_key_{request.auth.pk}"
