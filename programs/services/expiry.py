"""Expiry of due lots: set-based SQL in chunks, one transaction per chunk.

(``ROUND(…, 2)`` is a no-op on PostgreSQL's exact numerics; SQLite computes decimals in floating point.)

Each chunk materialises up to ``chunk`` due lots in a temporary table, locks their cards in primary-key order
(PostgreSQL), and then, in four statements, writes one ``expiry`` entry per lot (with the running balance),
lowers the cards' balances and closes the lots. No per-row ORM work, so a million lots take minutes at most.
"""

from datetime import datetime

from django.conf import settings
from django.db import connection, transaction

from programs import signals
from programs.choices import EntryKind, Unit
from programs.models import Card, LedgerEntry, Lot

TEMP = "kartka_expiring"


def _tables() -> dict[str, str]:
    return {
        "lot": Lot._meta.db_table,
        "card": Card._meta.db_table,
        "entry": LedgerEntry._meta.db_table,
        "tmp": TEMP,
    }


def _expire_chunk(cursor, *, at: datetime, chunk: int, from_card: int) -> list[int]:
    t = _tables()
    postgres = connection.vendor == "postgresql"
    if postgres:
        # The chunk's joins are index lookups; the default cost model (spinning disks) picks full scans.
        cursor.execute("SET LOCAL random_page_cost = 1.1")
    cursor.execute(f"DROP TABLE IF EXISTS {t['tmp']}")
    cursor.execute(f"CREATE TEMPORARY TABLE {t['tmp']} (id bigint PRIMARY KEY, card_id bigint NOT NULL)")
    # In card order, from where the last chunk stopped: each card is locked and updated once per run (a card
    # split by a chunk boundary is picked up again, as its closed lots no longer match).
    cursor.execute(
        f"INSERT INTO {t['tmp']} (id, card_id) "
        f"SELECT id, card_id FROM {t['lot']} WHERE remaining > 0 AND expires_at <= %s AND card_id >= %s "
        f"ORDER BY card_id, id LIMIT %s",
        [at, from_card, chunk],
    )
    cursor.execute(f"SELECT DISTINCT card_id FROM {t['tmp']} ORDER BY card_id")
    card_ids = [row[0] for row in cursor.fetchall()]
    if not card_ids:
        cursor.execute(f"DROP TABLE {t['tmp']}")
        return []
    if postgres:
        cursor.execute(f"ANALYZE {t['tmp']}")
        cursor.execute(
            f"SELECT id FROM {t['card']} WHERE id IN (SELECT card_id FROM {t['tmp']}) ORDER BY id FOR UPDATE"
        )
    # Cards are locked now: what the lots hold can no longer change under us, so read it fresh.
    cursor.execute(
        f"INSERT INTO {t['entry']} "
        f"(program_id, card_id, kind, unit, bucket, amount, balance_after, reason, lot_id, created_at) "
        f"SELECT l.program_id, l.card_id, %s, l.unit, l.bucket, -l.remaining, "
        f"ROUND(CASE WHEN l.unit = %s THEN c.points_balance ELSE c.stamps_balance END "
        f"- SUM(l.remaining) OVER (PARTITION BY l.card_id, l.unit ORDER BY l.id), 2), '', l.id, %s "
        f"FROM {t['lot']} l JOIN {t['tmp']} e ON e.id = l.id JOIN {t['card']} c ON c.id = l.card_id "
        f"WHERE l.remaining > 0 ORDER BY l.card_id, l.id",
        [EntryKind.EXPIRY, Unit.POINTS, at],
    )
    # One grouped aggregate joined once (a correlated subquery per card re-scanned the chunk for every card).
    cursor.execute(
        f"UPDATE {t['card']} SET "
        f"points_balance = ROUND({t['card']}.points_balance - due.points, 2), "
        f"stamps_balance = ROUND({t['card']}.stamps_balance - due.stamps, 2), updated_at = %s "
        f"FROM (SELECT l.card_id, "
        f"SUM(CASE WHEN l.unit = %s THEN l.remaining ELSE 0 END) AS points, "
        f"SUM(CASE WHEN l.unit = %s THEN l.remaining ELSE 0 END) AS stamps "
        f"FROM {t['lot']} l JOIN {t['tmp']} e ON e.id = l.id WHERE l.remaining > 0 GROUP BY l.card_id) due "
        f"WHERE {t['card']}.id = due.card_id",
        [at, Unit.POINTS, Unit.STAMPS],
    )
    cursor.execute(f"UPDATE {t['lot']} SET remaining = 0 WHERE id IN (SELECT id FROM {t['tmp']}) AND remaining > 0")
    cursor.execute(f"DROP TABLE {t['tmp']}")
    return card_ids


def lots_expire(*, at: datetime, chunk: int | None = None) -> int:
    """Expire every lot due at ``at``; returns how many cards changed. Safe to run concurrently with purchases
    (they lock the same cards) and to re-run (closed lots are skipped). Signals ``points_expired`` per chunk."""
    chunk = chunk or settings.KARTKA_EXPIRY_CHUNK
    cards = 0
    from_card = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            card_ids = _expire_chunk(cursor, at=at, chunk=chunk, from_card=from_card)
            if card_ids:
                transaction.on_commit(lambda ids=card_ids: signals.points_expired.send(sender=Lot, card_ids=ids))
        if not card_ids:
            return cards
        cards += len(card_ids)
        from_card = card_ids[-1]
