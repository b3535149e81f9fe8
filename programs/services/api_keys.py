"""API keys of the POS/CRM API: creation, revocation and the check every API call makes.

A key reads ``kk_<prefix>_<secret>``. The prefix is public (the admin lists it) and finds the row; only the
SHA-256 of the secret is stored. The secret carries 256 random bits, so a fast hash is as safe as a slow one and
keeps the check cheap on the hot path.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from programs import clock
from programs.errors import InvalidInput
from programs.models import ApiKey, IdempotencyRecord, Program, Store
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record

KEY_PATTERN = re.compile(r"^kk_(?P<prefix>[a-z0-9]{6,32})_(?P<secret>[A-Za-z0-9_-]{20,100})$")
# last_used_at is written at most this often per key.
TOUCH_INTERVAL = timedelta(minutes=1)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    # The whole key, to show once; only its hash is stored.
    plaintext: str


@transaction.atomic
def api_key_create(
    *, program: Program, name: str, actor: Actor, store: Store | None = None, plaintext: str | None = None
) -> CreatedApiKey:
    """Create a key for ``program`` (a store key when ``store`` is given) and return it with its plaintext.

    ``plaintext`` fixes the key instead of drawing one (the demo seed only: its key is printed in the README).
    Raises ``InvalidInput`` for an empty name, a store of another program or a malformed fixed key.
    """
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Please give the key a name."), field="name")
    if store is not None and store.program_id != program.pk:
        raise InvalidInput(_("The store belongs to another program."), field="store")
    if plaintext is None:
        prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        plaintext = f"kk_{prefix}_{secret}"
    else:
        match = KEY_PATTERN.match(plaintext)
        if match is None:
            raise InvalidInput(_("An API key reads kk_<prefix>_<secret>."), field="plaintext")
        prefix, secret = match["prefix"], match["secret"]
    api_key = ApiKey(
        program=program,
        store=store,
        name=name[:100],
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        created_by=actor.user,
        created_at=clock.now(),
    )
    api_key.full_clean(validate_constraints=False)
    api_key.save()
    audit_record(
        actor=actor,
        program=program,
        action=AuditAction.API_KEY_CREATE,
        obj=api_key,
        changes={"prefix": (None, prefix), "store": (None, store.code if store else None)},
    )
    return CreatedApiKey(api_key=api_key, plaintext=plaintext)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: Actor, reason: str = "") -> ApiKey:
    """Revoke a key: from now on every call with it answers 401. Revoking a revoked key changes nothing."""
    api_key = ApiKey.objects.select_for_update().select_related("program__business").get(pk=api_key.pk)
    if api_key.revoked_at is not None:
        return api_key
    api_key.revoked_at = clock.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        program=api_key.program,
        action=AuditAction.API_KEY_REVOKE,
        obj=api_key,
        changes={"revoked_at": (None, api_key.revoked_at)},
        reason=(reason or "").strip()[:300],
    )
    return api_key


def api_key_authenticate(*, text: str, now: datetime | None = None) -> ApiKey | None:
    """The live key ``text`` stands for, with its program and store loaded; ``None`` if it is malformed, unknown
    or revoked. Records the use (at most once a minute per key, a single conditional UPDATE)."""
    match = KEY_PATTERN.match(text or "")
    if match is None:
        return None
    api_key = (
        ApiKey.objects.filter(prefix=match["prefix"], revoked_at__isnull=True)
        .select_related("program", "store")
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, _secret_hash(match["secret"])):
        return None
    now = now or clock.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= TOUCH_INTERVAL:
        ApiKey.objects.filter(pk=api_key.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - TOUCH_INTERVAL)
        ).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def idempotency_records_purge(*, before: datetime) -> int:
    """Forget the answers of API writes made before ``before`` (one set-based DELETE). Returns how many."""
    deleted, _counts = IdempotencyRecord.objects.filter(created_at__lt=before).delete()
    return deleted
