"""Writes of the wallet: a card's pass comes into being, and notices what it shows has changed.

A pass is created the first time its customer asks for it (``wallet_pass_ensure``). From then on the outbox
consumer (``wallet.receivers``) calls ``passes_refresh`` for the cards an engine change touched: each pass's content
is built again and compared by digest with what was last shown. Only a pass whose content really changed gets a new
``changed_at`` (Apple's Last-Modified and update tag: a device told of an unchanged pass logs an error and may stop
asking) and is marked due: a push for each Apple device that registered it, an update of its Google object (with a
notification when its balance or tier changed, within Google's budget).
"""

import logging
import time
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from programs import clock
from programs.models import Card
from themes.tokens import theme_tokens
from wallet.content import pass_content, public_origin
from wallet.credentials import GoogleCredentials
from wallet.google import class_suffix_for, google_pass_sync
from wallet.models import AppleRegistration, WalletPass

logger = logging.getLogger(__name__)

# Programs known to have passes, per process: {program_id: (known until (monotonic), has passes)}.
_PROGRAMS_WITH_PASSES: dict[int, tuple[float, bool]] = {}
PROGRAMS_WITH_PASSES_SECONDS = 60.0


def program_has_passes(program_id: int) -> bool:
    """Whether any card of the program has a wallet pass (asked after every engine commit, so answered from a
    per-process memory for a minute; a pass created meanwhile in another process is found by the minute sweep)."""
    known = _PROGRAMS_WITH_PASSES.get(program_id)
    now = time.monotonic()
    if known is not None and known[0] > now:
        return known[1]
    found = WalletPass.objects.filter(program_id=program_id).exists()
    _PROGRAMS_WITH_PASSES[program_id] = (now + PROGRAMS_WITH_PASSES_SECONDS, found)
    return found


def _wallet_pass_get(card: Card) -> WalletPass | None:
    return WalletPass.objects.select_related("card__member__tier", "card__program__business").filter(card=card).first()


def last_modified(changed_at: datetime) -> datetime:
    """The pass's ``Last-Modified``: its change time rounded up to a whole second (HTTP dates have no fractions),
    so a device that fetched it earlier in that second still gets this version."""
    whole = changed_at.replace(microsecond=0)
    return whole if whole == changed_at else whole + timedelta(seconds=1)


def wallet_pass_ensure(*, card: Card) -> WalletPass:
    """The pass of ``card``, created on first use with its serial, token and the digest of what it shows.

    Safe against two first requests at once (one row per card is a database constraint; the loser reads the
    winner's row)."""
    existing = _wallet_pass_get(card)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            wallet_pass = WalletPass.objects.create(program_id=card.program_id, card=card, changed_at=clock.now())
    except IntegrityError:
        return _wallet_pass_get(card)
    wallet_pass = _wallet_pass_get(card)
    content = pass_content(wallet_pass)
    WalletPass.objects.filter(pk=wallet_pass.pk).update(content_hash=content.content_hash)
    wallet_pass.content_hash = content.content_hash
    _PROGRAMS_WITH_PASSES[card.program_id] = (time.monotonic() + PROGRAMS_WITH_PASSES_SECONDS, True)
    return wallet_pass


def passes_refresh(
    *,
    card_ids: set[int],
    member_ids: set[int] = frozenset(),
    notify_card_ids: set[int] = frozenset(),
    notify_member_ids: set[int] = frozenset(),
) -> list[int]:
    """Build again the passes of these cards (and of every card of these members) and mark the changed ones due.

    Returns the ids of the passes whose content changed. Runs in the caller's transaction (the outbox consumer's),
    so the marks commit with the consumer's cursor. ``notify_card_ids`` / ``notify_member_ids``: cards (members)
    whose change deserves a notification on Google (balance, tier); the rest update silently.
    """
    if not card_ids and not member_ids:
        return []
    passes = list(
        WalletPass.objects.select_related("card__member__tier", "card__program__business")
        .filter(Q(card_id__in=card_ids) | Q(card__member_id__in=member_ids))
        .order_by("pk")
    )
    changed = []
    now = clock.now()
    for wallet_pass in passes:
        content = pass_content(wallet_pass, at=now)
        if content.content_hash == wallet_pass.content_hash:
            continue
        # Past the whole second the last change is dated by (HTTP dates have whole seconds), so a device that
        # fetched the pass within that second is never answered 304 for this change.
        changed_at = max(now, last_modified(wallet_pass.changed_at) + timedelta(microseconds=1))
        fields = {"content_hash": content.content_hash, "changed_at": changed_at}
        if wallet_pass.google_object_id:
            fields["google_due_at"] = now
            if wallet_pass.card_id in notify_card_ids or wallet_pass.card.member_id in notify_member_ids:
                fields["google_notify"] = True
        WalletPass.objects.filter(pk=wallet_pass.pk).update(**fields)
        changed.append(wallet_pass.pk)
    if changed:
        apple_pushes_schedule(pass_ids=changed, at=now)
    return changed


def apple_pushes_schedule(*, pass_ids: list[int], at: datetime | None = None) -> int:
    """Make a push due ``at`` (default: now) to every device that registered one of ``pass_ids``, with a fresh
    retry count. Unconditional on purpose: it also overrides a push in flight, which then stays due (``tasks``
    clears a push only if its due time is still the one it claimed). Returns how many registrations it touched."""
    return AppleRegistration.objects.filter(wallet_pass_id__in=pass_ids).update(
        push_due_at=at or clock.now(), push_attempts=0
    )


def google_logo_url(program, tokens_logo_url: str) -> str:
    """The theme's logo as an absolute URL Google can fetch ("" unless it is https: Google fetches images itself)."""
    if not tokens_logo_url:
        return ""
    url = tokens_logo_url if "://" in tokens_logo_url else public_origin(program) + tokens_logo_url
    return url if url.startswith("https://") else ""


def google_pass_write(wallet_pass: WalletPass, *, credentials: GoogleCredentials, client=None) -> str:
    """Write ``wallet_pass`` to Google Wallet as it is now (its class, then its object; see
    ``wallet.google.google_pass_sync`` for the notification budget, retries and what is recorded)."""
    program = wallet_pass.card.program
    content = pass_content(wallet_pass)
    return google_pass_sync(
        wallet_pass,
        content,
        credentials=credentials,
        client=client,
        class_suffix=class_suffix_for(program_id=program.pk, card_type_id=wallet_pass.card.card_type_id),
        logo_url=google_logo_url(program, theme_tokens(program).logo_url),
    )
