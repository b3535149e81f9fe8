"""Input validation of the API: plain ``Serializer`` classes (no model serializers, nothing saved by them).

Limits keep every accepted value inside what the database holds: amounts up to 99 999 999.99 with two decimals,
quantities with three, at most 500 receipt lines. Anything else is a 400 with the field's message.
"""

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from programs import clock
from programs.choices import Gender

MAX_AMOUNT = Decimal("99999999.99")
MAX_POINTS = Decimal("9999999999.99")
MAX_QUANTITY = Decimal("999999.999")
MAX_LINES = 500
MAX_ID = 2**63 - 1
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
# Tills' clocks drift: a receipt may be dated a little in the future, not more.
FUTURE_TOLERANCE = timedelta(days=1)


# A number as text: ASCII digits, an optional sign and decimal point. Python's Decimal also takes "١٢٣", "１２３",
# "1_000" and "1e3", which no till means as money.
ASCII_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)


class AsciiDecimalField(serializers.DecimalField):
    """A decimal that, sent as a string, must be written in ASCII digits (JSON numbers always are)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not ASCII_NUMBER.fullmatch(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


# A JSON object the API reads. A field it does not know is a 400 naming the field, not silently dropped: a misspelt
# ``reedem_points`` would otherwise record a purchase without the payment the cashier meant, and ``"is_superuser":
# true`` should not look accepted. The schema says so (``additionalProperties: false``, ``config.openapi``). No
# docstring: drf-spectacular would show it as the description of every request body.
class Body(serializers.Serializer):
    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = [name for name in data if name not in self.fields]
            if unknown:
                raise serializers.ValidationError({str(name)[:100]: [_("Unknown field.")] for name in unknown[:20]})
        return super().to_internal_value(data)


def amount_field(**kwargs):
    kwargs.setdefault("min_value", Decimal("0"))
    return AsciiDecimalField(max_digits=10, decimal_places=2, max_value=MAX_AMOUNT, **kwargs)


def points_field(**kwargs):
    return AsciiDecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), max_value=MAX_POINTS, **kwargs)


def id_field(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class CardNumberField(serializers.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", _("The card number, or the payload scanned from its QR code or barcode."))
        super().__init__(**kwargs)


class LineIn(Body):
    sku = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    quantity = AsciiDecimalField(
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=MAX_QUANTITY,
        required=False,
        default=Decimal("1"),
    )
    amount = amount_field(help_text=_("What the line costs in all (price × quantity), before the card's discount."))


class PurchaseContentIn(Body):
    """What quote and record share: the card, the receipt's content and what the member pays with."""

    card_number = CardNumberField()
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text=_("Optional; if given, the program's currency.")
    )
    total = amount_field(required=False, help_text=_("Gross total; the lines must add up to it. Optional with lines."))
    lines = LineIn(many=True, required=False, max_length=MAX_LINES)
    redeem_points = points_field(required=False, default=Decimal("0"), help_text=_("Points the member pays with."))
    redeem_reward = serializers.BooleanField(
        required=False, default=False, help_text=_("Use one stamp-card reward (e.g. the free coffee).")
    )
    purchased_at = serializers.DateTimeField(required=False, help_text=_("When the receipt was printed; default: now."))

    def validate_purchased_at(self, value):
        if value < EARLIEST or value > clock.now() + FUTURE_TOLERANCE:
            raise serializers.ValidationError(_("The purchase time must be between 2000 and now."))
        return value

    def validate(self, attrs):
        lines = attrs.get("lines") or []
        if attrs.get("total") is None and not lines:
            raise serializers.ValidationError({"total": [_("Give the total or the lines of the receipt.")]})
        if attrs.get("total") is None and sum((line["amount"] for line in lines), Decimal("0")) > MAX_AMOUNT:
            raise serializers.ValidationError({"lines": [_("The receipt's total is too large.")]})
        return attrs


class QuoteIn(PurchaseContentIn):
    pass


class PurchaseIn(PurchaseContentIn):
    store = serializers.CharField(
        max_length=64, required=False, help_text=_("Store code. Required with a program key; a store key's own.")
    )
    receipt_id = serializers.CharField(max_length=100, help_text=_("Unique per store: a repeat is a replay."))


class RefundLineIn(Body):
    line_id = id_field(required=False, help_text=_("The line's id from the purchase."))
    position = serializers.IntegerField(
        min_value=0, max_value=MAX_LINES, required=False, help_text=_("Or its position on the receipt, from 0.")
    )
    quantity = AsciiDecimalField(
        max_digits=10,
        decimal_places=3,
        min_value=Decimal("0.001"),
        max_value=MAX_QUANTITY,
        required=False,
        help_text=_("Default: what is left of the line."),
    )

    def validate(self, attrs):
        if ("line_id" in attrs) == ("position" in attrs):
            raise serializers.ValidationError(_("Give either line_id or position."))
        return attrs


class RefundIn(Body):
    purchase_id = id_field(required=False, help_text=_("The purchase, by its id…"))
    store = serializers.CharField(
        max_length=64, required=False, help_text=_("…or by store code (a store key's own by default)…")
    )
    receipt_id = serializers.CharField(max_length=100, required=False, help_text=_("…and receipt id."))
    refund_id = serializers.CharField(max_length=100, help_text=_("Unique per purchase: a repeat is a replay."))
    lines = RefundLineIn(many=True, required=False, min_length=1, max_length=MAX_LINES)
    amount = amount_field(
        required=False, min_value=Decimal("0.01"), help_text=_("Refund this much of the gross total instead of lines.")
    )

    def validate(self, attrs):
        if ("purchase_id" in attrs) == ("receipt_id" in attrs):
            raise serializers.ValidationError(_("Name the purchase by purchase_id or by receipt_id."))
        if "lines" in attrs and "amount" in attrs:
            raise serializers.ValidationError(_("Refund either by lines or by amount, not both."))
        return attrs


class ProfileIn(Body):
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    email = serializers.EmailField(max_length=254, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    consent_email = serializers.BooleanField(required=False)
    consent_sms = serializers.BooleanField(required=False)
    consent_push = serializers.BooleanField(required=False)
    consent_telegram = serializers.BooleanField(required=False)

    def validate_birth_date(self, value):
        if value is not None and not (datetime(1900, 1, 1).date() <= value <= clock.now().date()):
            raise serializers.ValidationError(_("The birthday must be between 1900 and today."))
        return value


class MemberIn(ProfileIn):
    phone = serializers.CharField(
        max_length=40,
        help_text=_(
            "Any common format; numbers without a country code are read in the program's country (its settings), "
            "or the server's default region if the program has none."
        ),
    )
    card_types = serializers.ListField(
        child=id_field(),
        required=False,
        max_length=20,
        help_text=_("Card type ids to issue. Default: every active card type of the program."),
    )


class ReasonIn(Body):
    reason = serializers.CharField(max_length=250, help_text=_("Recorded in the card's history and the audit log."))


class LookupIn(serializers.Serializer):
    card_number = serializers.CharField(max_length=64, required=False)
    phone = serializers.CharField(max_length=40, required=False)
    barcode = serializers.CharField(max_length=100, required=False)

    def validate(self, attrs):
        if len(attrs) != 1:
            raise serializers.ValidationError(_("Look up by exactly one of card_number, phone or barcode."))
        return attrs
