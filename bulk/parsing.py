"""Reading one cell: phones, card numbers, dates, amounts, yes/no and gender as owners write them in en/ru/uk.

Each parser returns the value or raises ``CellError`` with the reason in the active language.
"""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from programs.choices import Gender
from programs.phones import phone_text, program_region

CARD_NUMBER = re.compile(r"^[A-Za-z0-9-]{4,32}$")
YES = {"yes", "y", "1", "true", "+", "да", "д", "так", "т", "x", "✓"}
NO = {"no", "n", "0", "false", "-", "нет", "н", "ні"}
GENDERS = {
    Gender.FEMALE: ("f", "w", "female", "woman", "ж", "жен", "женский", "женщина", "жіноча", "жінка"),
    Gender.MALE: ("m", "male", "man", "м", "муж", "мужской", "мужчина", "ч", "чол", "чоловіча", "чоловік"),
    Gender.OTHER: ("x", "other", "другое", "другой", "інше", "інша"),
}
GENDER_OF = {word: gender for gender, words in GENDERS.items() for word in words}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y")


class CellError(ValueError):
    pass


E164 = phonenumbers.PhoneNumberFormat.E164


def phone_region(program) -> str | None:
    """The region ``programs.phones.phone_parse`` reads ``program``'s local numbers in, as it passes it on."""
    return program_region(program) or getattr(settings, "PHONENUMBER_DEFAULT_REGION", None)


def phone_e164(raw: str, *, region: str | None) -> str | None:
    """``programs.phones.phone_parse(raw, program=…).as_e164`` for a program of ``region`` (``phone_region``), or
    ``None`` where that is ``None``: the same steps and the same ``phonenumbers`` calls, without the model field's
    ``PhoneNumber`` and its kept raw input (which neither the validity nor the E.164 form reads), a third less
    time per row. ``tests/bulk/test_parsing.py`` holds the two equal on thousands of numbers."""
    text = phone_text(raw)
    if text is None:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, E164)


def text(value, *, max_length: int, label: str) -> str:
    value = str(value).strip()
    if len(value) > max_length:
        raise CellError(_("%(field)s is longer than %(max)s characters.") % {"field": label, "max": max_length})
    return value


def card_number(value) -> str:
    number = str(value).strip().replace(" ", "")
    if not CARD_NUMBER.match(number):
        raise CellError(_("The card number may hold only 4–32 letters, digits and dashes."))
    return number


def day(value, *, label: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    if len(raw) == 10 and raw[4] == "-":
        try:
            return date.fromisoformat(raw)  # the template's own format, without strptime's cost
        except ValueError:
            pass
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise CellError(_("%(field)s is not a date (write it as 2025-12-31 or 31.12.2025).") % {"field": label})


def amount(value, *, label: str, whole: bool = False, signed: bool = False) -> Decimal:
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellError(_("%(field)s is not a number.") % {"field": label}) from None
    if not number.is_finite():
        raise CellError(_("%(field)s is not a number.") % {"field": label})
    if number < 0 and not signed:
        raise CellError(_("%(field)s is negative.") % {"field": label})
    if whole and number != number.to_integral_value():
        raise CellError(_("%(field)s must be a whole number.") % {"field": label})
    if number != number.quantize(Decimal("0.01")):
        raise CellError(_("%(field)s has more than two decimals.") % {"field": label})
    if abs(number) >= Decimal("1e10"):
        raise CellError(_("%(field)s is too large.") % {"field": label})
    return number.quantize(Decimal("0.01"))


def yes_no(value, *, label: str) -> bool:
    word = str(value).strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise CellError(_("%(field)s: write yes or no.") % {"field": label})


def gender(value) -> str:
    word = str(value).strip().lower().rstrip(".")
    if word in GENDER_OF:
        return GENDER_OF[word]
    raise CellError(_("Gender: write f, m or x."))


def email(value) -> str:
    address = str(value).strip()
    if not email_valid(address):
        raise CellError(_("The e-mail address is not valid."))
    return address


# Django's own test of the part before the "@", compiled here (its lazy pattern costs an indirection per use).
EMAIL_USER = re.compile(validate_email.user_regex.pattern, validate_email.user_regex.flags)
EMAIL_DOMAINS_KEPT = 10_000
_email_domains: dict[str, bool] = {}


def email_valid(address: str) -> bool:
    """Django's ``validate_email`` verdict on ``address``, its steps in its order, with each domain's verdict kept
    (a file's addresses share a few domains; at most ``EMAIL_DOMAINS_KEPT`` of them). ``tests/bulk/test_parsing.py``
    holds it equal to ``validate_email`` on thousands of addresses."""
    if not address or "@" not in address or len(address) > 320:
        return False
    user_part, domain_part = address.rsplit("@", 1)
    if not EMAIL_USER.match(user_part):
        return False
    verdict = _email_domains.get(domain_part)
    if verdict is None:
        verdict = domain_part in validate_email.domain_allowlist or validate_email.validate_domain_part(domain_part)
        if len(_email_domains) < EMAIL_DOMAINS_KEPT:
            _email_domains[domain_part] = verdict
    return verdict
