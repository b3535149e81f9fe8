"""Reads of the wallet: a pass as Apple wants it, where the web service lives, and what the cabinet offers."""

from dataclasses import dataclass

from django.urls import reverse

from programs.models import Card
from wallet.apple import pkpass_build
from wallet.content import pass_content, public_origin
from wallet.credentials import CredentialsError, apple_credentials, google_credentials
from wallet.models import WalletPass


def web_service_url(program) -> str:
    """The PassKit ``webServiceURL`` of ``program``'s passes ("" without a public origin; the Apple builder leaves
    it out unless it is https, since phones refuse anything else)."""
    origin = public_origin(program)
    return f"{origin}/wallet/apple" if origin else ""


def pass_pkpass(wallet_pass: WalletPass) -> bytes:
    """The signed ``.pkpass`` of ``wallet_pass`` as it is now. Raises ``CredentialsError`` when the program's
    credentials can't be read, ``LookupError`` when it has none."""
    program = wallet_pass.card.program
    credentials = apple_credentials(program)
    if credentials is None:
        raise LookupError("Apple Wallet is not set up for this program")
    return pkpass_build(pass_content(wallet_pass), credentials, web_service_url=web_service_url(program))


@dataclass(frozen=True)
class WalletButtons:
    apple_url: str = ""
    apple_installed: bool = False
    google_url: str = ""
    google_saved: bool = False

    @property
    def any(self) -> bool:
        return bool(self.apple_url or self.google_url)


def _configured(loader, program) -> bool:
    try:
        return loader(program) is not None
    except CredentialsError:
        return False


def wallet_buttons(*, card: Card, program) -> WalletButtons:
    """What the cabinet offers for ``card``: "Add to Apple Wallet" when Apple is configured for the program, "Save
    to Google Wallet" when Google is, each "open" instead once the card is there. No buttons for a card that is
    not active."""
    if card.status != "active":
        return WalletButtons()
    apple = _configured(apple_credentials, program)
    google = _configured(google_credentials, program)
    if not apple and not google:
        return WalletButtons()
    wallet_pass = WalletPass.objects.filter(card=card).only("pk", "google_saved_at").first()
    installed = wallet_pass is not None and wallet_pass.registrations.exists() if apple else False
    return WalletButtons(
        apple_url=reverse("wallet:apple_pass", args=[card.pk]) if apple else "",
        apple_installed=installed,
        google_url=reverse("wallet:google_pass", args=[card.pk]) if google else "",
        google_saved=bool(wallet_pass and wallet_pass.google_saved_at) if google else False,
    )
