"""Expiry of due lots: set-based SQL in chunks, one transaction per chunk.

Chunks go in card order with a keyset on ``(card, lot id)``: each takes the next ``chunk`` due lots, locks their
cards in primary-key order and then writes one ``expiry`` entry per lot (with the running balance), lowers the
cards' balances and closes the lots. Each expiry entry carries the reason and the earning rule of the entry
that opened its lot (which bonus or rule expired), read by the same statement through the lot's entry. On
PostgreSQL that is two statements per chunk: the lock, and one statement whose data-modifying CTEs do the three
writes from one read of the lots (the way the benchmark's single-statement reference does it for all lots at
once). SQLite has no data-modifying CTEs; there the three writes are three statements over the same keyset
range, inside the write lock its IMMEDIATE transactions take at BEGIN.

(``ROUND(…, 2)`` on SQLite only: it computes decimals in floating point; PostgreSQL's numerics are exact.)

No per-row ORM work, so a million lots take about as long as one statement over all of them.
"""

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction

from programs import outbox
from programs.choices import BalanceCause, EntryKind, EventType, Unit
from programs.formats import moment
from programs.models import Card, Event, LedgerEntry, Lot


class Chunk(NamedTuple):
    """The cards of one chunk (ascending) and the last lot taken from the last of them.

    Every due lot of the other cards is in the chunk; the last card may have more due lots after ``last_lot``
    (a card split by the chunk boundary), which the next chunk picks up.
    """

    card_ids: list[int]
    last_lot: int


def _tables() -> dict[str, str]:
    return {
        "lot": Lot._meta.db_table,
        "card": Card._meta.db_table,
        "entry": LedgerEntry._meta.db_table,
        "event": Event._meta.db_table,
    }


# The next ``chunk`` due lots from card ``from_card`` on, in (card, id) order: served by ``lot_open_by_card_idx``
# (card first, open lots only). Lots of earlier chunks are closed, so they no longer match.
_PICK = (
    "SELECT card_id, id FROM {lot} WHERE remaining > 0 AND expires_at <= %(at)s AND card_id >= %(from_card)s "
    "ORDER BY card_id, id LIMIT %(chunk)s"
)

# The chunk's lots again, by the keyset range the lock returned. Only the locked cards: a card in the range whose
# lots became due after the pick is not locked by this transaction, so it is left for the next run.
_RANGE = (
    "l.remaining > 0 AND l.expires_at <= %(at)s AND l.card_id BETWEEN %(first_card)s AND %(last_card)s "
    "AND (l.card_id < %(last_card)s OR l.id <= %(last_lot)s)"
)

_POSTGRES_LOCK = (
    "WITH chunk AS MATERIALIZED (" + _PICK + ") "
    "SELECT c.id, tail.id FROM {card} c "
    "JOIN (SELECT card_id, max(id) AS id FROM chunk GROUP BY card_id) tail ON tail.card_id = c.id "
    "ORDER BY c.id FOR UPDATE OF c"
)

