"""The functions django-q2 runs for Apple Wallet: sending the update pushes that are due, the sweep that does it
every minute, and the daily upkeep (declared when the app is ready, like ``webhooks.tasks``, and written after
every migrate).

A push is due when its registration's ``push_due_at`` has come. Whatever changes a pass makes its pushes due with
``services.apple_pushes_schedule`` (which sets ``push_due_at`` to now **unconditionally**: a push being sent holds a
time in the future, and overwriting it is how a change that arrives mid-flight gets its own push), then sends them
after commit for speed (``changes_send``); the minute sweep sends whatever is left.

Sending is lock-free but safe to run twice at once: a batch is claimed by moving each ``push_due_at`` from the value
read to ``now + IN_FLIGHT`` with a conditional UPDATE, so only one worker sends a push; afterwards a registration is
cleared only if ``push_due_at`` still holds the claimed value. A worker that dies mid-batch leaves its claims to fall
due again ``IN_FLIGHT`` later.
"""

import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

from programs import clock
from programs.models import Program
from wallet.apns import PRODUCTION_URL, PushResult, apns_client
from wallet.credentials import AppleCredentials, CredentialsError, apple_credentials, google_credentials
from wallet.google import GoogleWalletClient
from wallet.models import AppleDevice, AppleRegistration, WalletPass
from wallet.services import google_pass_write, passes_refresh

logger = logging.getLogger(__name__)

SCHEDULES = {
    # name: (function path, schedule type, minutes)
    "kartka.wallet_sweep": ("wallet.tasks.wallet_sweep", "I", 1),
    "kartka.wallet_forget_old": ("wallet.tasks.wallet_forget_old", "D", None),
}

BATCH = 200  # registrations per round
IN_FLIGHT = timedelta(minutes=2)  # a claim's hold; a push takes at most KARTKA_WALLET_APNS_TIMEOUT (10 s)
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1))
MAX_ATTEMPTS = 8  # ~4.7 h of trying, then the push is given up (the next change makes a new one)
UNREACHABLE_AFTER = 3  # pushes in a row without an answer end the round for those credentials
SWEEP_BUDGET_SECONDS = 50  # the sweep runs every minute
DEVICE_RETENTION = timedelta(days=1)  # a device with no pass left is forgotten after this


@dataclass(frozen=True)
class _Due:
    """A due registration as read: ``due_at`` is the value the claim is conditional on."""

    pk: int
    device_id: int
    token: str
    device_updated_at: datetime
    program_id: int
    due_at: datetime
    attempts: int


def due_rows(registrations, *, limit: int | None = None) -> list[_Due]:
    """``registrations`` (a queryset) read as ``_Due`` rows, the first ``limit`` of them."""
    values = registrations.values_list(
        "pk",
        "device_id",
        "device__push_token",
        "device__updated_at",
        "wallet_pass__program_id",
        "push_due_at",
        "push_attempts",
    )
    return [_Due(*row) for row in (values[:limit] if limit else values)]


def _backoff(attempts: int) -> timedelta:
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _credentials(program: Program) -> tuple[AppleCredentials | None, str]:
    """The program's credentials when they can push, else ``None`` and why not (in words for the log)."""
    try:
        credentials = apple_credentials(program)
    except CredentialsError as error:
        return None, f"its Apple credentials cannot be read ({error})"
    if credentials is None:
        return None, "neither the program nor the install has Apple Wallet credentials"
    if not credentials.can_push:
        return None, "its Apple credentials have no APNs key (key id and .p8 key)"
    if not isinstance(credentials.apns_key, ec.EllipticCurvePrivateKey):
        return None, "its APNs key is not an APNs token key (a P-256 .p8 key)"
    return credentials, ""


def _claim(rows: list[_Due], until: datetime) -> list[_Due]:
    """The rows this worker now owns: each moved from the ``push_due_at`` it was read with to ``until``, in
    primary-key order (two workers lock rows in the same order), in one transaction."""
    claimed = []
    with transaction.atomic():
        for row in sorted(rows, key=lambda row: row.pk):
            if AppleRegistration.objects.filter(pk=row.pk, push_due_at=row.due_at).update(push_due_at=until):
                claimed.append(row)
    return claimed


