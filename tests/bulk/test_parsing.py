"""Reading cells: the import's own phone check gives exactly what the engine's ``phone_parse`` gives."""

import random

import phonenumbers
import pytest

from bulk.parsing import phone_e164, phone_region
from programs.factories import ProgramFactory
from programs.phones import phone_parse

FORMATS = (
    phonenumbers.PhoneNumberFormat.E164,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.RFC3966,
)
REGIONS = ("UA", "PL", "DE", "IT", "US", "GB", "KZ", "RU", "AR", "MX", "BR", "IN", "")


def _numbers(region: str, rng: random.Random) -> list[str]:
    """Numbers as owners' files hold them: valid ones of every type in every way of writing, and broken ones."""
    out = []
    for kind in phonenumbers.PhoneNumberType.values():
        example = phonenumbers.example_number_for_type(region or "UA", kind)
        if example is None:
            continue
        for form in FORMATS:
            written = phonenumbers.format_number(example, form)
            out += [written, written.replace("+", "00"), f" {written} ", f"{written} ext. 12", written[:-1]]
        digits = str(example.national_number)
        for _ in range(40):
            # The example with a few digits changed, dropped or added: valid or not, parse must agree.
            mutated = list(digits)
            for _ in range(rng.randint(1, 3)):
                mutated[rng.randrange(len(mutated))] = str(rng.randrange(10))
            if rng.random() < 0.3:
                mutated.insert(rng.randrange(len(mutated) + 1), str(rng.randrange(10)))
            if rng.random() < 0.3 and len(mutated) > 3:
                del mutated[rng.randrange(len(mutated))]
            body = "".join(mutated)
            out += [f"+{example.country_code}{body}", f"00{example.country_code} {body}", body, f"0{body}", f"8{body}"]
    for _ in range(300):
        length = rng.randint(1, 20)
        body = "".join(rng.choice("0123456789") for _ in range(length))
        out += [f"+{body}", body, f"({body[:3]}) {body[3:]}", f"{body}abc", f"+{body[:2]}-{body[2:]}"]
    out += ["", " ", "+", "00", "0", "+0", "abc", "+380 67 123 45 67", "٠٦٧١٢٣٤٥٦٧٨"]
    out += ["+3806712345678901234567890123456789"]  # longer than 32: refused before parsing
    return out


@pytest.mark.parametrize("region", REGIONS)
def test_the_imports_phone_check_equals_phone_parse(region, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "UA"
    program = ProgramFactory.build(country=region)
    rng = random.Random(region)
    numbers = _numbers(region, rng)
    valid = 0
    for raw in numbers:
        parsed = phone_parse(raw, program=program)
        expected = parsed.as_e164 if parsed is not None else None
        assert phone_e164(raw, region=phone_region(program)) == expected, raw
        valid += expected is not None
    # Both verdicts are well represented, or the equality would prove little.
    assert len(numbers) > 2000
    assert valid > 200
    assert len(numbers) - valid > 1000


def test_with_no_region_anywhere_only_international_numbers_are_read(settings):
    settings.PHONENUMBER_DEFAULT_REGION = None
    program = ProgramFactory.build(country="")
    for raw in ("+380671234567", "0671234567", "00380671234567", "67 123 45 67"):
        parsed = phone_parse(raw, program=program)
        assert phone_e164(raw, region=phone_region(program)) == (parsed.as_e164 if parsed else None)
    assert phone_e164("0671234567", region=phone_region(program)) is None
    assert phone_e164("+380671234567", region=phone_region(program)) == "+380671234567"


def _addresses(rng: random.Random) -> list[str]:
    users = ["olena", "o.k", "o..k", ".ok", "ok.", "o+k", "o k", '"o k"', '"o\\"k"', "о", "x" * 64, "x" * 65, "", "a@b"]
    domains = [
        "example.com",
        "gmail.com",
        "mail.ua",
        "localhost",
        "example",
        "ex_ample.com",
        "-example.com",
        "example-.com",
        "exam-ple.com.ua",
        "пошта.укр",
        "xn--80a1acny.xn--j1amh",
        "[127.0.0.1]",
        "[::1]",
        "[IPv6:::1]",
        "[300.1.1.1]",
        "example.c",
        "example.123",
        "a" * 63 + ".com",
        "a" * 64 + ".com",
        ".example.com",
        "example..com",
        "",
        "example.com.",
    ]
    out = [f"{user}@{domain}" for user in users for domain in domains]
    alphabet = "abcxyz0129.-_+@\"[]:' пі"
    for _ in range(3000):
        user = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        out += [f"{user}@{rng.choice(domains)}", user, f"{user}@{user}.com", "x" * 310 + f"{user}@example.com"]
    return out


def test_the_imports_email_check_equals_djangos_validate_email():
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from bulk.parsing import email_valid

    addresses = _addresses(random.Random(14))
    valid = 0
    for address in addresses * 2:  # twice: the second time, the kept domains' verdicts answer
        try:
            validate_email(address)
            expected = True
        except ValidationError:
            expected = False
        assert email_valid(address) is expected, address
        valid += expected
    assert valid > 600
    assert len(addresses) * 2 - valid > 1000