# One read of the chunk's lots (``due``), three writes from it. Every part sees the snapshot taken when the
# statement started, after the lock. The entries' running balances start from each card's balance before this
# chunk, which the card update returns (its new balance plus what it took off: no second read of the cards), and
# ``ORDER BY`` hands out entry ids in the order the running sums were taken.
_POSTGRES_EXPIRE = (
    "WITH due AS MATERIALIZED ("
    "  SELECT l.id, l.program_id, l.card_id, l.unit, l.bucket, l.remaining, src.rule_id, src.reason FROM {lot} l"
    "  JOIN {entry} src ON src.id = l.entry_id"
    "  WHERE " + _RANGE + " AND l.card_id = ANY(%(card_ids)s)"
    "), closed AS ("
    "  UPDATE {lot} l SET remaining = 0 FROM due WHERE l.id = due.id"
    "), lowered AS ("
    "  UPDATE {card} c SET points_balance = c.points_balance - s.points,"
    "  stamps_balance = c.stamps_balance - s.stamps, updated_at = %(at)s"
    "  FROM (SELECT card_id,"
    "    coalesce(sum(remaining) FILTER (WHERE unit = %(points)s), 0) AS points,"
    "    coalesce(sum(remaining) FILTER (WHERE unit = %(stamps)s), 0) AS stamps"
    "    FROM due GROUP BY card_id) s"
    "  WHERE c.id = s.card_id"
    "  RETURNING c.id, c.points_balance + s.points AS points, c.stamps_balance + s.stamps AS stamps,"
    "  c.program_id, c.member_id, c.number, c.points_balance AS points_now, c.stamps_balance AS stamps_now,"
    "  c.points_debt, c.stamps_debt, s.points AS points_expired, s.stamps AS stamps_expired"
    "), announced AS ("
    "  INSERT INTO {event} (type, program_id, card_id, member_id, payload, created_at)"
    "  SELECT %(event_type)s, b.program_id, b.id, b.member_id, jsonb_build_object("
    "    'card', jsonb_build_object('id', b.id, 'number', b.number, 'balances', jsonb_build_object("
    "      'points', b.points_now::numeric(14, 2)::text, 'stamps', b.stamps_now::numeric(14, 2)::text)),"
    "    'debts', jsonb_build_object("
    "      'points', b.points_debt::numeric(14, 2)::text, 'stamps', b.stamps_debt::numeric(14, 2)::text),"
    "    'member', jsonb_build_object('id', b.member_id), 'cause', %(cause)s::text,"
    "    'expired', jsonb_build_object("
    "      'points', b.points_expired::numeric(14, 2)::text, 'stamps', b.stamps_expired::numeric(14, 2)::text),"
    "    'expired_at', %(at_text)s::text), %(at)s"
    "  FROM lowered b ORDER BY b.id"
    ") "
    "INSERT INTO {entry} "
    "(program_id, card_id, kind, unit, bucket, amount, balance_after, debt_change, reason, rule_id, lot_id, "
    "created_at) "
    "SELECT d.program_id, d.card_id, %(kind)s, d.unit, d.bucket, -d.remaining, "
    "CASE WHEN d.unit = %(points)s THEN b.points ELSE b.stamps END "
    "- sum(d.remaining) OVER (PARTITION BY d.card_id, d.unit ORDER BY d.id), 0, d.reason, d.rule_id, d.id, %(at)s "
    "FROM due d JOIN lowered b ON b.id = d.card_id ORDER BY d.card_id, d.id"
)

_SQLITE_PICK = "SELECT card_id, max(id) FROM (" + _PICK + ") GROUP BY card_id ORDER BY card_id"

# Entries first, while the lots still hold what expires; then the cards; then the lots.
_SQLITE_EXPIRE = (
    "INSERT INTO {entry} "
    "(program_id, card_id, kind, unit, bucket, amount, balance_after, debt_change, reason, rule_id, lot_id, "
    "created_at) "
    "SELECT l.program_id, l.card_id, %(kind)s, l.unit, l.bucket, -l.remaining, "
    "ROUND(CASE WHEN l.unit = %(points)s THEN c.points_balance ELSE c.stamps_balance END "
    "- SUM(l.remaining) OVER (PARTITION BY l.card_id, l.unit ORDER BY l.id), 2), 0, src.reason, src.rule_id, l.id, "
    "%(at)s FROM {lot} l JOIN {card} c ON c.id = l.card_id JOIN {entry} src ON src.id = l.entry_id "
    "WHERE " + _RANGE + " ORDER BY l.card_id, l.id",
    "UPDATE {card} SET "
    "points_balance = ROUND({card}.points_balance - due.points, 2), "
    "stamps_balance = ROUND({card}.stamps_balance - due.stamps, 2), updated_at = %(at)s "
    "FROM (SELECT l.card_id, "
    "SUM(CASE WHEN l.unit = %(points)s THEN l.remaining ELSE 0 END) AS points, "
    "SUM(CASE WHEN l.unit = %(stamps)s THEN l.remaining ELSE 0 END) AS stamps "
    "FROM {lot} l WHERE " + _RANGE + " GROUP BY l.card_id) due "
    "WHERE {card}.id = due.card_id",
    # One card.balances_changed event per card, while the lots still hold what expired.
    "INSERT INTO {event} (type, program_id, card_id, member_id, payload, created_at) "
    "SELECT %(event_type)s, c.program_id, c.id, c.member_id, json_object("
    "'card', json_object('id', c.id, 'number', c.number, 'balances', json_object("
    "'points', printf('%%.2f', c.points_balance), 'stamps', printf('%%.2f', c.stamps_balance))), "
    "'debts', json_object('points', printf('%%.2f', c.points_debt), 'stamps', printf('%%.2f', c.stamps_debt)), "
    "'member', json_object('id', c.member_id), 'cause', %(cause)s, "
    "'expired', json_object('points', printf('%%.2f', due.points), 'stamps', printf('%%.2f', due.stamps)), "
    "'expired_at', %(at_text)s), %(at)s "
    "FROM {card} c JOIN (SELECT l.card_id, "
    "SUM(CASE WHEN l.unit = %(points)s THEN l.remaining ELSE 0 END) AS points, "
    "SUM(CASE WHEN l.unit = %(stamps)s THEN l.remaining ELSE 0 END) AS stamps "
    "FROM {lot} l WHERE " + _RANGE + " GROUP BY l.card_id) due ON c.id = due.card_id ORDER BY c.id",
    "UPDATE {lot} AS l SET remaining = 0 WHERE " + _RANGE,
)


