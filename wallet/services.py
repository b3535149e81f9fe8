"""Writes of the wallet: a card's pass comes into being, and notices what it shows has changed.

A pass is created the first time its customer asks for it (``wallet_pass_ensure``). From then on the outbox
consumer (``wallet.receivers``) calls ``passes_refresh`` for the cards an engine change touched: each pass's content
is built again and compared by digest with what was last shown. Only a pass whose content really changed gets a new
``changed_at`` (Apple's Last-Modified and update tag: a device told of an unchanged pass logs an error and may stop
asking) and is marked due: a push for each Apple device that registered it, an update of its Google object (with a
notification when its balance or tier changed, within Google's budget).
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from programs import clock
from programs.models import Card, Program
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record
from themes.tokens import theme_tokens
from wallet.checks import apple_check, google_check
from wallet.content import pass_content, public_origin
from wallet.credentials import GoogleCredentials
from wallet.google import class_suffix_for, google_pass_sync
from wallet.models import AppleRegistration, WalletConfig, WalletPass
from wallet.secrets import SecretsUnavailable, secret_open, secret_seal

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


def programs_with_passes_forget() -> None:
    """Forget which programs this process knows to have passes (tests: a rolled-back test's row ids are used
    again by the next one on SQLite, and must not inherit its answer)."""
    _PROGRAMS_WITH_PASSES.clear()


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


# --- A program's credentials (the admin) -----------------------------------------------------------------------


@dataclass(frozen=True)
class WalletConfigInput:
    """A program's wallet credentials as the owner set them. Text fields are the new values; for each upload
    (``apple_certificate`` … ``google_service_account``) ``None`` keeps what is stored, an empty value removes it and
    anything else replaces it. Certificates are PEM text; the secrets are plaintext bytes, sealed here."""

    apple_pass_type_identifier: str = ""
    apple_team_identifier: str = ""
    apns_key_id: str = ""
    google_issuer_id: str = ""
    apple_certificate: str | None = None
    apple_wwdr: str | None = None
    apple_key: bytes | None = None
    apple_key_password: bytes | None = None
    apns_key: bytes | None = None
    google_service_account: bytes | None = None


TEXT_FIELDS = ("apple_pass_type_identifier", "apple_team_identifier", "apns_key_id", "google_issuer_id")
CERTIFICATE_FIELDS = ("apple_certificate", "apple_wwdr")
# Each secret and the column holding it sealed.
SECRET_FIELDS = {
    "apple_key": "apple_key_sealed",
    "apple_key_password": "apple_key_password_sealed",
    "apns_key": "apns_key_sealed",
    "google_service_account": "google_service_account_sealed",
}
HIDDEN = "••••"


def _fingerprint(data: bytes | str) -> str:
    """What the audit trail says of a certificate or a key: a short digest (a key's digest gives nothing away)."""
    if not data:
        return ""
    data = data.encode() if isinstance(data, str) else data
    return "SHA-256 " + hashlib.sha256(data).hexdigest()[:16]


def _secret_audited(name: str, plain: bytes | None) -> str:
    if not plain:
        return ""
    # A password is short: even its digest could be guessed from, so only its presence is recorded.
    return HIDDEN if name == "apple_key_password" else _fingerprint(plain)


def _stored_secret_audited(name: str, sealed: str) -> str:
    if not sealed:
        return ""
    try:
        return _secret_audited(name, secret_open(sealed))
    except SecretsUnavailable:
        return HIDDEN


def wallet_config_save(*, program: Program, values: WalletConfigInput, actor: Actor) -> WalletConfig:
    """Store ``program``'s own wallet credentials as ``values`` says, the secrets sealed with ``WALLET_SECRETS_KEY``,
    and write one audit row naming what changed (certificates and keys by digest, never their content).

    The form has checked the values (they parse, the key fits the certificate, the ids match it); this only stores
    them. Raises ``SecretsUnavailable`` before writing anything when a secret must be sealed and there is no key.
    Run ``wallet_config_check`` after it to store what is wrong with the result.
    """
    sealed = {}
    for name, column in SECRET_FIELDS.items():
        plain = getattr(values, name)
        if plain is not None:
            sealed[column] = (secret_seal(plain) if plain else "", plain)
    with transaction.atomic():
        config, _created = WalletConfig.objects.select_for_update().get_or_create(program=program)
        changes = {}
        for name in TEXT_FIELDS:
            new = getattr(values, name).strip()
            if getattr(config, name) != new:
                changes[name] = (getattr(config, name), new)
                setattr(config, name, new)
        for name in CERTIFICATE_FIELDS:
            new = getattr(values, name)
            if new is not None and new != getattr(config, name):
                changes[name] = (_fingerprint(getattr(config, name)), _fingerprint(new))
                setattr(config, name, new)
        for name, column in SECRET_FIELDS.items():
            if column not in sealed:
                continue
            new_sealed, plain = sealed[column]
            old = _stored_secret_audited(name, getattr(config, column))
            if not old and not plain:
                continue
            changes[column] = (old, _secret_audited(name, plain))
            setattr(config, column, new_sealed)
        config.full_clean()
        config.save()
        if changes:
            audit_record(
                actor=actor,
                program=program,
                action=AuditAction.WALLET_CREDENTIALS_UPDATE,
                obj=config,
                changes=changes,
            )
    program.wallet_config = config  # what the credentials loaders read from now on
    return config


def wallet_config_check(*, program: Program, actor: Actor) -> WalletConfig:
    """Check ``program``'s Apple and Google credentials (``wallet.checks``) and store what is wrong with them and
    when, creating the program's settings row if it has none (it then still uses the environment's credentials).
    Writes an audit row, with the findings when they changed."""
    with transaction.atomic():
        config, _created = WalletConfig.objects.select_for_update().get_or_create(program=program)
        program.wallet_config = config
        apple, google = apple_check(program), google_check(program)
        changes = {}
        if apple != config.apple_problems:
            changes["apple_problems"] = (config.apple_problems, apple)
        if google != config.google_problems:
            changes["google_problems"] = (config.google_problems, google)
        config.apple_problems, config.google_problems, config.checked_at = apple, google, clock.now()
        config.save(update_fields=["apple_problems", "google_problems", "checked_at"])
        audit_record(actor=actor, program=program, action=AuditAction.WALLET_CHECK, obj=config, changes=changes)
    return config
