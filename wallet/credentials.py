"""Which credentials sign and send a program's passes: the program's own (``WalletConfig``, set in the admin) or
else the install-wide ones from the environment (``settings.KARTKA_WALLET_*``).

``apple_credentials(program)`` / ``google_credentials(program)`` return them loaded (certificates parsed, secrets
opened) or ``None`` when the program has none at all, so callers only ask "configured?" once. They do not say the
credentials *work*: ``wallet.apple.apple_problems`` and ``wallet.google.google_problems`` do (chain, expiry, ids),
for ``manage.py wallet_check`` and the admin.
A program's ``WalletConfig`` counts for Apple when it has a pass type id, for Google when it has an issuer id.
"""

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings

from wallet.models import WalletConfig
from wallet.secrets import SecretsUnavailable, secret_open

logger = logging.getLogger(__name__)


class CredentialsError(Exception):
    """Credentials are present but cannot be read (bad PEM, wrong key password, unreadable file, sealed with
    another key): the message says which, in plain words, without the secret."""


@dataclass(frozen=True)
class AppleCredentials:
    pass_type_identifier: str
    team_identifier: str
    certificate: x509.Certificate
    key: PrivateKeyTypes
    wwdr: x509.Certificate | None
    apns_key_id: str = ""
    apns_key: PrivateKeyTypes | None = None  # the .p8 token key (P-256)
    source: str = "environment"  # or "program"

    @property
    def can_push(self) -> bool:
        return bool(self.apns_key_id and self.apns_key is not None)


@dataclass(frozen=True)
class GoogleCredentials:
    issuer_id: str
    service_account: dict  # the JSON key: client_email, private_key, private_key_id, token_uri
    source: str = "environment"

    @property
    def email(self) -> str:
        return self.service_account.get("client_email", "")


def text_from_setting(value: str) -> bytes:
    """A setting holding either a file path or the text itself (a PEM block, a JSON object)."""
    value = value.strip()
    if not value:
        return b""
    if value.startswith(("-----BEGIN", "{")):
        return value.encode()
    try:
        return Path(value).expanduser().read_bytes()
    except OSError as error:
        raise CredentialsError(f"cannot read {value}: {error.strerror}") from error


def certificate_load(data: bytes, what: str) -> x509.Certificate:
    """A certificate from PEM or DER bytes."""
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError as error:
        raise CredentialsError(f"the {what} is not a PEM or DER certificate") from error


@lru_cache(maxsize=32)
def _private_key(data: bytes, password: bytes) -> PrivateKeyTypes:
    """The key of a PEM, parsed once per process: loading an RSA key checks it, which takes ~40 ms on a 2-core box,
    and credentials are read for every pass download and every push round (key objects are immutable)."""
    return serialization.load_pem_private_key(data, password=password or None)


def key_load(data: bytes, what: str, password: bytes = b"") -> PrivateKeyTypes:
    try:
        return _private_key(data, password)
    except TypeError as error:  # encrypted without a password, or a password for an unencrypted key
        raise CredentialsError(f"the {what} needs a password, or was given one it does not need") from error
    except ValueError as error:
        raise CredentialsError(f"the {what} is not a PEM private key, or its password is wrong") from error


def _opened(sealed: str, what: str) -> bytes:
    try:
        return secret_open(sealed)
    except SecretsUnavailable as error:
        raise CredentialsError(f"the {what} cannot be opened: {error}") from error


def wallet_config_of(program) -> WalletConfig | None:
    """The program's own settings, or ``None`` (also for no program; Django caches the answer on the row, a
    missing one too)."""
    if program is None:
        return None
    try:
        return program.wallet_config
    except WalletConfig.DoesNotExist:
        return None


def _wwdr(config) -> x509.Certificate | None:
    data = config.apple_wwdr.encode() if config is not None and config.apple_wwdr.strip() else b""
    data = data or text_from_setting(settings.KARTKA_WALLET_APPLE_WWDR)
    return certificate_load(data, "WWDR intermediate certificate") if data else None


def apple_credentials(program=None) -> AppleCredentials | None:
    """The Apple credentials ``program``'s passes are signed and pushed with, or ``None`` when neither the program
    nor the install has a pass type id and certificate. Raises ``CredentialsError`` when they can't be read."""
    config = wallet_config_of(program)
    if config is not None and config.apple_pass_type_identifier:
        password = _opened(config.apple_key_password_sealed, "certificate key's password")
        apns_key = _opened(config.apns_key_sealed, "APNs key")
        return AppleCredentials(
            pass_type_identifier=config.apple_pass_type_identifier,
            team_identifier=config.apple_team_identifier,
            certificate=certificate_load(config.apple_certificate.encode(), "pass certificate"),
            key=key_load(_opened(config.apple_key_sealed, "certificate key"), "certificate key", password),
            wwdr=_wwdr(config),
            apns_key_id=config.apns_key_id,
            apns_key=key_load(apns_key, "APNs key") if apns_key else None,
            source="program",
        )
    if not (settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID and settings.KARTKA_WALLET_APPLE_CERTIFICATE):
        return None
    apns_key = text_from_setting(settings.KARTKA_WALLET_APNS_KEY)
    return AppleCredentials(
        pass_type_identifier=settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID,
        team_identifier=settings.KARTKA_WALLET_APPLE_TEAM_ID,
        certificate=certificate_load(text_from_setting(settings.KARTKA_WALLET_APPLE_CERTIFICATE), "pass certificate"),
        key=key_load(
            text_from_setting(settings.KARTKA_WALLET_APPLE_KEY),
            "certificate key",
            settings.KARTKA_WALLET_APPLE_KEY_PASSWORD.encode(),
        ),
        wwdr=_wwdr(None),
        apns_key_id=settings.KARTKA_WALLET_APNS_KEY_ID,
        apns_key=key_load(apns_key, "APNs key") if apns_key else None,
    )


def _service_account(data: bytes) -> dict:
    try:
        info = json.loads(data)
    except ValueError as error:
        raise CredentialsError("the Google service account key is not JSON") from error
    if not isinstance(info, dict) or not info.get("client_email") or not info.get("private_key"):
        raise CredentialsError("the Google service account key has no client_email or private_key")
    return info


def google_credentials(program=None) -> GoogleCredentials | None:
    """The Google issuer and service account ``program``'s passes are written with, or ``None`` when neither the
    program nor the install has them. Raises ``CredentialsError`` when they can't be read."""
    config = wallet_config_of(program)
    if config is not None and config.google_issuer_id:
        data = _opened(config.google_service_account_sealed, "Google service account key")
        return GoogleCredentials(config.google_issuer_id, _service_account(data), source="program")
    if not (settings.KARTKA_WALLET_GOOGLE_ISSUER_ID and settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT):
        return None
    data = text_from_setting(settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT)
    return GoogleCredentials(settings.KARTKA_WALLET_GOOGLE_ISSUER_ID, _service_account(data))