def _params(*, at: datetime, chunk: int, from_card: int) -> dict:
    return {
        "at": at,
        "chunk": chunk,
        "from_card": from_card,
        "kind": EntryKind.EXPIRY,
        "points": Unit.POINTS,
        "stamps": Unit.STAMPS,
        "event_type": EventType.CARD_BALANCES_CHANGED,
        "cause": BalanceCause.EXPIRY,
        "at_text": moment(at),
    }


def _expire_chunk_postgresql(cursor, params: dict) -> Chunk | None:
    t = _tables()
    # The chunk's reads are index range scans; the default cost model (spinning disks) prefers full scans.
    cursor.execute("SET LOCAL random_page_cost = 1.1")
    cursor.execute(_POSTGRES_LOCK.format(**t), params)
    rows = cursor.fetchall()
    if not rows:
        return None
    # Cards are locked now: what their lots hold can no longer change under us, and the next statement's
    # snapshot (READ COMMITTED takes one per statement) sees every change committed before the lock.
    chunk = Chunk(card_ids=[row[0] for row in rows], last_lot=rows[-1][1])
    bounds = {"first_card": chunk.card_ids[0], "last_card": chunk.card_ids[-1], "last_lot": chunk.last_lot}
    cursor.execute(_POSTGRES_EXPIRE.format(**t), {**params, **bounds, "card_ids": chunk.card_ids})
    return chunk


def _expire_chunk_sqlite(cursor, params: dict) -> Chunk | None:
    t = _tables()
    # IMMEDIATE transactions hold the database's write lock from BEGIN: nothing changes between the pick and
    # the writes, so the keyset range alone names the chunk's lots.
    cursor.execute(_SQLITE_PICK.format(**t), params)
    rows = cursor.fetchall()
    if not rows:
        return None
    chunk = Chunk(card_ids=[row[0] for row in rows], last_lot=rows[-1][1])
    bounds = {"first_card": chunk.card_ids[0], "last_card": chunk.card_ids[-1], "last_lot": chunk.last_lot}
    for sql in _SQLITE_EXPIRE:
        cursor.execute(sql.format(**t), {**params, **bounds})
    return chunk


def lots_expire(*, at: datetime, chunk: int | None = None, progress: Callable[[list[int]], None] | None = None) -> int:
    """Expire every lot due at ``at``: one ``expiry`` entry per lot, lots closed, card balances lowered.

    Returns how many cards the chunks took (a card split across two chunks counts twice; a card whose due lot a
    till expired itself while the job waited for the card still counts, with nothing left to write). Each chunk
    of at most ``chunk`` lots (default ``KARTKA_EXPIRY_CHUNK``) is one transaction that locks its cards in
    primary-key order first, so it is safe beside purchases (they lock the same cards) and to re-run (closed
    lots are skipped). Each chunk writes one ``card.balances_changed`` event (cause ``expiry``, with what expired)
    per card it lowered, set-based like the rest, and wakes the outbox's dispatcher after its commit; then
    ``progress``, if given, gets the chunk's card ids. Raises
    ``ValueError`` for a chunk below one lot.
    """
    chunk = chunk or settings.KARTKA_EXPIRY_CHUNK
    if chunk < 1:
        raise ValueError(f"expiry chunk must be at least 1 lot, not {chunk}")
    expire_chunk = _expire_chunk_postgresql if connection.vendor == "postgresql" else _expire_chunk_sqlite
    cards = 0
    from_card = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            done = expire_chunk(cursor, _params(at=at, chunk=chunk, from_card=from_card))
            if done:
                outbox.events_committed([], always=True)
                if progress is not None:
                    transaction.on_commit(lambda ids=done.card_ids: progress(ids))
        if not done:
            return cards
        cards += len(done.card_ids)
        from_card = done.card_ids[-1]
