"""Keep phones and card numbers out of the logs that name URLs: Django's "Not Found: /api/v1/cards/<number>/…"
warnings and the web server's access lines ("GET /api/v1/lookup/?card_number=…"). Every run of seven or more
digits (a phone, a card number, a scanned payload; ``%2B380…`` too) is cut to its last four: enough to tell two
requests apart, not enough to name anyone."""

import logging
import re

LONG_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,}(?![0-9])")


def mask_numbers(text: str) -> str:
    return LONG_NUMBER.sub(lambda match: "…" + match.group()[-4:], text)


class MaskPersonalData(logging.Filter):
    """A logging filter: the record's message with long numbers masked (its arguments folded in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_numbers(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
