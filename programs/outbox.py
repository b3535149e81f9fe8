"""The event outbox: how the engine tells the rest of Kartka what changed, without ever losing a change.

Writing. Every service that changes a member, a card or a card's ledger adds ``Event`` rows in its own transaction
(``events_record``, or in the same statement as the card's balances: ``programs.services.ledger``). The rows
commit with the change or not at all.

Reading. Other apps register a consumer in their ``AppConfig.ready`` (``consumer_register``); ``programs`` imports
none of them. ``events_dispatch`` hands each consumer the events after its own cursor (``EventCursor``), in commit
order, in batches, inside a transaction that also moves the cursor: what a consumer writes to the database happens
exactly once; what it sends elsewhere happens at least once (a crash after sending and before the commit sends it
again), so consumers that call out must be idempotent. A consumer that raises keeps its cursor, is retried with a
growing pause, and holds back nobody else.

Waking. After a commit that wrote events some consumer wants at once (its ``wakes`` predicate, a cheap in-process
check such as "does any webhook endpoint listen"), one django-q2 task runs the dispatcher; the minute sweep
(``kartka.events_sweep``) runs it anyway, so an event whose wake was lost (the process died after the commit, the
queue was down) is handed on within a minute.
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL

from programs import clock
from programs.models import Event, EventCursor

logger = logging.getLogger(__name__)

DISPATCH_TASK = "programs.outbox.events_dispatch"
# Events handed to a consumer per call (and per cursor move).
BATCH = 500
# A dispatcher run stops taking new batches after this long, so minute sweeps seldom overlap.
BUDGET_SECONDS = 50
# A dispatcher's patience, so an event it was woken for is not left to the minute sweep (PostgreSQL only). Another
# dispatcher may hold the consumer's cursor: wait up to CURSOR_WAIT_SECONDS for it rather than skip, since it may have
# read before this run's events committed and be about to stop. And events may have committed without being
# readable yet, an older transaction still being open (the snapshot's xmin): look again every SETTLE_PAUSE seconds,
# for up to SETTLE_SECONDS after the last batch. Without these, 2 of a burst of 50 purchases had their wallet pushes
# sent by the sweep 57 s later (bench/wallet_push.py, docs/benchmarks.md section 7).
CURSOR_WAIT_SECONDS = 5
SETTLE_SECONDS = 3.0
SETTLE_PAUSE = 0.05
# Pause before a failing consumer is tried again: doubles per failure in a row, up to the last step.
RETRY_PAUSES = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))
# PostgreSQL: only transactions that have all ended (below the snapshot's xmin) are read, plus the reader's own.
_SETTLED_ON_POSTGRES = RawSQL(
    "pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [], output_field=Event._meta.get_field("tx")
)


@dataclass(frozen=True)
class Consumer:
    """A reader of the outbox. ``handle`` gets a list of events (only of ``types``, if given) and must not commit
    or roll back itself; ``wakes`` (optional) says, for one freshly committed event, whether the dispatcher should
    run now rather than at the next sweep."""

    name: str
    handle: Callable[[list], None]
    types: frozenset[str] | None = None
    wakes: Callable[[Event], bool] | None = None
    # name -> Event field name or expression (beyond ``tx``, ``pk`` and ``type``, always read): when given,
    # ``handle`` gets rows (named tuples of ``tx``, ``pk``, ``type`` and these names) instead of ``Event``
    # instances, so a consumer that keeps up with every event reads only what it needs (no model instance per
    # event, no payload decoded in Python).
    reads: dict[str, object] | None = None
    # Events handed over per call: a consumer whose cost is mostly per batch (a few set-based statements whatever
    # the number of events) takes bigger ones.
    batch: int = BATCH


_consumers: dict[str, Consumer] = {}


def consumer_register(
    name: str,
    handle: Callable[[list], None],
    *,
    types: Iterable[str] | None = None,
    wakes: Callable[[Event], bool] | None = None,
    reads: dict[str, object] | None = None,
    batch: int = BATCH,
) -> Consumer:
    """Register a consumer of the outbox (from its app's ``AppConfig.ready``).

    A consumer registered for the first time starts at the end of the outbox: it gets what happens from then
    on, not the history. With ``reads`` (name -> ``Event`` field or expression) it gets light rows with those
    columns instead of ``Event`` instances; ``batch`` is how many events it is handed at most per call. Raises
    ``ValueError`` if another consumer has the name already.
    """
    consumer = Consumer(
        name=name,
        handle=handle,
        types=frozenset(types) if types else None,
        wakes=wakes,
        reads=reads or None,
        batch=batch,
    )
    existing = _consumers.get(name)
    if existing is not None and existing.handle is not handle:
        raise ValueError(f"an outbox consumer named {name!r} is already registered")
    _consumers[name] = consumer
    return consumer


def consumer_unregister(name: str) -> None:
    _consumers.pop(name, None)


def consumers() -> list[Consumer]:
    return list(_consumers.values())


# --- Writing -------------------------------------------------------------------------------------------------


def event_new(*, type: str, program_id: int, card_id=None, member_id=None, payload: dict, at, program=None) -> Event:
    """An unsaved event; ``program`` (the row, when the caller has it loaded) spares the wake check a query."""
    event = Event(
        type=type, program_id=program_id, card_id=card_id, member_id=member_id, payload=payload, created_at=at
    )
    if program is not None:
        Event._meta.get_field("program").set_cached_value(event, program)
    return event


def events_record(events: list[Event]) -> None:
    """Insert ``events`` in the current transaction (one statement) and wake the dispatcher after the commit.

    Must run inside ``transaction.atomic``: an event written outside one would announce a change that may
    still fail. Raises ``TransactionManagementError`` otherwise.
    """
    if not events:
        return
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("events are recorded in the transaction of their change")
    Event.objects.bulk_create(events)
    events_committed(events)


class _Wake:
    """The on-commit hook of one transaction: it gathers the transaction's events and, at commit, queues one
    dispatcher run if a consumer wants one of them now. (Dropped with its savepoint if that rolls back.)"""

    def __init__(self):
        self.events: list[Event] = []
        self.always = False

    def __call__(self):
        if self.always or any(_wanted(event) for event in self.events):
            events_dispatch_queue()


def _wanted(event: Event) -> bool:
    for consumer in _consumers.values():
        if consumer.wakes is None or (consumer.types is not None and event.type not in consumer.types):
            continue
        try:
            if consumer.wakes(event):
                return True
        except Exception:
            logger.exception("outbox: %s could not tell whether it wants event %s", consumer.name, event.type)
            return True
    return False


def events_committed(events: list[Event], *, always: bool = False) -> None:
    """Have the dispatcher woken after the current transaction commits if a consumer wants one of ``events`` at
    once, or in any case with ``always`` (for events written by SQL, which never reach Python). One wake per
    transaction, however many events it wrote."""
    db = transaction.get_connection()
    active = set(db.savepoint_ids)
    for savepoints, hook, _robust in reversed(db.run_on_commit):
        # Only a hook of a block still open around us (one registered in a savepoint since released may belong
        # to work that is not ours to announce, e.g. in tests that never commit).
        if isinstance(hook, _Wake) and savepoints <= active:
            hook.events.extend(events)
            hook.always = hook.always or always
            return
    hook = _Wake()
    hook.events.extend(events)
    hook.always = always
    # Robust: a queue that can't be reached must not turn a committed purchase into an error at the till.
    transaction.on_commit(hook, robust=True)


def events_dispatch_queue() -> None:
    """Queue one dispatcher run (logged, never raised: the sweep runs it within a minute anyway)."""
    from django_q.tasks import async_task

    try:
        async_task(DISPATCH_TASK, group="outbox")
    except Exception:
        logger.exception("outbox: could not queue the dispatcher; the minute sweep will run it")


# --- Reading -------------------------------------------------------------------------------------------------


def _after(cursor: EventCursor):
    """Events past ``cursor`` whose transactions have ended, in transaction-id order: commit order for transactions
    that did not overlap. Two that raced for the same card's lock may have committed in the other order; their
    events' ids follow the lock, so a consumer that keeps a card's latest state compares event ids."""
    queryset = Event.objects.filter(Q(tx__gt=cursor.tx) | Q(tx=cursor.tx, pk__gt=cursor.event_id))
    if connection.vendor == "postgresql":
        own = RawSQL("pg_current_xact_id_if_assigned()::text::bigint", [], output_field=Event._meta.get_field("tx"))
        queryset = queryset.filter(Q(tx__lt=_SETTLED_ON_POSTGRES) | Q(tx=own))
    return queryset.order_by("tx", "pk")


def events_end() -> tuple[int, int]:
    """The position (tx, id) of the last event in the outbox, (0, 0) when it is empty: where a cursor stands
    that has read everything."""
    return Event.objects.order_by("-tx", "-pk").values_list("tx", "pk").first() or (0, 0)


def cursors_ensure() -> int:
    """Give every registered consumer without a cursor one at the end of the outbox (after each ``migrate``): a
    consumer added to a running install learns what happens from then on, not the retained history. Returns how
    many cursors were created."""
    last = events_end()
    existing = set(EventCursor.objects.filter(consumer__in=_consumers).values_list("consumer", flat=True))
    missing = [name for name in _consumers if name not in existing]
    EventCursor.objects.bulk_create(
        [EventCursor(consumer=name, tx=last[0], event_id=last[1]) for name in missing], ignore_conflicts=True
    )
    return len(missing)


def _pause(failures: int) -> timedelta:
    return RETRY_PAUSES[min(failures, len(RETRY_PAUSES)) - 1]


def _cursor_lock(name: str, *, wait: bool) -> EventCursor | None:
    """The consumer's cursor, locked for this transaction: ``None`` when another dispatcher holds it (``wait``:
    after waiting up to ``CURSOR_WAIT_SECONDS`` for it on PostgreSQL; else at once)."""
    queryset = EventCursor.objects.filter(consumer=name)
    if wait and connection.vendor == "postgresql":
        with connection.cursor() as db_cursor:
            db_cursor.execute(f"SET LOCAL lock_timeout = '{round(CURSOR_WAIT_SECONDS * 1000)}ms'")
        return queryset.select_for_update().first()
    return queryset.select_for_update(skip_locked=True).first()


def _lock_timed_out(error: OperationalError) -> bool:
    return getattr(error.__cause__, "sqlstate", None) == "55P03"  # lock_not_available


def _batch_read(consumer: Consumer, cursor: EventCursor, batch: int) -> list:
    """The next ``batch`` events after ``cursor``: ``Event`` instances, or rows of the consumer's ``reads``."""
    if consumer.reads is None:
        return list(_after(cursor)[:batch])
    computed = {
        name: F(value) if isinstance(value, str) else value for name, value in consumer.reads.items() if value != name
    }
    return list(
        _after(cursor).annotate(**computed).values_list("tx", "pk", "type", *consumer.reads, named=True)[:batch]
    )


