"""Benchmark: the analytics dashboard over two years of purchases, against the same figures from the raw tables,
plus the full recompute and the upkeep cost on the purchase path, one run.

    python bench/analytics.py [--purchases 10000000] [--members 500000] [--days 730] [--requests 20]

Creates its own database (``DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/kartka_bench_analytics``; dropped and re-created), migrates, seeds the cashback
program of ``bench/common.py`` (20 stores, three tiers) with ``--members`` members (joined over the period), then
set-based (``INSERT … SELECT generate_series``, not the services):

* ``--purchases`` purchases spread evenly over ``--days`` days, members and stores by a fixed hash, totals
  50–2 050, 5 % cashback;
* one accrual entry per purchase (its lot too when it is less than a year old), a redemption on every tenth, an
  expiry 365 days later for every third purchase older than a year, and a partial refund 20 days later on every
  hundredth (the refund row and its reversal entry).

The indexes and constraints of those engine tables (but primary keys) are dropped for the inserts and recreated,
identical, before anything is measured. ``--seed-only`` stops there; ``--keep`` reuses the database (with
``--recompute``, the rollups are emptied untimed and the recompute timed again).

Then, timed:

1. **full recompute**: ``analytics.rollups.rollups_recompute`` over the whole period (daily facts chunk by chunk,
   then the member facts and the liability snapshot);
2. **dashboard**: ``GET`` of the program's dashboard for the last 365 days through Django's test client in this
   process (the whole middleware stack, the page rendered; a superuser), ``--requests`` times cold (the rollups'
   version moved before each request, as a consumer batch moves it: nothing built earlier is reused) and
   ``--requests`` times warm (unchanged rollups): p50/p95 wall time, the database's time included; then the first
   request for each of ten stores;
3. **reference**: the same headline figures computed from the raw tables for the same year (purchases, revenue,
   refunds, points earned/redeemed/expired, active members 30/90, stores, monthly series, cohorts), 3 times;
4. **upkeep**: ``--upkeep-rounds`` times, 1 000 purchases through ``purchase_record`` (today, each round on other
   cards), then the analytics consumer handing their events; the consumer's CPU (this process's and its database
   server process's) is reported as a share of the purchases', and the median of the rounds.
"""

import argparse
import gc
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal

from common import (
    database_recreate,
    database_url,
    django_setup,
    load_average,
    machine,
    machine_line,
    migrate,
    percentile,
    process_cpu_seconds,
    program_seed,
    sql_inline,
    sql_insert_select,
    table,
)

DEFAULT = "postgres://postgres@127.0.0.1:5432/kartka_bench_analytics"

REFERENCE_SQL = [
    # Headline sums over the year, straight from purchases, refunds and the ledger.
    """SELECT count(*), sum(total), sum(discount_amount) FROM programs_purchase
       WHERE program_id = %(p)s AND purchased_at >= %(a)s AND purchased_at < %(b)s""",
    """SELECT count(*), sum(amount) FROM programs_refund WHERE program_id = %(p)s
       AND created_at >= %(a)s AND created_at < %(b)s""",
    """SELECT sum(amount) FILTER (WHERE kind IN ('accrual', 'reversal')),
              -sum(amount) FILTER (WHERE kind IN ('redemption', 'return')),
              -sum(amount) FILTER (WHERE kind = 'expiry')
       FROM programs_ledgerentry WHERE program_id = %(p)s AND unit = 'points'
       AND created_at >= %(a)s AND created_at < %(b)s""",
    # The previous year, for the comparison.
    """SELECT count(*), sum(total) FROM programs_purchase
       WHERE program_id = %(p)s AND purchased_at >= %(a)s - interval '365 days' AND purchased_at < %(a)s""",
    # Active members 30 / 90 days.
    """SELECT count(DISTINCT member_id) FILTER (WHERE purchased_at >= %(b)s - interval '30 days'),
              count(DISTINCT member_id) FROM programs_purchase
       WHERE program_id = %(p)s AND purchased_at >= %(b)s - interval '90 days'""",
    # Top stores and the monthly series.
    """SELECT store_id, sum(total), count(*) FROM programs_purchase WHERE program_id = %(p)s
       AND purchased_at >= %(a)s AND purchased_at < %(b)s GROUP BY store_id ORDER BY 2 DESC LIMIT 10""",
    """SELECT date_trunc('month', purchased_at AT TIME ZONE 'Europe/Kyiv'), count(*), sum(total)
       FROM programs_purchase WHERE program_id = %(p)s AND purchased_at >= %(a)s AND purchased_at < %(b)s
       GROUP BY 1 ORDER BY 1""",
    # Monthly cohorts: each member's first month, then their active months.
    """WITH months AS (
         SELECT member_id, date_trunc('month', purchased_at AT TIME ZONE 'Europe/Kyiv') AS month
         FROM programs_purchase WHERE program_id = %(p)s GROUP BY 1, 2),
       firsts AS (SELECT member_id, min(month) AS cohort FROM months GROUP BY 1)
       SELECT f.cohort, m.month, count(*) FROM months m JOIN firsts f USING (member_id)
       WHERE f.cohort >= %(a)s GROUP BY 1, 2""",
]


