"""What a card's QR code or barcode carries, shared by everything that prints or scans one.

The payload is the card number, optionally behind the ``KARTKA:`` scheme (wallet passes and the portal print
``KARTKA:<number>`` in QR codes, so a scanner can tell a loyalty card from a product code; plastic cards and
1-D barcodes carry the bare number). Spaces are ignored, as cashiers type them.
"""

PAYLOAD_SCHEME = "KARTKA:"


def card_payload(number: str) -> str:
    """The QR payload to print for a card."""
    return f"{PAYLOAD_SCHEME}{number}"


def card_number_from_payload(payload: str) -> str:
    """The card number a scanned payload stands for ("" if there is none)."""
    text = (payload or "").strip()
    if text[: len(PAYLOAD_SCHEME)].upper() == PAYLOAD_SCHEME:
        text = text[len(PAYLOAD_SCHEME) :]
    return text.replace(" ", "")