def consumer_dispatch(consumer: Consumer, *, batch: int | None = None, wait: bool = False) -> int | None:
    """Hand ``consumer`` the next batch of events (``batch`` at most, else the consumer's own size); returns how
    many events its cursor moved over (0: none readable), or ``None`` if it was not its turn (another dispatcher
    holds it, or it waits after failures).
    ``wait``: wait a few seconds for a cursor another dispatcher holds instead of giving up at once."""
    # A cursor missing here (a database created before the consumer existed, and not migrated since) starts at
    # the beginning: nothing retained is skipped.
    EventCursor.objects.get_or_create(consumer=consumer.name)
    now = clock.now()
    try:
        with transaction.atomic():
            cursor = _cursor_lock(consumer.name, wait=wait)
            if cursor is None or (cursor.retry_at is not None and cursor.retry_at > now):
                return None
            events = _batch_read(consumer, cursor, batch or consumer.batch)
            if not events:
                return 0
            wanted = [event for event in events if consumer.types is None or event.type in consumer.types]
            try:
                with transaction.atomic():
                    if wanted:
                        consumer.handle(wanted)
            except Exception as error:
                logger.exception(
                    "outbox: consumer %s failed on events %s–%s", consumer.name, events[0].pk, events[-1].pk
                )
                cursor.failures += 1
                cursor.retry_at = now + _pause(cursor.failures)
                cursor.last_error = f"{type(error).__name__}: {error}"[:2000]
                cursor.updated_at = now
                cursor.save(update_fields=["failures", "retry_at", "last_error", "updated_at"])
                return None
            cursor.tx, cursor.event_id = events[-1].tx, events[-1].pk
            cursor.failures, cursor.retry_at, cursor.last_error, cursor.updated_at = 0, None, "", now
            cursor.save(update_fields=["tx", "event_id", "failures", "retry_at", "last_error", "updated_at"])
            return len(events)
    except OperationalError as error:
        if not _lock_timed_out(error):
            raise
        logger.info("outbox: %s's cursor stayed busy; its events go with that run or the sweep", consumer.name)
        return None


