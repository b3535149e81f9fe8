"""Request parsing: JSON only, of a bounded size, with numbers read as exact decimals (money never passes through a
float).

* The body must say ``Content-Type: application/json`` (UTF-8: no charset, or ``charset=utf-8``); anything else,
  ``*/*`` included, is 415, so a till that sends form data or an odd charset learns it at once.
* A body over ``API_MAX_BODY_BYTES`` (1 MiB by default; the largest receipt we take, 500 lines, is ~60 kB) is 413,
  refused from its ``Content-Length`` before anything is read, and cut off at the limit when the length is absent.
"""

import json
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError, UnsupportedMediaType
from rest_framework.parsers import BaseParser
from rest_framework.utils.json import strict_constant
from rest_framework.utils.mediatypes import _MediaType

UTF8 = {"utf-8", "utf8"}


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"

    def __init__(self, limit: int):
        super().__init__(_("The body is larger than %(limit)s bytes.") % {"limit": limit})


def _media_type_check(media_type: str | None) -> None:
    parsed = _MediaType(media_type or "")
    charset = parsed.params.get("charset", "utf-8").strip().strip('"').lower()
    if f"{parsed.main_type}/{parsed.sub_type}".lower() != "application/json" or charset not in UTF8:
        raise UnsupportedMediaType(
            media_type or "",
            detail=_("Send the body as application/json in UTF-8 (got %(type)s).") % {"type": media_type},
        )


class DecimalJSONParser(BaseParser):
    """``application/json`` where ``12.30`` arrives as ``Decimal("12.30")``; NaN and Infinity are refused."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        _media_type_check(media_type)
        limit = settings.KARTKA_API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH", "") if request is not None else ""
        if length.isdigit() and int(length) > limit:
            raise RequestTooLarge(limit)
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise RequestTooLarge(limit)
        try:
            return json.loads(data.decode("utf-8"), parse_float=Decimal, parse_constant=strict_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error}) from error
