"""How the portal writes numbers for people: money in the program's currency and percentages, formatted for the
language that is active (``translation.override(portal_language)``): "1 000 ₴" in Ukrainian, "₴1,000" in English.
"""

from decimal import Decimal

from django.utils import formats, translation

# The symbol of each ``programs.choices.Currency``; a currency missing here is written with its ISO code.
SYMBOLS = {"UAH": "₴", "EUR": "€", "USD": "$", "PLN": "zł", "GBP": "£", "KZT": "₸", "GEL": "₾", "RUB": "₽"}
# Languages that put the symbol before the amount ("$5"); the others write "5 ₴", as Ukrainian and Russian do.
SYMBOL_FIRST = {"en"}
NBSP = "\u00a0"


def number(value: Decimal) -> str:
    """``value`` with the active language's separators and no trailing zeros ("1 000", "2,5", "0,25")."""
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else min(2, -value.normalize().as_tuple().exponent)
    text = formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return text.replace(" ", NBSP)


def percent(value: Decimal) -> str:
    """``Decimal("3.50")`` → "3.5 %" ("3,5 %" in Ukrainian); no trailing zeros."""
    return f"{number(value)}{NBSP}%"


def money(value: Decimal, currency: str) -> str:
    """``value`` in ``currency``, as the active language writes an amount ("₴1,000" / "1 000 ₴")."""
    symbol = SYMBOLS.get(currency, currency)
    amount = number(value)
    if (translation.get_language() or "en").split("-")[0] in SYMBOL_FIRST and len(symbol) == 1:
        return f"{symbol}{amount}"
    return f"{amount}{NBSP}{symbol}"