def _token_dead(result: PushResult) -> bool:
    """Apple says the token will never work again for this pass type: 410 Unregistered, or 400 BadDeviceToken.
    The latter only from the production host: Wallet tokens are production tokens, so against the sandbox *every*
    token is "bad", and believing it would forget every registration."""
    if result.status == 410:
        return True
    return (
        result.status == 400
        and result.reason == "BadDeviceToken"
        and settings.KARTKA_WALLET_APNS_URL == (PRODUCTION_URL)
    )


class _Batch:
    """The outcome of one round, recorded registration by registration as the answers come."""

    def __init__(self, claimed_until: datetime):
        self.claimed_until = claimed_until
        self.counts = Counter()

    def _answered(self, result: PushResult) -> dict:
        return {
            "last_push_at": clock.now(),
            "last_push_status": result.status,
            "last_push_reason": result.reason,
        }

    def _still_ours(self, pks: list[int]):
        return AppleRegistration.objects.filter(pk__in=pks, push_due_at=self.claimed_until)

    def delivered(self, rows: list[_Due], result: PushResult) -> None:
        pks = [row.pk for row in rows]
        AppleRegistration.objects.filter(pk__in=pks).update(push_attempts=0, **self._answered(result))
        # A change that arrived while the push was in flight moved push_due_at: that one is still due.
        self._still_ours(pks).update(push_due_at=None)
        self.counts["delivered"] += len(rows)

    def unregistered(self, rows: list[_Due], result: PushResult, program_ids: set[int]) -> None:
        device_id = rows[0].device_id
        if result.timestamp is not None and rows[0].device_updated_at.timestamp() * 1000 > result.timestamp:
            # The device registered again after Apple saw the token die: keep it, try again after the claim.
            AppleRegistration.objects.filter(pk__in=[row.pk for row in rows]).update(**self._answered(result))
            self.counts["retrying"] += len(rows)
            return
        # The token is dead for this pass type: every pass of these programs on the device, not only the due ones.
        AppleRegistration.objects.filter(device_id=device_id, wallet_pass__program_id__in=program_ids).delete()
        AppleDevice.objects.filter(pk=device_id, registrations__isnull=True).delete()
        self.counts["unregistered"] += len(rows)

    def retry(self, rows: list[_Due], result: PushResult) -> None:
        answered = self._answered(result)
        for row in rows:
            attempts = row.attempts + 1
            AppleRegistration.objects.filter(pk=row.pk).update(push_attempts=attempts, **answered)
            if attempts >= MAX_ATTEMPTS:
                self._still_ours([row.pk]).update(push_due_at=None)
                self.counts["gave_up"] += 1
                continue
            wait = max(_backoff(attempts), timedelta(seconds=result.retry_after or 0))
            self._still_ours([row.pk]).update(push_due_at=answered["last_push_at"] + wait)
            self.counts["retrying"] += 1

    def refused(self, rows: list[_Due], result: PushResult) -> None:
        pks = [row.pk for row in rows]
        AppleRegistration.objects.filter(pk__in=pks).update(push_attempts=0, **self._answered(result))
        self._still_ours(pks).update(push_due_at=None)
        self.counts["refused"] += len(rows)


def _send_group(credentials: AppleCredentials, rows: list[_Due], batch: _Batch) -> None:
    """One push per device token (a device with several due passes of this pass type asks for all of them after
    one push), then each answer recorded on every registration it stood for."""
    by_token: dict[str, list[_Due]] = defaultdict(list)
    for row in rows:
        by_token[row.token].append(row)
    program_ids = {row.program_id for row in rows}
    client = apns_client(credentials)
    problems = Counter()
    unanswered = 0
    for sent, token in enumerate(by_token):
        if unanswered >= UNREACHABLE_AFTER:
            # Apple is out of reach: don't spend the sweep on timeouts. The rest stay claimed and fall due again
            # when the claim lapses, without an attempt counted against them.
            logger.warning(
                "APNs unreachable for %s: %s pushes wait for the next sweep",
                credentials.pass_type_identifier,
                len(by_token) - sent,
            )
            break
        [result] = client.push([token])
        batch.counts["pushes"] += 1
        unanswered = unanswered + 1 if result.status is None else 0
        token_rows = by_token[result.token]
        if result.ok:
            batch.delivered(token_rows, result)
        elif _token_dead(result):
            batch.unregistered(token_rows, result, program_ids)
        elif result.status is None or result.status == 429 or result.status >= 500:
            batch.retry(token_rows, result)
            problems[("will retry", result.status, result.reason)] += 1
        else:
            batch.refused(token_rows, result)
            problems[("not retried", result.status, result.reason)] += 1
    for (what, status, reason), count in problems.items():
        # Once per kind of answer, not per device. A 403 or a 400 other than a dead token is our configuration.
        log = logger.warning if what == "will retry" else logger.error
        log(
            "APNs pushes for %s: %s answered %s %s (%s)",
            credentials.pass_type_identifier,
            count,
            status if status is not None else "nothing",
            reason,
            what if what == "will retry" else f"{what}: check the APNs key, team id and pass type id",
        )


