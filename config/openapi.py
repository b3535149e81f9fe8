"""OpenAPI schema hooks for drf-spectacular."""


def public_api_only(endpoints, **kwargs):
    """Keep only Kartka's public ``/api/`` endpoints: Wagtail's internal admin API is not ours to document
    (and its views can't be introspected without a live request)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]
