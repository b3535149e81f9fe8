"""OpenAPI schema hooks for drf-spectacular."""


def public_api_only(endpoints, **kwargs):
    """Keep only Kartka's public ``/api/`` endpoints: Wagtail's internal admin API is not ours to document
    (and its views can't be introspected without a live request)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


# What the request bodies' validation enforces beyond each field, in JSON Schema, so that a schema-driven client
# never sends a request the schema calls valid and the API answers 400 (``programs.api.serializers``).
_EXACTLY_ONE = {
    "RefundInRequest": ("purchase_id", "receipt_id"),
    "RefundLineInRequest": ("line_id", "position"),
}
_NOT_BOTH = {"RefundInRequest": ("lines", "amount")}
_TOTAL_OR_LINES = ("PurchaseInRequest", "QuoteInRequest")


def _one_of(names: tuple[str, ...]) -> list[dict]:
    return [
        {"required": [name], "not": {"anyOf": [{"required": [other]} for other in names if other != name]}}
        for name in names
    ]


def request_bodies_closed(result, generator, request, public):
    """Request bodies take no field they do not list, and state which fields go together."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        component["additionalProperties"] = False
        if name in _EXACTLY_ONE:
            component["oneOf"] = _one_of(_EXACTLY_ONE[name])
        if name in _NOT_BOTH:
            component["not"] = {"required": list(_NOT_BOTH[name])}
        if name in _TOTAL_OR_LINES:
            component["anyOf"] = [
                {"required": ["total"]},
                {"required": ["lines"], "properties": {"lines": {"minItems": 1}}},
            ]
    return result