def events_unreadable(consumer: Consumer) -> bool:
    """Whether events for ``consumer`` past its cursor have committed but cannot be read yet: on PostgreSQL, while a
    transaction older than theirs is still open (``_after`` reads nothing past the snapshot's xmin, or a late
    committer could be skipped). Always ``False`` elsewhere."""
    if connection.vendor != "postgresql":
        return False
    cursor = EventCursor.objects.filter(consumer=consumer.name).values_list("tx", "event_id").first()
    if cursor is None:
        return False
    queryset = Event.objects.filter(Q(tx__gt=cursor[0]) | Q(tx=cursor[0], pk__gt=cursor[1]))
    if consumer.types is not None:
        queryset = queryset.filter(type__in=consumer.types)
    return queryset.exists()


def events_dispatch(
    *, budget_seconds: float = BUDGET_SECONDS, settle_seconds: float = SETTLE_SECONDS
) -> dict[str, int]:
    """The django-q2 task: every consumer reads until it is through or ``budget_seconds`` have passed.

    A run is woken after the commit of the events it is for, so it must not end before it has read them: it waits
    for a cursor another run holds (``consumer_dispatch(wait=True)``), and while events committed for a consumer
    are not readable yet (``events_unreadable``) it looks again for up to ``settle_seconds`` after its last batch.
    Returns the events each consumer's cursor moved over in this run.
    """
    deadline = time.monotonic() + budget_seconds
    moved: dict[str, int] = {}
    for consumer in consumers():
        settle_until = time.monotonic() + settle_seconds
        while time.monotonic() < deadline:
            count = consumer_dispatch(consumer, wait=True)
            if count:
                moved[consumer.name] = moved.get(consumer.name, 0) + count
                settle_until = time.monotonic() + settle_seconds
                continue
            if count == 0 and time.monotonic() < min(settle_until, deadline) and events_unreadable(consumer):
                time.sleep(SETTLE_PAUSE)
                continue
            break
    if moved:
        logger.info("outbox: dispatched %s", moved)
    return moved


def events_purge(*, before) -> int:
    """Delete events older than ``before`` that every registered consumer has passed; returns how many."""
    cursors = list(EventCursor.objects.filter(consumer__in=_consumers).values_list("tx", "event_id"))
    if len(cursors) < len(_consumers):
        return 0  # a consumer that has never run would start after the end anyway, but keep it simple: wait
    queryset = Event.objects.filter(created_at__lt=before)
    if cursors:
        tx, event_id = min(cursors)
        queryset = queryset.filter(Q(tx__lt=tx) | Q(tx=tx, pk__lte=event_id))
    deleted, _ = queryset.delete()
    return deleted


def events_purge_old() -> int:
    """Daily: forget events older than ``KARTKA_EVENTS_RETENTION_DAYS`` that every consumer has handled."""
    deleted = events_purge(before=clock.now() - timedelta(days=settings.KARTKA_EVENTS_RETENTION_DAYS))
    logger.info("outbox: %s events purged", deleted)
    return deleted
