"""Secrets a program's owner uploads (the pass certificate's key, the APNs key, the Google service account) are
stored sealed: Fernet (AES-128-CBC + HMAC-SHA256) under a key that lives only in the environment
(``WALLET_SECRETS_KEY``), so a database dump alone gives none of them away.

Without the key nothing can be sealed: the admin says so and keeps the secret out of the database.
``WALLET_SECRETS_KEY`` may hold several keys separated by commas: the first seals, all open (key rotation).
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SecretsUnavailable(Exception):
    """No ``WALLET_SECRETS_KEY`` is set, or none of its keys opens the stored value."""


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in (settings.KARTKA_WALLET_SECRETS_KEY or "").split(",") if key.strip()]
    if not keys:
        raise SecretsUnavailable("WALLET_SECRETS_KEY is not set")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise SecretsUnavailable("WALLET_SECRETS_KEY is not a valid Fernet key") from error


def secrets_available() -> bool:
    try:
        _fernet()
    except SecretsUnavailable:
        return False
    return True


def secret_seal(value: str | bytes) -> str:
    """``value`` sealed for storage ("" stays ""). Raises ``SecretsUnavailable`` without a key."""
    if not value:
        return ""
    data = value.encode() if isinstance(value, str) else value
    return _fernet().encrypt(data).decode("ascii")


def secret_open(sealed: str) -> bytes:
    """The value ``secret_seal`` sealed (b"" for ""). Raises ``SecretsUnavailable`` when no key opens it."""
    if not sealed:
        return b""
    try:
        return _fernet().decrypt(sealed.encode("ascii"))
    except InvalidToken as error:
        raise SecretsUnavailable("the stored secret was sealed with another WALLET_SECRETS_KEY") from error
