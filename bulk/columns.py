"""The columns of the import and bulk-adjustment files: their keys, their headers in the owner's language, and the
headers accepted when reading (English, Russian and Ukrainian, whatever the owner's language is).

Headers are matched after folding case, spaces, ``*`` and ``_``, so "Card number", "card_number" and "НОМЕР КАРТЫ"
all name the same column. A column the file does not have is read as empty; unknown columns are ignored.
"""

import re
from dataclasses import dataclass
from functools import cache

from django.utils import translation
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("en", "ru", "uk")


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy: said in the active language
    example: str


IMPORT_COLUMNS = (
    Column("phone", _("Phone"), "+380671234567"),
    Column("card_number", _("Card number"), "2000000000015"),
    Column("first_name", _("First name"), "Olena"),
    Column("last_name", _("Last name"), "Kovalenko"),
    Column("birthday", _("Birthday"), "1990-05-17"),
    Column("gender", _("Gender (f/m/x)"), "f"),
    Column("email", _("E-mail"), "olena@example.com"),
    Column("consent_email", _("E-mail messages (yes/no)"), "yes"),
    Column("consent_sms", _("SMS messages (yes/no)"), "no"),
    Column("consent_push", _("Push messages (yes/no)"), "no"),
    Column("consent_telegram", _("Telegram messages (yes/no)"), "no"),
    Column("tier", _("Tier"), ""),
    Column("lifetime_spend", _("Total spend"), "1250.00"),
    Column("cashback", _("Cashback balance"), "120.50"),
    Column("promo", _("Promo balance"), "30"),
    Column("promo_expires", _("Promo expiry date"), "2027-03-31"),
    Column("stamps", _("Stamps"), "0"),
    Column("external_id", _("External id"), "CRM-000123"),
)

ADJUST_COLUMNS = (
    Column("card_number", _("Card number"), "2000000000015"),
    Column("phone", _("Phone"), ""),
    Column("points", _("Points (+ adds, − takes)"), "50"),
    Column("stamps", _("Stamps (+ adds, − takes)"), ""),
)


def strip_hint(label) -> str:
    """ "SMS messages (yes/no)" -> "SMS messages"."""
    return re.sub(r"\s*\(.*\)\s*$", "", str(label)).strip()


def fold(header) -> str:
    """A header as compared: lower case, no ``*``/``_``/extra spaces, no trailing bracketed hint."""
    text = (
        str(header or "")
        .strip()
        .lower()
        .replace("_", " ")
        .replace("*", "")
        .replace("ё", "е")
        .replace("’", "'")
        .replace("ʼ", "'")
    )
    text = re.sub(r"\s*\(.*\)\s*$", "", text)
    return re.sub(r"\s+", " ", text).strip()


@cache
def _aliases(columns: tuple[Column, ...]) -> dict[str, str]:
    aliases = {}
    for column in columns:
        aliases[fold(column.key)] = column.key
        for language in LANGUAGES:
            with translation.override(language):
                aliases[fold(str(column.label))] = column.key
    return aliases


def header_keys(headers, columns: tuple[Column, ...]) -> list[str | None]:
    """For each header of a file, the key of the column it names (``None``: not ours, ignored)."""
    aliases = _aliases(columns)
    return [aliases.get(fold(header)) for header in headers]


def template_headers(columns: tuple[Column, ...]) -> list[str]:
    """The headers in the active language (the owner's)."""
    return [str(column.label) for column in columns]


def template_example(columns: tuple[Column, ...]) -> list[str]:
    return [column.example for column in columns]