# The engine tables the seeding fills: their indexes and constraints (all but the primary key) are dropped before
# and recreated, identical, after, so that the tables measured are the engine's own.
BULK_TABLES = ("programs_purchase", "programs_ledgerentry", "programs_lot", "programs_refund")


def _constraints_drop(cursor, tables) -> list[tuple[str, str, str]]:
    """Drop the constraints (but primary keys) and then the plain indexes of ``tables``; returns what it dropped as
    (kind, table, definition) in the order to recreate them: indexes, unique and check constraints, foreign keys."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE conrelid::regclass::text = ANY(%s) AND contype <> 'p'",
        [list(tables)],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
        [list(tables)],
    )
    indexes = cursor.fetchall()
    for relation, name, _definition, _kind in sorted(constraints, key=lambda c: c[3] != "f"):
        cursor.execute(f'ALTER TABLE {relation} DROP CONSTRAINT "{name}"')
    for _table, name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    restore = [("index", relation, definition) for relation, _name, definition in indexes]
    order = {"u": 0, "c": 1, "f": 2}
    for relation, name, definition, kind in sorted(constraints, key=lambda c: order.get(c[3], 1)):
        restore.append((kind, relation, f'ALTER TABLE {relation} ADD CONSTRAINT "{name}" {definition}'))
    return restore


def _constraints_restore(cursor, restore) -> None:
    for _kind, _table, definition in restore:
        cursor.execute(definition)


def seed(*, plan: dict, purchases: int, members: int, days: int, now) -> dict:
    from django.db import connection

    from programs.models import LedgerEntry, Lot, Purchase, Refund
    from programs.services.ledger import LOT_FROM_ENTRY

    p = plan["program_id"]
    first_store = min(plan["store_ids"])
    steps = {}
    with connection.cursor() as cursor:
        # Bulk-load settings for this session only: the tables stay logged (as at measurement time), but a commit
        # doesn't wait for the WAL flush and index builds get memory.
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '512MB'")
        began = time.perf_counter()
        dropped = _constraints_drop(cursor, BULK_TABLES)
        steps["drop indexes"] = time.perf_counter() - began
        cursor.execute("SELECT min(id) FROM programs_member WHERE program_id = %s", [p])
        first_member = cursor.fetchone()[0]
        cursor.execute("SELECT min(id) FROM programs_card WHERE program_id = %s", [p])
        first_card = cursor.fetchone()[0]

        def step(name, sql, params=None):
            began = time.perf_counter()
            cursor.execute(sql, params)
            steps[name] = time.perf_counter() - began

        # Members join over the period (a few before it), cards with them.
        step(
            "members joined",
            "UPDATE programs_member SET joined_at = %(now)s - make_interval(days => mod(id * 37, %(days)s + 30)::int) "
            "WHERE program_id = %(p)s",
            {"now": now, "days": days, "p": p},
        )
        step(
            "cards issued",
            "UPDATE programs_card c SET issued_at = m.joined_at FROM programs_member m "
            "WHERE m.id = c.member_id AND c.program_id = %(p)s",
            {"p": p},
        )
        at = f"%(now)s - make_interval(secs => ({days} * 86400.0 * (%(n)s - g) / %(n)s))"
        who = f"mod(g * 7919, {members})"
        total = "(50 + mod(g * 31, 200000) / 100.0)"
        sql, defaults = sql_insert_select(
            Purchase,
            exprs={
                "program_id": str(p),
                "store_id": f"{first_store} + mod(g, 20)",
                "card_id": f"{first_card} + {who}",
                "member_id": f"{first_member} + {who}",
                "receipt_id": "'r' || g",
                "fingerprint": "''",
                "purchased_at": at,
                "created_at": at,
                "total": total,
                "paid_amount": total,
                "spend_counted": total,
                "points_earned": f"round({total} * 0.05, 2)",
                "points_redeemed": f"CASE WHEN mod(g, 10) = 0 THEN round({total} * 0.02, 2) ELSE 0 END",
                "redeemed_value": f"CASE WHEN mod(g, 10) = 0 THEN round({total} * 0.02, 2) ELSE 0 END",
                "refunded_amount": "CASE WHEN mod(g, 100) = 0 THEN 10 ELSE 0 END",
            },
            source="FROM generate_series(1::bigint, %(n)s::bigint) AS g",
        )
        step("purchases", sql_inline(sql, defaults, cursor), {"now": now, "n": purchases})

        def entries(name, kind, amount, when, where, extra=None):
            exprs = {
                "program_id": "x.program_id",
                "card_id": "x.card_id",
                "kind": f"'{kind}'",
                "unit": "'points'",
                "bucket": "'cashback'",
                "amount": amount,
                "balance_after": "0",
                "reason": "''",
                "store_id": "x.store_id",
                "purchase_id": "x.id",
                "created_at": when,
                **(extra or {}),
            }
            sql, defaults = sql_insert_select(
                LedgerEntry, exprs=exprs, source=f"FROM programs_purchase x WHERE x.program_id = %(p)s AND {where}"
            )
            step(name, sql_inline(sql, defaults, cursor), {"p": p, "now": now})

        entries(
            "accruals",
            "accrual",
            "x.points_earned",
            "x.purchased_at",
            "true",
            {"expires_at": "x.purchased_at + interval '365 days'"},
        )
        entries("redemptions", "redemption", "-x.points_redeemed", "x.purchased_at", "x.points_redeemed > 0")
        entries(
            "expiries",
            "expiry",
            "-x.points_earned",
            "x.purchased_at + interval '365 days'",
            "x.purchased_at < %(now)s - interval '365 days' AND mod(x.id, 3) = 0 AND x.points_earned > 0",
            {"store_id": "NULL", "purchase_id": "NULL"},
        )
        sql, defaults = sql_insert_select(
            Refund,
            exprs={
                "program_id": "x.program_id",
                "purchase_id": "x.id",
                "refund_id": "'f' || x.id",
                "fingerprint": "''",
                "amount": "10",
                "points_reversed": "0.50",
                "spend_reversed": "10",
                "created_at": "x.purchased_at + interval '20 days'",
            },
            source="FROM programs_purchase x WHERE x.program_id = %(p)s AND x.refunded_amount > 0",
        )
        step("refunds", sql_inline(sql, defaults, cursor), {"p": p})
        entries(
            "reversals",
            "reversal",
            "-0.50",
            "x.purchased_at + interval '20 days'",
            "x.refunded_amount > 0",
        )
        lot_sql, lot_defaults = sql_insert_select(
            Lot,
            exprs={lot: f"e.{entry}" for lot, entry in LOT_FROM_ENTRY.items()},
            source="FROM programs_ledgerentry e WHERE e.kind = 'accrual' AND e.expires_at > %s ORDER BY e.id",
            source_params=[now],
        )
        step("lots", lot_sql, lot_defaults)
        began = time.perf_counter()
        _constraints_restore(cursor, dropped)
        steps["recreate indexes and constraints"] = time.perf_counter() - began
        step(
            "member counters",
            "UPDATE programs_member m SET purchase_count = s.n, lifetime_spend = s.total FROM "
            "(SELECT member_id, count(*) AS n, sum(total) AS total FROM programs_purchase GROUP BY 1) s "
            "WHERE s.member_id = m.id",
        )
        step("vacuum analyze", "VACUUM ANALYZE")
    return steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--purchases", type=int, default=10_000_000)
    parser.add_argument("--members", type=int, default=500_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--upkeep", type=int, default=1000)
    parser.add_argument("--upkeep-rounds", type=int, default=3)
    parser.add_argument(
        "--keep", action="store_true", help="Reuse the database of an earlier run: no seeding, no recompute."
    )
    parser.add_argument("--seed-only", action="store_true", help="Seed the database, then stop (rerun with --keep).")
    parser.add_argument("--recompute", action="store_true", help="With --keep: run and time the full recompute.")
    args = parser.parse_args()

    load = load_average()
    url = database_url(DEFAULT)
    if not args.keep:
        database_recreate(url)
    django_setup(url)
    migrate()

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from analytics import rollups, selectors
    from analytics.models import DailyFact, MemberFact, MemberJoining, MemberMonth, MemberRecency, RecomputeRun
    from programs.models import Card, Program, Store
    from programs.services.purchases import purchase_record

    now = timezone.now()
    phases, recompute = {}, float("nan")
    if args.keep:
        program = Program.objects.get(slug="bench")
    else:
        began = time.perf_counter()
        plan = program_seed(cards=args.members)
        steps = seed(plan=plan, purchases=args.purchases, members=args.members, days=args.days, now=now)
        seeded = time.perf_counter() - began
        program = Program.objects.get(pk=plan["program_id"])
        print(f"seeded in {seeded:.0f} s: " + ", ".join(f"{name} {secs:.0f} s" for name, secs in steps.items()))
        if args.seed_only:
            return
    if not args.keep or args.recompute:
        # 1. Full recompute, from the first day: a run an earlier benchmark left unfinished is not resumed. On a kept
        # database the rollups are emptied first (not timed), so that the recompute starts where it does after
        # seeding: nothing rolled up yet.
        RecomputeRun.objects.filter(program=program, finished_at=None).delete()
        if args.keep:
            with connection.cursor() as cursor:
                cursor.execute(
                    "TRUNCATE analytics_dailyfact, analytics_memberfact, analytics_membermonth, "
                    "analytics_memberrecency, analytics_memberjoining, analytics_liabilitysnapshot"
                )
                cursor.execute("VACUUM ANALYZE")
        bounds = rollups.history_bounds(program)
        began = time.perf_counter()
        last_mark = [began]

        def progress(run):
            last_mark[0] = time.perf_counter()

        rollups.rollups_recompute(program=program, first=bounds[0], last=bounds[1], progress=progress)
        recompute = time.perf_counter() - began
        phases["daily facts"] = round(last_mark[0] - began, 1)
        phases["member facts + liability"] = round(time.perf_counter() - last_mark[0], 1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    sizes = {
        "daily facts": DailyFact.objects.count(),
        "member facts": MemberFact.objects.count(),
        "member months": MemberMonth.objects.count(),
        "member summaries": MemberRecency.objects.count() + MemberJoining.objects.count(),
    }
    print(f"recompute {recompute:.1f} s ({phases}); rows {sizes}", flush=True)

    # 2. The dashboard for a year. Cold: the rollups' version moved before each request (what a consumer batch
    # does), so nothing built earlier is reused; warm: the same page again with unchanged rollups.
    admin, _created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True, "email": "b@example.com"}
    )
    client = Client()
    client.force_login(admin)
    today = rollups.local_day(program, now)
    first = today - timedelta(days=364)
    page = reverse("analytics_dashboards:program", args=[program.pk]) + f"?first={first}&last={today}"
    response = client.get(page)
    assert response.status_code == 200, response.status_code
    assert b"analytics-kpi" in response.content

    def timed(url: str, *, cold: bool) -> float:
        if cold:
            rollups.version_bump(program=program)
        began = time.perf_counter()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return (time.perf_counter() - began) * 1000

    cold_times = [timed(page, cold=True) for _ in range(args.requests)]
    warm_times = [timed(page, cold=False) for _ in range(args.requests)]
    selector_times = []
    filters = selectors.Filters(first=first, last=today)
    for _ in range(5):
        began = time.perf_counter()
        selectors.dashboard_get(program=program, filters=filters)
        selector_times.append((time.perf_counter() - began) * 1000)
    # The same page filtered by a store (the facts' widest cut), each store once: the first request of each filter
    # set is cold by nature.
    stores = list(Store.objects.filter(program=program).order_by("pk"))
    rollups.version_bump(program=program)
    filtered_times = [timed(page + f"&store={store.pk}", cold=False) for store in stores[:10]]

    # 3. The reference: the same figures from the raw tables.
    start, end = rollups.day_bounds(program, first, today)
    reference = []
    with connection.cursor() as cursor:
        for _ in range(3):
            began = time.perf_counter()
            for sql in REFERENCE_SQL:
                cursor.execute(sql, {"p": program.pk, "a": start, "b": end})
                cursor.fetchall()
            reference.append((time.perf_counter() - began) * 1000)

    # 4. Upkeep: purchases through the service, then the consumer on their events.
    from django.db.models import Q

    from programs import outbox
    from programs.models import Event, EventCursor

    consumer = next(c for c in outbox.consumers() if c.name == "analytics")
    # Start the analytics cursor here: the history was rolled up by the recompute.
    end_tx, end_id = outbox.events_end()
    EventCursor.objects.filter(consumer=consumer.name).update(tx=end_tx, event_id=end_id)
    # The liability snapshot (every open lot read) is refreshed by the consumer at most every ten minutes: done here,
    # timed on its own, so that the upkeep below measures what every batch costs, in every run alike.
    began = time.perf_counter()
    rollups.liability_refresh(program=program)
    liability = time.perf_counter() - began
    # Both phases run on this one connection: its server process's CPU is the database's share of each.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]

    def measured(work) -> tuple[float, float, float]:
        """(wall, this process's CPU, the database's CPU) of ``work()``, garbage of earlier phases collected first."""
        gc.collect()
        began, cpu, server = time.perf_counter(), time.process_time(), process_cpu_seconds([backend])
        work()
        return time.perf_counter() - began, time.process_time() - cpu, process_cpu_seconds([backend]) - server

    def purchases(cards):
        def work():
            for n, card in enumerate(cards):
                receipt = f"u{int(now.timestamp())}-{card.pk}"
                purchase_record(card=card, store=stores[n % len(stores)], receipt_id=receipt, total=Decimal("123.45"))

        return work

    handed = [0]
    written = [0]

    def consume():
        # Every event of the round: on PostgreSQL the outbox hands on nothing past a transaction still open anywhere
        # on the server (another engineer's run, say), so wait (off the CPU) for what is not readable yet.
        while handed[0] < written[0]:
            moved = outbox.consumer_dispatch(consumer)
            if moved:
                handed[0] += moved
            else:
                time.sleep(0.05)

    rounds = []
    for round_number in range(args.upkeep_rounds):
        first_card = round_number * args.upkeep
        cards = list(Card.objects.filter(program=program).order_by("pk")[first_card : first_card + args.upkeep])
        handed[0], mark = 0, outbox.events_end()
        bought = measured(purchases(cards))
        written[0] = Event.objects.filter(Q(tx__gt=mark[0]) | Q(tx=mark[0], pk__gt=mark[1])).count()
        rounds.append((bought, measured(consume), handed[0]))

    info = machine(load=load)
    print()
    print(machine_line(info))
    print(f"command: python bench/analytics.py {' '.join(sys.argv[1:])}")
    print(
        table(
            [
                (
                    "dashboard GET, 365 days, cold (rollups changed before each)",
                    f"{statistics.median(cold_times):.0f}",
                    f"{percentile(cold_times, 0.95):.0f}",
                ),
                (
                    "dashboard GET, 365 days, warm (same rollups)",
                    f"{statistics.median(warm_times):.0f}",
                    f"{percentile(warm_times, 0.95):.0f}",
                ),
                ("  rollup reads alone (selectors.dashboard_get)", f"{statistics.median(selector_times):.0f}", "—"),
                (
                    "dashboard GET, 365 days, one store (first request per store)",
                    f"{statistics.median(filtered_times):.0f}",
                    f"{percentile(filtered_times, 0.95):.0f}",
                ),
                ("reference: same figures from raw tables", f"{statistics.median(reference):.0f}", "—"),
            ],
            ("what (ms)", "p50", "p95"),
        )
    )
    print(f"full recompute of {args.purchases:,} purchases: {recompute:.1f} s ({phases})")
    print(f"liability snapshot (the consumer's, at most every {rollups.LIABILITY_REFRESH}): {liability:.2f} s")
    shares = []
    for (p_wall, p_cpu, p_db), (c_wall, c_cpu, c_db), events in rounds:
        share = 100 * (c_cpu + c_db) / (p_cpu + p_db)
        shares.append(share)
        print(
            f"upkeep: {args.upkeep} purchases {p_wall:.2f} s wall, CPU {p_cpu:.2f} s app + {p_db:.2f} s database; "
            f"consumer on their {events} events {c_wall:.2f} s wall, CPU {c_cpu:.2f} s app + {c_db:.2f} s database"
            f" = {share:.1f} % CPU (app + database), {100 * c_cpu / p_cpu:.1f} % app CPU, "
            f"{100 * c_wall / p_wall:.1f} % wall"
        )
    print(f"upkeep share of the purchase path, median of {len(shares)} rounds: {statistics.median(shares):.1f} % CPU")


if __name__ == "__main__":
    main()