def _send_round(*, pass_ids: list[int] | None, skip_programs: set[int]) -> tuple[Counter, set[int], int]:
    """One batch: select what is due, set aside the programs that cannot push (logged, left due), claim the rest,
    send per credentials. Returns the counts, the programs that cannot push, and how many rows were selected."""
    now = clock.now()
    due = AppleRegistration.objects.filter(push_due_at__lte=now)
    if pass_ids is not None:
        due = due.filter(wallet_pass_id__in=pass_ids)
    if skip_programs:
        due = due.exclude(wallet_pass__program_id__in=skip_programs)
    rows = due_rows(due.order_by("push_due_at", "pk"), limit=BATCH)
    counts = Counter()
    if not rows:
        return counts, set(), 0
    programs = Program.objects.select_related("wallet_config").in_bulk({row.program_id for row in rows})
    senders: dict[tuple[str, str, str], tuple[AppleCredentials, list[_Due]]] = {}
    unpushable = set()
    for program_id, program in sorted(programs.items()):
        program_rows = [row for row in rows if row.program_id == program_id]
        credentials, why_not = _credentials(program)
        if credentials is None:
            logger.warning(
                "Apple pushes of program %s not sent (%s left due): %s", program.slug, len(program_rows), why_not
            )
            unpushable.add(program_id)
            counts["unconfigured"] += len(program_rows)
            continue
        key = (credentials.pass_type_identifier, credentials.team_identifier, credentials.apns_key_id)
        senders.setdefault(key, (credentials, []))[1].extend(program_rows)
    claimed_until = now + IN_FLIGHT
    batch = _Batch(claimed_until)
    for credentials, group_rows in senders.values():
        claimed = _claim(group_rows, claimed_until)
        if len(claimed) < len(group_rows):
            batch.counts["taken_elsewhere"] += len(group_rows) - len(claimed)
        if claimed:
            _send_group(credentials, claimed, batch)
    counts.update(batch.counts)
    return counts, unpushable, len(rows)


def apple_pushes_send(*, pass_ids: list[int] | None = None) -> dict:
    """Send the Apple pushes that are due (of ``pass_ids`` only, when given), at most ``BATCH`` registrations.

    Per registration: 200 clears the push (unless a newer change arrived meanwhile); 410 or BadDeviceToken
    forgets the registration, and the device once it holds no pass; 429, 5xx or no answer retries after 30 s,
    2 min, 10 min, then hourly, and gives up after ``MAX_ATTEMPTS``; any other answer (403, other 4xx: our
    configuration) clears and records it. A program without credentials that can push is logged and left due.
    Never raises for what Apple answers; returns how many registrations ended each way (and ``pushes`` sent)."""
    counts, _unpushable, _selected = _send_round(pass_ids=pass_ids, skip_programs=set())
    return dict(counts)


def google_passes_sync(*, pass_ids: list[int] | None = None) -> dict:
    """Write the Google objects whose update is due (of ``pass_ids`` only, when given), at most ``BATCH`` passes,
    one client (one OAuth token) per service account.

    Each pass is claimed first (its due time moved to ``now + IN_FLIGHT`` only if unchanged since read), so two
    workers never write the same object; ``google.google_pass_sync`` then settles it only if no newer change set
    another due time meanwhile, and backs off on 429/5xx. A program without Google credentials is logged and left
    due. Returns how many passes ended each way."""
    now = clock.now()
    due = WalletPass.objects.filter(google_due_at__lte=now)
    if pass_ids is not None:
        due = due.filter(pk__in=pass_ids)
    passes = list(
        due.select_related("card__member__tier", "card__program__business", "card__program__wallet_config").order_by(
            "google_due_at", "pk"
        )[:BATCH]
    )
    counts = Counter()
    clients: dict[tuple[str, str], GoogleWalletClient] = {}
    try:
        for wallet_pass in passes:
            program = wallet_pass.card.program
            try:
                credentials = google_credentials(program)
            except CredentialsError as error:
                credentials, why_not = None, str(error)
            else:
                why_not = "no Google issuer and service account"
            if credentials is None:
                logger.warning("Google update of a pass of program %s not sent (left due): %s", program.slug, why_not)
                counts["unconfigured"] += 1
                continue
            claimed = now + IN_FLIGHT
            if not WalletPass.objects.filter(pk=wallet_pass.pk, google_due_at=wallet_pass.google_due_at).update(
                google_due_at=claimed
            ):
                counts["taken_elsewhere"] += 1
                continue
            wallet_pass.google_due_at = claimed
            key = (credentials.issuer_id, credentials.email)
            if key not in clients:
                clients[key] = GoogleWalletClient(credentials)
            counts[google_pass_write(wallet_pass, credentials=credentials, client=clients[key])] += 1
    finally:
        for client in clients.values():
            client.close()
    return dict(counts)


