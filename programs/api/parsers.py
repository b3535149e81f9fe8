"""Request parsing: JSON with numbers read as exact decimals (money never passes through a float)."""

import codecs
import json
from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, get_encoding
from rest_framework.utils.json import strict_constant


class DecimalJSONParser(BaseParser):
    """``application/json`` where ``12.30`` arrives as ``Decimal("12.30")``; NaN and Infinity are refused."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(text, parse_float=Decimal, parse_constant=strict_constant)
        except (ValueError, RecursionError) as error:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error}) from error
