"""Template helpers of the customer cabinet: money, points and percentages in the active language, the card's
codes."""

from django import template

from pages import formats
from portal.codes import card_barcode_svg, card_qr_svg

register = template.Library()


@register.filter
def money(value, currency: str) -> str:
    """``{{ amount|money:program.currency }}`` → "₴1,250.50" / "1 250,5 ₴"."""
    return formats.money(value, currency)


@register.filter
def points(value) -> str:
    """A number of points or stamps with the language's separators, no trailing zeros."""
    return formats.number(value)


@register.filter
def percent(value) -> str:
    return formats.percent(value)


@register.simple_tag
def card_qr(number: str):
    return card_qr_svg(number)


@register.simple_tag
def card_barcode(number: str):
    return card_barcode_svg(number)


@register.filter
def unsigned(value) -> str:
    """The size of an amount, without its sign (the template writes "+" or "−" itself)."""
    return formats.number(abs(value))


@register.filter
def whole(value) -> int:
    """A count for ``blocktranslate count`` (plural forms need an integer): 12.5 points take the form of 12."""
    return int(value or 0)
