"""Benchmark: expiring 1M due lots with the engine's job against one set-based statement, same data, one run.

    python bench/expiry.py [--lots 1000000] [--cards 100000] [--chunk 20000]

Creates its own database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/kartka_bench_expiry``;
dropped and re-created), migrates, and seeds with ``INSERT … SELECT generate_series`` a consistent ledger:
``--cards`` members with a card each, ``--lots`` due lots spread evenly over the cards (plus
``--live-per-card`` lots that are not due yet), one accrual entry per lot with its running ``balance_after``,
and card balances equal to the sum of their entries. Then:

1. ``programs.services.expiry.lots_expire(at=...)`` — the subject, timed;
2. the same data seeded again (same ids), and ONE statement doing the same work — a CTE that inserts one
   expiry entry per due lot with its ``balance_after``, closes the lots and lowers the card balances — the
   reference, timed;

and prints both, the ratio, and the checks run after each: every due lot closed, one expiry entry per lot,
balances = sum of entries = open lots for every card (a sample is printed), the newest entry's
``balance_after`` = balance, every ``balance_after`` is the running sum of its card's entries, and that both
ways leave identical balances and identical expiry entries (id, card, lot, amount, bucket, balance_after).
Before each timed run the tables are vacuumed/analysed and a CHECKPOINT is taken, so both start alike.
"""

import argparse
import time
from datetime import timedelta

