"""How the engine words figures for people (the admin, the API's texts): money with the active language's
grouping, decimal mark and currency symbol ("19 950,00 ₴", "₴19,950.00"), points, tier progress."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext, pgettext
from django.utils.translation import gettext as _

from programs.choices import Currency, TierBasis, Unit
from programs.selectors import TierProgress

# The symbol each currency's label ends with, e.g. "Ukrainian hryvnia (₴)".
CURRENCY_SYMBOLS = {value: str(label).rsplit("(", 1)[-1].rstrip(")") for value, label in Currency.choices}
# Languages that write the symbol after the amount ("1 250,00 ₴"); English writes it first ("₴1,250.00").
SYMBOL_AFTER = ("ru", "uk")


def money_display(amount: Decimal, currency: str) -> str:
    """``amount`` in ``currency`` as the admin user's language writes money: grouping, decimal mark, symbol."""
    number = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if (get_language() or "en").split("-")[0] in SYMBOL_AFTER:
        return f"{number}\N{NO-BREAK SPACE}{symbol}"
    return f"{symbol}{number}"


def points_display(amount: Decimal) -> str:
    """Points with grouping; whole numbers without decimals ("1 250", "12,50")."""
    decimals = 0 if amount == amount.to_integral_value() else 2
    return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def count_display(count: int) -> str:
    """A count (purchases, members) with the language's grouping: "12 480", "12,480"."""
    return number_format(count, decimal_pos=0, use_l10n=True, force_grouping=True)


def tier_progress_text(progress: TierProgress, *, currency: str) -> str:
    """ "19 950,00 ₴ left to Gold (1 % of the way)": what is left in the program's measure (money in the staff
    user's language, with grouping and the currency), to which tier, and how far along."""
    values = {"tier": progress.next_tier.name, "percent": progress.percent}
    if progress.basis == TierBasis.SPEND:
        values["amount"] = money_display(progress.remaining, currency)
        return _("%(amount)s left to %(tier)s (%(percent)s %% of the way)") % values
    if progress.basis == TierBasis.POINTS:
        values["amount"] = points_display(progress.remaining)
        return _("%(amount)s points left to %(tier)s (%(percent)s %% of the way)") % values
    count = int(progress.remaining)
    values["amount"] = points_display(progress.remaining)
    return (
        ngettext(
            "%(amount)s purchase left to %(tier)s (%(percent)s %% of the way)",
            "%(amount)s purchases left to %(tier)s (%(percent)s %% of the way)",
            count,
        )
        % values
    )


def amount_with_unit(amount: Decimal, unit: str, *, signed: bool = False) -> str:
    """Points or stamps with their word in the right grammatical form: "+12 points" / "+12 баллов", "1 балл",
    "+12,50 балла" / "+12,50 бала".

    Whole amounts are written without decimals and take the plural form of their number. Amounts with a
    fraction take the form CLDR gives numbers with visible fraction digits (ru and uk: "other", the genitive
    singular), which gettext's three forms cannot express, hence a message of its own.
    """
    sign = "+" if signed and amount > 0 else ""
    values = {"amount": sign + points_display(amount)}
    if amount == amount.to_integral_value():
        count = abs(int(amount))
        if unit == Unit.STAMPS:
            return ngettext("%(amount)s stamp", "%(amount)s stamps", count) % values
        return ngettext("%(amount)s point", "%(amount)s points", count) % values
    if unit == Unit.STAMPS:
        return pgettext("a fractional amount", "%(amount)s stamps") % values
    return pgettext("a fractional amount", "%(amount)s points") % values
