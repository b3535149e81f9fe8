"""Where a program's wallet credentials come from and what is wrong with them, in plain words: what
``WalletConfig.apple_problems`` / ``google_problems`` hold after a check, and what the admin shows.

The sources are read without loading anything (no query once ``program.wallet_config`` is cached, no crypto), so a
listing can say "from the program / from the environment / not configured" for every row. The problems need the
credentials loaded and a trial signature (``apple_problems`` / ``google_problems``), so they are worked out only when
someone asks for a check and are stored with its time.
"""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

from wallet.apple import apple_problems
from wallet.choices import CredentialSource
from wallet.credentials import CredentialsError, apple_credentials, google_credentials, wallet_config_of
from wallet.google import google_problems


def apple_source(program) -> CredentialSource:
    """Which Apple credentials sign ``program``'s passes (the rule of ``wallet.credentials.apple_credentials``)."""
    config = wallet_config_of(program)
    if config is not None and config.apple_pass_type_identifier:
        return CredentialSource.PROGRAM
    if settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID and settings.KARTKA_WALLET_APPLE_CERTIFICATE:
        return CredentialSource.ENVIRONMENT
    return CredentialSource.NONE


def google_source(program) -> CredentialSource:
    """Which Google issuer writes ``program``'s passes (the rule of ``wallet.credentials.google_credentials``)."""
    config = wallet_config_of(program)
    if config is not None and config.google_issuer_id:
        return CredentialSource.PROGRAM
    if settings.KARTKA_WALLET_GOOGLE_ISSUER_ID and settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT:
        return CredentialSource.ENVIRONMENT
    return CredentialSource.NONE


def _unreadable(error: CredentialsError) -> str:
    return gettext("The credentials cannot be read: %(error)s.") % {"error": error}


def apple_check(program) -> list[str]:
    """What is wrong with ``program``'s Apple credentials (empty: healthy, or none configured)."""
    try:
        credentials = apple_credentials(program)
    except CredentialsError as error:
        return [_unreadable(error)]
    return apple_problems(credentials) if credentials is not None else []


def google_check(program) -> list[str]:
    """What is wrong with ``program``'s Google credentials (empty: healthy, or none configured)."""
    try:
        credentials = google_credentials(program)
    except CredentialsError as error:
        return [_unreadable(error)]
    return google_problems(credentials) if credentials is not None else []


@dataclass(frozen=True)
class WalletHealth:
    """One wallet of one program as the admin says it: where its credentials come from and the last check."""

    source: CredentialSource
    problems: list[str]
    checked: bool

    @property
    def configured(self) -> bool:
        return self.source != CredentialSource.NONE

    @property
    def healthy(self) -> bool:
        return self.configured and self.checked and not self.problems


def wallet_health(program) -> tuple[WalletHealth, WalletHealth]:
    """Apple's and Google's ``WalletHealth`` for ``program`` from its stored check (no query once
    ``program.wallet_config`` is cached)."""
    config = wallet_config_of(program)
    checked = config is not None and config.checked_at is not None
    return (
        WalletHealth(apple_source(program), list(config.apple_problems) if checked else [], checked),
        WalletHealth(google_source(program), list(config.google_problems) if checked else [], checked),
    )
