"""Errors of the API as ``application/problem+json`` (RFC 9457) bodies.

Every refusal carries a stable machine-readable ``code`` (the engine's ``LoyaltyError.code`` for domain errors),
a ``title`` per code and a ``detail`` in the language of the request's ``Accept-Language`` (en, ru, uk). Input
validation lists the messages per field in ``errors`` (nested fields as ``lines.0.amount``).
"""

import logging
from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from programs.api.parsers import RequestTooLarge
from programs.errors import InvalidInput, LoyaltyError

logger = logging.getLogger("django.request")

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:kartka:problem:"


class ApiError(LoyaltyError):
    """A refusal of the API layer itself (unknown card, wrong store, ...), shaped like the engine's errors."""


class UnknownCard(ApiError):
    code = "unknown_card"
    status = 404
    message = _("There is no card with this number in the program.")


class UnknownMember(ApiError):
    code = "unknown_member"
    status = 404
    message = _("There is no such member in the program.")


class UnknownPurchase(ApiError):
    code = "unknown_purchase"
    status = 404
    message = _("There is no such purchase in the program.")


class UnknownStore(ApiError):
    code = "unknown_store"
    status = 404
    message = _("There is no store with this code in the program.")


class StoreRequired(ApiError):
    code = "store_required"
    status = 400
    message = _("This key belongs to no store: name the store by its code.")


class StoreNotAllowed(ApiError):
    code = "store_not_allowed"
    status = 403
    message = _("This key records purchases in its own store only.")


class StoreInactive(ApiError):
    code = "store_inactive"
    status = 409
    message = _("This store is not active.")


class CurrencyMismatch(ApiError):
    code = "currency_mismatch"
    status = 422
    message = _("The program counts in %(expected)s, not %(given)s.")


class IdempotencyKeyReused(ApiError):
    code = "idempotency_key_reused"
    status = 409
    message = _("This Idempotency-Key was already used for a different request.")


class IdempotencyKeyInvalid(ApiError):
    code = "invalid_input"
    status = 400
    message = _("An Idempotency-Key is 1 to 255 printable ASCII characters.")


TITLES = {
    "invalid_input": _("Invalid input"),
    "malformed_json": _("Malformed JSON"),
    "unauthenticated": _("Not authenticated"),
    "forbidden": _("Forbidden"),
    "not_found": _("Not found"),
    "method_not_allowed": _("Method not allowed"),
    "not_acceptable": _("Not acceptable"),
    "unsupported_media_type": _("Unsupported media type"),
    "throttled": _("Too many requests"),
    "server_error": _("Server error"),
    "unknown_card": _("Unknown card"),
    "unknown_member": _("Unknown member"),
    "unknown_purchase": _("Unknown purchase"),
    "unknown_store": _("Unknown store"),
    "store_required": _("Store required"),
    "store_not_allowed": _("Store not allowed"),
    "store_inactive": _("Store inactive"),
    "currency_mismatch": _("Currency mismatch"),
    "idempotency_key_reused": _("Idempotency key reused"),
    "card_blocked": _("Card blocked"),
    "card_replaced": _("Card replaced"),
    "card_type_inactive": _("Card type inactive"),
    "program_inactive": _("Program inactive"),
    "insufficient_points": _("Insufficient points"),
    "insufficient_stamps": _("Insufficient stamps"),
    "below_minimum_check": _("Below the minimum check"),
    "redemption_limit_exceeded": _("Redemption limit exceeded"),
    "redemption_not_allowed": _("Redemption not allowed"),
    "no_reward_available": _("No reward available"),
    "duplicate_receipt": _("Duplicate receipt"),
    "duplicate_refund": _("Duplicate refund"),
    "refund_exceeds_purchase": _("Refund exceeds purchase"),
    "wrong_program": _("Wrong program"),
    "member_exists": _("Member exists"),
}

# DRF's own exceptions: their code here and the detail we show (DRF's messages are translated by DRF).
DRF_CODES = {
    exceptions.ParseError: "malformed_json",
    exceptions.AuthenticationFailed: "unauthenticated",
    exceptions.NotAuthenticated: "unauthenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    RequestTooLarge: "request_too_large",
}


def problem(*, status: int, code: str, detail: str, errors: dict | None = None) -> dict:
    """The body of a problem response (plain JSON types, so it can be stored and replayed byte for byte)."""
    title = TITLES.get(code) or HTTPStatus(status).phrase
    body = {"type": f"{TYPE_PREFIX}{code}", "title": str(title), "status": status, "detail": str(detail), "code": code}
    if errors:
        body["errors"] = errors
    return body


def problem_response(body: dict, *, headers: dict | None = None) -> Response:
    return Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def flatten_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail as ``{"lines.0.amount": ["..."]}``."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, value in detail.items():
            # A list's own error ("no more than 500 elements") belongs to the list, not to "lines.non_field_errors".
            own = name == "non_field_errors" and prefix
            key = prefix if own else (f"{prefix}.{name}" if prefix else str(name))
            for field, messages in flatten_errors(value, key).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list) and detail and all(not isinstance(item, dict | list) for item in detail):
        flat.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return flat


def loyalty_error_body(error: LoyaltyError) -> dict:
    errors = dict(error.field_errors)
    if error.field and not errors:
        errors = {error.field: [str(error)]}
    return problem(status=error.status, code=error.code, detail=str(error), errors=errors or None)


def exception_handler(exc, context):
    """DRF's exception handler for the API: every error becomes a problem; nothing escapes as an HTML page."""
    if isinstance(exc, LoyaltyError):
        return problem_response(loyalty_error_body(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        body = problem(status=400, code="invalid_input", detail=InvalidInput.message, errors=flatten_errors(exc.detail))
        return problem_response(body)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None) is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        code = next((code for cls, code in DRF_CODES.items() if isinstance(exc, cls)), None)
        if code is None:
            code = "forbidden" if exc.status_code == 403 else str(exc.default_code)
        detail = exc.detail if not isinstance(exc.detail, list | dict) else exc.default_detail
        return problem_response(problem(status=exc.status_code, code=code, detail=detail), headers=headers)
    request = context.get("request")
    logger.error(
        "Internal Server Error: %s",
        getattr(request, "path", "?"),
        exc_info=exc,
        extra={"status_code": 500, "request": getattr(request, "_request", None)},
    )
    return problem_response(problem(status=500, code="server_error", detail=_("An unexpected error occurred.")))


@csrf_exempt
def not_found_view(request, *args, **kwargs):
    """Any other path under ``/api/``: a 404 problem (for every method), not the portal's HTML page."""
    body = problem(status=404, code="not_found", detail=exceptions.NotFound.default_detail)
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