from common import (
    database_recreate,
    database_url,
    django_setup,
    load_average,
    machine,
    machine_line,
    migrate,
    sql_inline,
    sql_insert_select,
    table,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench_expiry"
TABLES = ("programs_lotallocation", "programs_lot", "programs_ledgerentry", "programs_card", "programs_member")

REFERENCE = """
WITH due AS (
    SELECT id, program_id, card_id, unit, bucket, remaining
    FROM programs_lot
    WHERE remaining > 0 AND expires_at <= %(at)s
),
entries AS (
    INSERT INTO programs_ledgerentry
        (program_id, card_id, kind, unit, bucket, amount, balance_after, debt_change, reason, lot_id, created_at)
    SELECT d.program_id, d.card_id, 'expiry', d.unit, d.bucket, -d.remaining,
           CASE WHEN d.unit = 'points' THEN c.points_balance ELSE c.stamps_balance END
           - sum(d.remaining) OVER (PARTITION BY d.card_id, d.unit ORDER BY d.id),
           0, '', d.id, %(at)s
    FROM due d JOIN programs_card c ON c.id = d.card_id
    ORDER BY d.card_id, d.id
    RETURNING 1
),
closed AS (
    UPDATE programs_lot l SET remaining = 0 FROM due d WHERE l.id = d.id
),
balances AS (
    UPDATE programs_card c
    SET points_balance = c.points_balance - s.points, stamps_balance = c.stamps_balance - s.stamps,
        updated_at = %(at)s
    FROM (SELECT card_id,
                 coalesce(sum(remaining) FILTER (WHERE unit = 'points'), 0) AS points,
                 coalesce(sum(remaining) FILTER (WHERE unit = 'stamps'), 0) AS stamps
          FROM due GROUP BY card_id) s
    WHERE c.id = s.card_id
)
SELECT count(*) FROM entries
"""


def seed(*, program_id: int, card_type_id: int, cards: int, due_per_card: int, live_per_card: int, at) -> dict:
    """A consistent ledger in five set-based statements (ids restart at 1, so two seedings are identical).

    Lot ``j`` of card ``c`` holds ``j + c mod 7 + 0.25`` points, so the running balance after it has a closed
    form; due lots expired 1–60 days before ``at``, live ones expire after it; every fifth lot is promo.
    Returns the seconds each step took.
    """
    from django.db import connection

    from programs.models import Card, LedgerEntry, Lot, Member
    from programs.services.ledger import LOT_FROM_ENTRY

    per_card = due_per_card + live_per_card
    amount = "(j + mod(c.id, 7) + 0.25)"
    balance_after = "(j * (j + 1) / 2 + j * mod(c.id, 7) + 0.25 * j)"
    expires = (
        "CASE WHEN j <= %(due)s "
        "THEN %(at)s - make_interval(days => (1 + mod(c.id + j * 13, 60))::int, secs => j::float8) "
        "ELSE %(at)s + make_interval(days => (30 * (j - %(due)s))::int) END"
    )
    steps: dict[str, float] = {}
    with connection.cursor() as cursor:

        def step(name: str, sql: str, params=None) -> None:
            began = time.perf_counter()
            cursor.execute(sql, params)
            steps[name] = time.perf_counter() - began

        step("truncate", f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        statements = [
            sql_insert_select(
                Member,
                exprs={
                    "program_id": ("%s", [program_id]),
                    "phone": "'+38050' || lpad(g::text, 7, '0')",
                    "joined_at": ("%s", [at - timedelta(days=800)]),
                },
                source="FROM generate_series(1, %s) AS g",
                source_params=[cards],
            ),
            sql_insert_select(
                Card,
                exprs={
                    "program_id": ("%s", [program_id]),
                    "member_id": "m.id",
                    "card_type_id": ("%s", [card_type_id]),
                    "number": "'2' || lpad(m.id::text, 12, '0')",
                    "issued_at": ("%s", [at - timedelta(days=800)]),
                    "updated_at": ("%s", [at - timedelta(days=400)]),
                },
                source="FROM programs_member m ORDER BY m.id",
            ),
        ]
        for name, (sql, params) in zip(("members", "cards"), statements, strict=True):
            step(name, sql, params)
        # Entries and lots use named parameters; the defaults of the other columns are inlined literals.
        entry_sql, entry_defaults = sql_insert_select(
            LedgerEntry,
            exprs={
                "program_id": "c.program_id",
                "card_id": "c.id",
                "kind": "'accrual'",
                "unit": "'points'",
                "bucket": "CASE WHEN mod(j, 5) = 0 THEN 'promo' ELSE 'cashback' END",
                "amount": amount,
                "balance_after": balance_after,
                "reason": "''",
                "expires_at": expires,
                "created_at": "%(at)s - make_interval(days => (700 - j)::int)",
            },
            source="FROM programs_card c CROSS JOIN generate_series(1, %(per_card)s) AS j ORDER BY c.id, j",
        )
        step(
            "entries",
            sql_inline(entry_sql, entry_defaults, cursor),
            {"due": due_per_card, "at": at, "per_card": per_card},
        )
        lot_sql, lot_defaults = sql_insert_select(
            Lot,
            exprs={lot: f"e.{entry}" for lot, entry in LOT_FROM_ENTRY.items()},  # as the engine opens them
            source="FROM programs_ledgerentry e ORDER BY e.id",
        )
        step("lots", lot_sql, lot_defaults)
        step(
            "balances",
            "UPDATE programs_card c SET points_balance = e.total "
            "FROM (SELECT card_id, sum(amount) AS total FROM programs_ledgerentry GROUP BY card_id) e "
            "WHERE e.card_id = c.id",
        )
    return steps


def prepare() -> dict:
    """Same starting line for both runs: fresh statistics and visibility map, no checkpoint debt."""
    from django.db import connection

    steps = {}
    with connection.cursor() as cursor:
        began = time.perf_counter()
        for name in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {name}")
        steps["vacuum"] = time.perf_counter() - began
        began = time.perf_counter()
        cursor.execute("CHECKPOINT")
        steps["checkpoint"] = time.perf_counter() - began
    return steps


def verify(*, at, due_lots: int) -> dict:
    """Invariants after an expiry run, over every card; plus fingerprints to compare the two runs."""
    from django.db import connection

    checks = {
        "due lots still open": ("SELECT count(*) FROM programs_lot WHERE remaining > 0 AND expires_at <= %(at)s"),
        "expiry entries": "SELECT count(*) FROM programs_ledgerentry WHERE kind = 'expiry'",
        "lots with != 1 expiry entry": """
            SELECT count(*) FROM programs_lot l
            LEFT JOIN (SELECT lot_id, count(*) AS n FROM programs_ledgerentry WHERE kind = 'expiry'
                       GROUP BY lot_id) e ON e.lot_id = l.id
            WHERE l.expires_at <= %(at)s AND coalesce(e.n, 0) <> 1""",
        "cards: balance != sum of entries": """
            SELECT count(*) FROM programs_card c
            LEFT JOIN (SELECT card_id, sum(amount) AS total FROM programs_ledgerentry WHERE unit = 'points'
                       GROUP BY card_id) e ON e.card_id = c.id
            WHERE c.points_balance <> coalesce(e.total, 0)""",
        "cards: balance != open lots": """
            SELECT count(*) FROM programs_card c
            LEFT JOIN (SELECT card_id, sum(remaining) AS total FROM programs_lot WHERE unit = 'points'
                       GROUP BY card_id) l ON l.card_id = c.id
            WHERE c.points_balance <> coalesce(l.total, 0)""",
        "cards: newest balance_after != balance": """
            SELECT count(*) FROM programs_card c
            JOIN (SELECT DISTINCT ON (card_id) card_id, balance_after FROM programs_ledgerentry
                  WHERE unit = 'points' ORDER BY card_id, created_at DESC, id DESC) e ON e.card_id = c.id
            WHERE c.points_balance <> e.balance_after""",
        "entries with negative balance_after": "SELECT count(*) FROM programs_ledgerentry WHERE balance_after < 0",
        # Every entry's balance_after is the running sum of the card's entries (in time order, then id).
        "entries whose balance_after != running sum": """
            SELECT count(*) FROM (
                SELECT balance_after,
                       sum(amount) OVER (PARTITION BY card_id, unit ORDER BY created_at, id) AS running
                FROM programs_ledgerentry) e
            WHERE balance_after <> running""",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in checks.items():
            cursor.execute(sql, {"at": at})
            found[name] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT md5(string_agg(id || ':' || points_balance || ':' || stamps_balance, ',' ORDER BY id)) "
            "FROM programs_card"
        )
        found["balances md5"] = cursor.fetchone()[0]
        cursor.execute(
            # Both ways expire a card's lots in id order (the job chunk by chunk), so even the intermediate
            # balances and the entry ids must agree.
            "SELECT md5(string_agg(id || ':' || card_id || ':' || lot_id || ':' || amount || ':' || bucket || ':' "
            "|| balance_after, ',' ORDER BY lot_id)) FROM programs_ledgerentry WHERE kind = 'expiry'"
        )
        found["expiry entries md5"] = cursor.fetchone()[0]
        cursor.execute(
            "SELECT c.id, c.points_balance, "
            "(SELECT sum(amount) FROM programs_ledgerentry e WHERE e.card_id = c.id), "
            "(SELECT sum(remaining) FROM programs_lot l WHERE l.card_id = c.id), "
            "(SELECT count(*) FROM programs_ledgerentry e WHERE e.card_id = c.id AND e.kind = 'expiry') "
            "FROM programs_card c ORDER BY random() LIMIT 5"
        )
        found["sample"] = cursor.fetchall()
    problems = [
        name
        for name, value in found.items()
        if isinstance(value, int) and (value != due_lots if name == "expiry entries" else value != 0)
    ]
    found["ok"] = not problems
    found["problems"] = problems
    return found


def backend_cpu() -> float | None:
    """CPU seconds the database backend of this connection has used (user + system), read from ``/proc`` when
    the server runs on this machine; ``None`` otherwise. Unlike wall time it hardly moves with other people's
    load, so it tells whether a change of ratio is the work or the box."""
    import os
    from pathlib import Path

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spent(before: float | None) -> float | None:
    after = backend_cpu()
    return None if before is None or after is None else after - before


def run_engine(*, at, chunk: int | None) -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.services.expiry import lots_expire

    server = backend_cpu()
    cpu, wall = time.process_time(), time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        changed = lots_expire(at=at, chunk=chunk)
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "server cpu": _spent(server),
        "cards changed": changed,
        "statements": len(captured.captured_queries),
        "chunk": chunk or settings.KARTKA_EXPIRY_CHUNK,
    }


def run_reference(*, at) -> dict:
    from django.db import connection, transaction

    server = backend_cpu()
    cpu, wall = time.process_time(), time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REFERENCE, {"at": at})
        entries = cursor.fetchone()[0]
    return {
        "seconds": time.perf_counter() - wall,
        "cpu": time.process_time() - cpu,
        "server cpu": _spent(server),
        "entries": entries,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--lots", type=int, default=1_000_000, help="due lots (a multiple of --cards)")
    parser.add_argument("--cards", type=int, default=100_000)
    parser.add_argument("--live-per-card", type=int, default=2, help="lots per card that are not due")
    parser.add_argument("--chunk", type=int, default=None, help="lots_expire chunk (default: settings)")
    parser.add_argument("--reference-first", action="store_true", help="time the statement first")
    options = parser.parse_args()
    if options.lots % options.cards:
        parser.error("--lots must be a multiple of --cards")

    load = load_average()
    url = database_url(DEFAULT_URL)
    started = time.perf_counter()
    database_recreate(url)
    django_setup(url)
    migrate()
    from django.utils import timezone

    from programs.choices import CardKind
    from programs.models import Business, CardType, Program

    business = Business.objects.create(name="Bench", slug="bench")
    program = Program.objects.create(business=business, name="Bench Rewards", slug="bench")
    card_type = CardType.objects.create(
        program=program, kind=CardKind.CASHBACK, name="Bonus card", cashback_percent=5, points_expiry_days=365
    )
    at = timezone.now().replace(microsecond=0)
    info = machine(load=load)
    print(f"expiry benchmark · {machine_line(info)}")

    def seeded() -> dict:
        steps = seed(
            program_id=program.pk,
            card_type_id=card_type.pk,
            cards=options.cards,
            due_per_card=options.lots // options.cards,
            live_per_card=options.live_per_card,
            at=at,
        )
        return {**steps, **prepare()}

    order = ["reference", "engine"] if options.reference_first else ["engine", "reference"]
    results, checks, seeding = {}, {}, {}
    for name in order:
        seeding[name] = seeded()
        steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in seeding[name].items())
        print(
            f"  seeded {options.lots:,} due lots on {options.cards:,} cards in "
            f"{sum(seeding[name].values()):.1f} s ({steps})"
        )
        results[name] = run_engine(at=at, chunk=options.chunk) if name == "engine" else run_reference(at=at)
        print(f"  {name}: {results[name]['seconds']:.1f} s")
        checks[name] = verify(at=at, due_lots=options.lots)

    engine, reference = results["engine"], results["reference"]
    ratio = engine["seconds"] / reference["seconds"]
    same = all(checks["engine"][key] == checks["reference"][key] for key in ("balances md5", "expiry entries md5"))

    def server(result: dict) -> str:
        return "?" if result["server cpu"] is None else f"{result['server cpu']:.1f} s"

    rows = [
        (
            f"lots_expire (chunk {engine['chunk']}, {engine['statements']} statements)",
            f"{engine['seconds']:.1f} s",
            f"{engine['cpu']:.2f} s",
            server(engine),
            f"{options.lots / engine['seconds']:,.0f}",
        ),
        (
            "one set-based CTE statement",
            f"{reference['seconds']:.1f} s",
            f"{reference['cpu']:.2f} s",
            server(reference),
            f"{options.lots / reference['seconds']:,.0f}",
        ),
    ]
    print()
    print(
        f"{machine_line(info)}; {options.lots:,} due lots + {options.cards * options.live_per_card:,} live lots "
        f"on {options.cards:,} cards; order: {' then '.join(order)}"
    )
    print(table(rows, ("expiry of the due lots", "wall", "app CPU", "server CPU", "lots/s")))
    verdict = "met" if ratio <= 1.5 else "MISSED"
    print(f"\nratio lots_expire / statement: {ratio:.2f}× (target ≤ 1.5×: {verdict})")
    if engine["server cpu"] and reference["server cpu"]:
        print(f"server CPU lots_expire / statement: {engine['server cpu'] / reference['server cpu']:.2f}×")
    for name in order:
        check = checks[name]
        shown = ", ".join(f"{key}: {value}" for key, value in check.items() if isinstance(value, int))
        print(f"checks after {name}: {'OK' if check['ok'] else 'FAILED ' + str(check['problems'])} ({shown})")
        print(f"  sample (card, balance, sum of entries, open lots, expiry entries): {check['sample']}")
    print(
        "both ways leave identical balances and expiry entries (id, card, lot, amount, bucket, balance_after): "
        + ("yes" if same else "NO")
    )
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
