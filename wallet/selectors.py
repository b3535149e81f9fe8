"""Reads of the wallet: a pass as Apple wants it, where the web service lives, and what the cabinet offers."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from programs.models import Card, Program
from wallet.apple import pkpass_build
from wallet.content import pass_content, public_origin
from wallet.credentials import CredentialsError, apple_credentials, google_credentials
from wallet.models import AppleRegistration, WalletPass


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


# --- What the admin shows --------------------------------------------------------------------------------------


def _count(queryset, key: str = "program_id") -> Coalesce:
    """A per-program count as a subquery (no join multiplying the program rows, no GROUP BY over them)."""
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def wallet_program_list(*, programs: QuerySet[Program]) -> QuerySet[Program]:
    """``programs`` with their wallet figures, in one query whatever their number: ``wallet_passes`` (passes
    created), ``wallet_apple_devices`` (Apple registrations), ``wallet_google_saved`` (passes saved to Google
    Wallet), ``wallet_last_push_at``, and the program's own ``wallet_config`` (or none) loaded alongside."""
    passes = WalletPass.objects.filter(program_id=OuterRef("pk"))
    registrations = AppleRegistration.objects.filter(wallet_pass__program_id=OuterRef("pk"))
    last_push = registrations.exclude(last_push_at=None).order_by("-last_push_at").values("last_push_at")[:1]
    return programs.select_related("business", "wallet_config").annotate(
        wallet_passes=_count(passes),
        wallet_apple_devices=_count(registrations, "wallet_pass__program_id"),
        wallet_google_saved=_count(passes.exclude(google_saved_at=None)),
        wallet_last_push_at=Subquery(last_push),
    )


def wallet_pushes_recent(*, program: Program, limit: int = 20) -> list[AppleRegistration]:
    """The last ``limit`` pushes to ``program``'s passes, newest first: the registration with its device and card
    (the device's push token is not loaded; nothing here should ever show it)."""
    return list(
        AppleRegistration.objects.filter(wallet_pass__program_id=program.pk)
        .exclude(last_push_at=None)
        .select_related("device", "wallet_pass__card")
        .defer("device__push_token", "wallet_pass__authentication_token")
        .order_by("-last_push_at", "-pk")[:limit]
    )


@dataclass
class CardWalletState:
    """One card's pass as the member page shows it (``wallet_pass`` None: the customer never asked for one)."""

    card: Card
    wallet_pass: WalletPass | None = None
    registrations: list[AppleRegistration] = field(default_factory=list)

    @property
    def last_push(self) -> AppleRegistration | None:
        pushed = [registration for registration in self.registrations if registration.last_push_at]
        return max(pushed, key=lambda registration: registration.last_push_at) if pushed else None

    @property
    def last_push_at(self) -> datetime | None:
        last = self.last_push
        return last.last_push_at if last else None


def card_wallet_states(*, cards: list[Card]) -> list[CardWalletState]:
    """Each of ``cards`` with its pass and the Apple devices that registered it, in two queries."""
    passes = {
        wallet_pass.card_id: wallet_pass
        for wallet_pass in WalletPass.objects.filter(card__in=[card.pk for card in cards]).defer("authentication_token")
    }
    registrations: dict[int, list[AppleRegistration]] = {}
    if passes:
        found = (
            AppleRegistration.objects.filter(wallet_pass__in=[wallet_pass.pk for wallet_pass in passes.values()])
            .select_related("device")
            .defer("device__push_token")
            .order_by("created_at", "pk")
        )
        for registration in found:
            registrations.setdefault(registration.wallet_pass_id, []).append(registration)
    states = []
    for card in cards:
        wallet_pass = passes.get(card.pk)
        states.append(CardWalletState(card, wallet_pass, registrations.get(wallet_pass.pk, []) if wallet_pass else []))
    return states
