"""Phone numbers as customers and cashiers write them: read in the program's country, kept in E.164.

A number written with its country code (``+380 67 123 45 67``, ``00380…``) is read as such anywhere; one written
the local way (``067 123-45-67``, ``8 (999) 123-45-67``) is read in the program's ``country``, falling back to the
install's ``PHONENUMBER_DEFAULT_REGION``. Only numbers ``phonenumbers`` holds valid for their country are accepted.
"""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber


def phone_region_validate(value: str) -> None:
    """A model validator: ``value`` is a two-letter region ``phonenumbers`` knows (``UA``, ``PL``…)."""
    if value and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(_("Enter a two-letter country code such as UA or PL."), code="invalid")


def program_region(program) -> str:
    """The region local numbers are read in for ``program``."""
    return (getattr(program, "country", "") or settings.PHONENUMBER_DEFAULT_REGION or "").upper()


def phone_text(raw: str) -> str | None:
    """``raw`` as ``phonenumbers`` is given it: trimmed, an international ``00`` written as ``+``; ``None`` when empty
    or longer than any number written with its punctuation."""
    text = (raw or "").strip()
    if not text or len(text) > 32:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    return text


def phone_parse(raw: str, *, program) -> PhoneNumber | None:
    """``raw`` as a valid ``PhoneNumber`` (E.164 when printed), read in ``program``'s country; ``None`` if it is not
    a valid number. Letters, spaces, dashes, dots and brackets around the digits are forgiven."""
    text = phone_text(raw)
    if text is None:
        return None
    try:
        number = PhoneNumber.from_string(text, region=program_region(program) or None)
    except phonenumbers.NumberParseException:
        return None
    if not number.is_valid():
        return None
    return number
