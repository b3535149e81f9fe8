"""The signature receivers check: ``Kartka-Signature: t=<unix time>,v1=<hex HMAC-SHA256>``.

The MAC is over ``f"{t}.".encode() + body`` (the raw body bytes) with the endpoint's secret as the key, so a
receiver needs nothing but the header, the bytes it received and the secret. The timestamp is inside the MAC and
new on every attempt: receivers refuse old ones (docs/api.md suggests five minutes) and replays die with it.
"""

import hashlib
import hmac

SCHEME = "v1"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={signature(secret=secret, timestamp=timestamp, body=body)}"