# Passes a worker sends itself right after the outbox consumer's commit; more go to a queued task.
INLINE_PASSES = 20


def changes_send(*, pass_ids: list[int]) -> None:
    """After the commit that marked ``pass_ids`` changed: push them and update Google now, in this worker when
    they are few (the time from a purchase to the push is the customer's wait), else in a queued task. Never
    raises: whatever fails here is due and the minute sweep sends it."""
    if len(pass_ids) > INLINE_PASSES:
        try:
            async_task("wallet.tasks.changes_send_all", pass_ids=pass_ids, group="wallet")
        except Exception:
            logger.exception("wallet: could not queue the sending of %s changed passes; the sweep will", len(pass_ids))
        return
    changes_send_all(pass_ids=pass_ids)


# Passes built again per transaction when a whole program's passes are refreshed.
REFRESH_CHUNK = 200


def program_passes_refresh_queue(*, program_ids: list[int]) -> None:
    """Queue ``program_passes_refresh`` (logged, never raised: nothing is lost but the new look until the
    passes' next change)."""
    try:
        async_task("wallet.tasks.program_passes_refresh", program_ids=program_ids, group="wallet")
    except Exception:
        logger.exception("wallet: could not queue the refresh of %s programs' passes", len(program_ids))


def program_passes_refresh(*, program_ids: list[int]) -> int:
    """Build every pass of these programs again (after their theme changed), ``REFRESH_CHUNK`` cards per
    transaction, and send the changed ones after each commit. Returns how many passes changed."""
    card_ids = list(
        WalletPass.objects.filter(program_id__in=program_ids).order_by("pk").values_list("card_id", flat=True)
    )
    changed_total = 0
    for start in range(0, len(card_ids), REFRESH_CHUNK):
        with transaction.atomic():
            changed = passes_refresh(card_ids=set(card_ids[start : start + REFRESH_CHUNK]))
        changed_total += len(changed)
        if changed:
            changes_send_all(pass_ids=changed)
    return changed_total


def changes_send_all(*, pass_ids: list[int]) -> None:
    for send in (apple_pushes_send, google_passes_sync):
        try:
            send(pass_ids=pass_ids)
        except Exception:
            logger.exception("wallet: %s failed; the minute sweep will retry", send.__name__)


def wallet_sweep() -> dict:
    """Every minute: the Apple pushes that are due, in rounds of ``BATCH`` until none is left or
    ``SWEEP_BUDGET_SECONDS`` have passed (the next sweep carries on), then the due Google updates."""
    counts = Counter()
    skip_programs: set[int] = set()
    started = time.monotonic()
    while time.monotonic() - started < SWEEP_BUDGET_SECONDS:
        round_counts, unpushable, selected = _send_round(pass_ids=None, skip_programs=skip_programs)
        counts.update(round_counts)
        if not selected:
            break
        if not unpushable and round_counts["taken_elsewhere"] == selected:
            break  # another worker is sending these; leave it to them
        skip_programs |= unpushable
    counts.update({f"google_{outcome}": count for outcome, count in google_passes_sync().items()})
    if counts:
        logger.info("wallet sweep: %s", dict(counts))
    return dict(counts)


def wallet_forget_old() -> int:
    """Daily: forget Apple devices that hold none of our passes any more and haven't registered for a day."""
    before = clock.now() - DEVICE_RETENTION
    _count, by_model = AppleDevice.objects.filter(updated_at__lt=before, registrations__isnull=True).delete()
    deleted = by_model.get(AppleDevice._meta.label, 0)
    if deleted:
        logger.info("wallet: %s Apple devices without passes forgotten", deleted)
    return deleted
