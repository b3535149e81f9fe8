"""Benchmark: the customer cabinet (``GET /account/``) of a member among 100 000 members and 5 000 000 ledger
entries, against a one-query Django view, one run.

    python bench/portal.py [--members 100000] [--entries 5000000] [--seconds 5] [--rounds 3] [--profile 200]

Creates its own database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/kartka_bench_portal``;
dropped and re-created), migrates, and seeds one program as a business would set it up (a cashback card with a
redemption rule and points expiry, a stamp card, three tiers, a registration bonus and happy hours, stores) with
its portal (``pages.services.portal_site_create``, host ``bench.localhost``). Then, set-based (``INSERT …
SELECT`` from one unlogged staging table, as ``bench/expiry.py`` seeds; not the services):

* ``--members`` members, each with a cashback card, every third with a stamp card too;
* about ``--entries`` ledger entries on the cashback cards, skewed: 60 % of the members have 5–15, 30 % 30–90,
  9 % 150–250 and 1 % 600–1000 (scaled to the total). Per card, over the last 360 days: a welcome bonus (the
  registration rule), purchases earning 5 % cashback (expiry 365 days), happy-hours promo bonuses (expiry 30
  days; the ones older than that expired, with their expiry entry), and every fifth entry paying with the
  points of the three previous purchases. Each purchase-linked entry points to its purchase row (total, paid,
  points redeemed and earned). ``balance_after`` is the running sum; one lot per credit, cashback lots spent
  oldest first (remaining > 0 for what is not spent yet), expired promo lots closed; card balances = the sum
  of the entries = the open lots; members' spend, purchase count and tier from their purchases.

  Simplifications (the cabinet does not read them): no lot allocations, redemptions take cashback lots only
  (the engine would take the promo lots first, being sooner to expire), stamp cards carry no stamps.

Then a handful of members across the skew are signed in with ``portal.services.session_start``, and requests go
through Django's WSGI handler in this process (the project's settings and full middleware stack), one after
another, in alternating rounds (``--rounds`` × ``--seconds`` each):

1. the **cabinet** ``GET /account/`` on ``bench.localhost`` as a signed-in member (rotating over the sample);
2. the **reference**: ``GET /bare/member/`` on ``localhost`` through the same middleware stack, one indexed
   query for a member row rendered by a small template (rotating over the same members);
3. secondary, once each: the **history** ``GET /account/history/`` and the **card** ``GET /account/card/``.

Per request: wall time in this process (p50/p95/p99, the database's time included), requests/s, queries per
page (``CaptureQueriesContext``, per sampled member). Before measuring, every page must answer 200 and show the
member's card number (card page) and balance (cabinet). ``--explain`` prints the cabinet's queries with their
plans for the heaviest member; ``--profile N`` prints the top of a cProfile of N cabinet requests.
"""

import argparse
import cProfile
import io
import pstats
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
    sql_inline,
    sql_insert_select,
    table,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench_portal"
HOST = "bench.localhost"
SPAN_SECONDS = 355 * 24 * 3600  # a card's entries spread over 355 of the last 360 days
urlpatterns: list = []

# Entries per card before scaling: the skew (share of members, low, spread) — mean ≈ 50 slots per card.
SKEW = "CASE WHEN mod(c.id * 7919, 100) < 60 THEN 5 + mod(c.id, 11) WHEN mod(c.id * 7919, 100) < 90 THEN 30 + mod(c.id * 13, 61) WHEN mod(c.id * 7919, 100) < 99 THEN 150 + mod(c.id * 17, 101) ELSE 600 + mod(c.id * 31, 401) END"  # noqa: E501


def program_seed() -> dict:
    """The program's configuration through the factories, as a business would set it up, and its portal."""
    from pages.services import portal_site_create
    from programs.choices import Bucket, RuleKind, StampBasis
    from programs.factories import (
        BusinessFactory,
        CardTypeFactory,
        EarningRuleFactory,
        ProgramFactory,
        RedemptionRuleFactory,
        StoreFactory,
        TierFactory,
    )
    from tenancy.actors import Actor

    program = ProgramFactory(
        business=BusinessFactory(slug="bench", name="Bench Coffee & Bakery"), slug="bench", name="Bench Rewards"
    )
    cashback = CardTypeFactory(
        program=program, name="Bench Rewards card", cashback_percent=Decimal(5), points_expiry_days=365
    )
    RedemptionRuleFactory(
        card_type=cashback, point_value=Decimal(1), max_share_percent=Decimal(50), min_check=Decimal(50)
    )
    stamps = CardTypeFactory(
        program=program,
        name="Bench Coffee",
        stamps=True,
        stamp_goal=9,
        stamp_basis=StampBasis.ITEM,
        stamp_categories="coffee",
        reward_description="A free coffee",
    )
    tiers = [
        TierFactory(
            program=program, name=name, threshold=Decimal(threshold), cashback_percent=Decimal(rate), color=color
        )
        for name, threshold, rate, color in (
            ("Standard", 0, 5, "#9e9e9e"),
            ("Silver", 10000, 6, "#b0b7c3"),
            ("Gold", 30000, 7, "#c9a227"),
        )
    ]
    welcome = EarningRuleFactory(
        program=program,
        name="Welcome",
        kind=RuleKind.REGISTRATION,
        bonus_points=Decimal(50),
        multiplier=Decimal(1),
    )
    happy = EarningRuleFactory(
        program=program,
        name="Happy hours",
        kind=RuleKind.MULTIPLIER,
        multiplier=Decimal("1.5"),
        bucket=Bucket.PROMO,
        expiry_days=30,
    )
    stores = [
        StoreFactory(program=program, name=f"Bench store {i}", code=f"store-{i}", address=f"{i + 1} Main St")
        for i in range(8)
    ]
    portal_site_create(program=program, hostname=HOST, port=80, actor=Actor.system("bench"))
    return {
        "program": program,
        "cashback": cashback,
        "stamps": stamps,
        "tiers": tiers,
        "welcome": welcome,
        "happy": happy,
        "stores": [store.pk for store in stores],
    }


def t_at(k: str) -> str:
    """The time of slot ``k`` of card ``s.card_id`` with ``s.n`` slots (evenly spread, a per-card jitter)."""
    return f"(%(start)s + make_interval(secs => ({k}) * {SPAN_SECONDS}.0 / (s.n + 1) + mod(s.card_id * 37, 3600)))"


def points_of(k: str) -> str:
    """Cashback points of the purchase of slot ``k``: 5 % of its paid amount (a closed form, so a redemption can
    name the three purchases it spends)."""
    return f"round(({paid_of(k)}) * 0.05, 2)"


def paid_of(k: str) -> str:
    # After a redemption (k = 5i + 1) the check is bigger, so paying ≤ 50 % of it with points holds.
    return f"(CASE WHEN mod({k}, 5) = 1 THEN 300 ELSE 50 END + mod(s.card_id * 31 + ({k}) * 977, 1950))"


def ledger_seed(*, ids: dict, members: int, entries: int, now) -> dict:
    """Members, cards, purchases, entries, lots and balances, set-based. Returns seconds per step and counts."""
    from django.db import connection

    from programs.models import Card, LedgerEntry, Lot, Member, Purchase

    program = ids["program"]
    steps: dict[str, float] = {}
    scale = entries / (members * 50 * 1.08)  # ≈ 8 % of the slots are promo bonuses that expired: one more entry
    with connection.cursor() as cursor:

        def step(name: str, sql: str, params=None) -> None:
            began = time.perf_counter()
            cursor.execute(sql, params)
            steps[name] = time.perf_counter() - began

        sql, params = sql_insert_select(
            Member,
            exprs={
                "program_id": ("%s", [program.pk]),
                "phone": "'+38050' || lpad(g::text, 7, '0')",
                "first_name": "'Member ' || g",
                "joined_at": ("%s", [now - timedelta(days=365)]),
            },
            source="FROM generate_series(1, %s) AS g",
            source_params=[members],
        )
        step("members", sql, params)
        for name, card_type, prefix, where in (
            ("cards", ids["cashback"], "2", ""),
            ("stamp cards", ids["stamps"], "3", "AND mod(m.id, 3) = 0"),
        ):
            sql, params = sql_insert_select(
                Card,
                exprs={
                    "program_id": ("%s", [program.pk]),
                    "member_id": "m.id",
                    "card_type_id": ("%s", [card_type.pk]),
                    "number": f"'{prefix}' || lpad(m.id::text, 12, '0')",
                    "issued_at": ("%s", [now - timedelta(days=365)]),
                    "updated_at": ("%s", [now - timedelta(days=1)]),
                },
                source=f"FROM programs_member m WHERE m.program_id = %s {where} ORDER BY m.id",
                source_params=[program.pk],
            )
            step(name, sql, params)

        # One row per slot k of each cashback card: its role, amount and links; then the expiry of old promo
        # bonuses; ids are a closed form of (card, slot) so purchases, entries and lots name each other.
        stores = "ARRAY[" + ",".join(str(pk) for pk in ids["stores"]) + "]"
        store_of = f"({stores})[1 + mod(s.card_id + s.k, {len(ids['stores'])})]"
        slots = f"""
            SELECT c.id AS card_id, c.member_id, k, n FROM (
                SELECT c.id, c.member_id, greatest(6, round(({SKEW}) * %(scale)s)::int) AS n0
                FROM programs_card c WHERE c.card_type_id = %(cashback)s
            ) c (id, member_id, n0)
            CROSS JOIN LATERAL (SELECT CASE WHEN mod(c.n0, 5) = 0 THEN c.n0 - 1 ELSE c.n0 END AS n) nn
            CROSS JOIN LATERAL generate_series(1, nn.n) AS k
        """
        role = (
            "CASE WHEN s.k = 1 THEN 'welcome' WHEN mod(s.k, 5) = 0 THEN 'redeem' "
            "WHEN mod(s.k, 10) = 3 THEN 'promo' ELSE 'earn' END"
        )
        # The redemption at k spends the three purchases before it: k-1, k-3 and k-4 at k = 10i + 5 (k-2 is the
        # happy-hours bonus; at k = 5 slot 1 is the 50-point welcome bonus), k-1, k-2 and k-3 at k = 10i.
        spent = (
            f"{points_of('s.k - 1')} + CASE WHEN mod(s.k, 10) = 5 "
            f"THEN {points_of('s.k - 3')} + CASE WHEN s.k = 5 THEN 50 ELSE {points_of('s.k - 4')} END "
            f"ELSE {points_of('s.k - 2')} + {points_of('s.k - 3')} END"
        )
        # The redemption at k pays part of purchase k + 1 (the earning of the same check follows it); the
        # happy-hours bonus at k is the extra half of purchase k - 1's cashback. Slot 1 (welcome) has no purchase.
        staged = f"""
            CREATE UNLOGGED TABLE bench_slot AS
            SELECT s.card_id, s.member_id, s.k, s.n, r.role,
                   CASE r.role WHEN 'welcome' THEN 50::numeric
                               WHEN 'earn' THEN {points_of("s.k")}
                               WHEN 'promo' THEN round({points_of("s.k - 1")} * 0.5, 2)
                               ELSE -({spent}) END AS amount,
                   CASE r.role WHEN 'redeem' THEN {t_at("s.k + 1")}
                               WHEN 'promo' THEN {t_at("s.k - 1")}
                               ELSE {t_at("s.k")} END AS created_at,
                   CASE r.role WHEN 'redeem' THEN s.card_id::bigint * 1024 + s.k + 1
                               WHEN 'promo' THEN s.card_id::bigint * 1024 + s.k - 1
                               WHEN 'earn' THEN s.card_id::bigint * 1024 + s.k END AS purchase_id,
                   CASE WHEN r.role = 'welcome' THEN NULL ELSE {store_of} END AS store_id,
                   {paid_of("s.k")} AS paid
            FROM ({slots}) s CROSS JOIN LATERAL (SELECT {role} AS role) r
        """
        params = {"scale": scale, "cashback": ids["cashback"].pk, "start": now - timedelta(days=360)}
        step("staging: slots", staged, params)
        step(
            "staging: entries",
            """
            CREATE UNLOGGED TABLE bench_entry AS
            SELECT e.*, sum(e.amount) OVER (PARTITION BY e.card_id ORDER BY e.created_at, e.id) AS balance_after,
                   CASE WHEN e.lot_of IS NULL AND e.amount > 0 AND e.bucket = 'cashback' THEN
                       least(e.amount, greatest(0,
                           sum(e.amount) FILTER (WHERE e.amount > 0 AND e.bucket = 'cashback')
                               OVER (PARTITION BY e.card_id ORDER BY e.created_at, e.id)
                           - sum(-e.amount) FILTER (WHERE e.role = 'redeem') OVER (PARTITION BY e.card_id)))
                   WHEN e.role = 'promo' THEN
                       CASE WHEN e.expires_at <= %(now)s THEN 0 ELSE e.amount END
                   END AS remaining
            FROM (
                SELECT s.card_id::bigint * 2048 + 2 * s.k AS id, s.card_id, s.member_id, s.k, s.role,
                       CASE s.role WHEN 'redeem' THEN 'redemption' ELSE 'accrual' END AS kind,
                       CASE s.role WHEN 'promo' THEN 'promo' ELSE 'cashback' END AS bucket,
                       s.amount, s.created_at, s.purchase_id, s.store_id, NULL::bigint AS lot_of,
                       CASE s.role WHEN 'promo' THEN s.created_at + interval '30 days'
                                   WHEN 'redeem' THEN NULL
                                   ELSE s.created_at + interval '365 days' END AS expires_at,
                       CASE s.role WHEN 'welcome' THEN %(welcome)s WHEN 'promo' THEN %(happy)s END AS rule_id
                FROM bench_slot s
                UNION ALL
                SELECT s.card_id::bigint * 2048 + 2 * s.k + 1, s.card_id, s.member_id, s.k, 'expire', 'expiry',
                       'promo', -s.amount, s.created_at + interval '30 days', NULL, NULL,
                       s.card_id::bigint * 2048 + 2 * s.k, NULL, NULL
                FROM bench_slot s WHERE s.role = 'promo' AND s.created_at + interval '30 days' <= %(now)s
            ) e
            """,
            {"now": now, "welcome": ids["welcome"].pk, "happy": ids["happy"].pk},
        )
        purchase_sql, defaults = sql_insert_select(
            Purchase,
            exprs={
                "id": "s.card_id::bigint * 1024 + s.k",
                "program_id": str(program.pk),
                "store_id": "s.store_id",
                "card_id": "s.card_id",
                "member_id": "s.member_id",
                "receipt_id": "'R' || s.card_id || '-' || s.k",
                "fingerprint": "md5(s.card_id || '-' || s.k)",
                "purchased_at": "s.created_at",
                "created_at": "s.created_at",
                "total": "s.paid + coalesce(-r.amount, 0)",
                "points_redeemed": "coalesce(-r.amount, 0)",
                "redeemed_value": "coalesce(-r.amount, 0)",
                "paid_amount": "s.paid",
                "points_earned": "s.amount + coalesce(p.amount, 0)",
                "spend_counted": "s.paid",
            },
            source="FROM bench_slot s "
            "LEFT JOIN bench_slot r ON r.card_id = s.card_id AND r.k = s.k - 1 AND r.role = 'redeem' "
            "LEFT JOIN bench_slot p ON p.card_id = s.card_id AND p.k = s.k + 1 AND p.role = 'promo' "
            "WHERE s.role = 'earn' ORDER BY s.created_at",
        )
        step("purchases", sql_inline(purchase_sql, defaults, cursor))
        entry_sql, defaults = sql_insert_select(
            LedgerEntry,
            exprs={
                "id": "e.id",
                "program_id": str(program.pk),
                "card_id": "e.card_id",
                "kind": "e.kind",
                "unit": "'points'",
                "bucket": "e.bucket",
                "amount": "e.amount",
                "balance_after": "e.balance_after",
                "expires_at": "e.expires_at",
                "lot_id": "e.lot_of",
                "rule_id": "e.rule_id",
                "purchase_id": "e.purchase_id",
                "store_id": "e.store_id",
                "created_at": "e.created_at",
            },
            # Appended in time order, as the engine does; the expiries after the lots they close.
            source="FROM bench_entry e WHERE e.kind {} 'expiry' ORDER BY e.created_at, e.id",
        )
        entry_sql = sql_inline(entry_sql, defaults, cursor)
        step("entries", entry_sql.format("<>"))
        lot_sql, defaults = sql_insert_select(
            Lot,
            exprs={
                "id": "e.id",
                "program_id": str(program.pk),
                "card_id": "e.card_id",
                "unit": "'points'",
                "bucket": "e.bucket",
                "amount": "e.amount",
                "remaining": "e.remaining",
                "expires_at": "e.expires_at",
                "entry_id": "e.id",
                "created_at": "e.created_at",
            },
            source="FROM bench_entry e WHERE e.remaining IS NOT NULL ORDER BY e.created_at, e.id",
        )
        step("lots", sql_inline(lot_sql, defaults, cursor))
        step("expiry entries", entry_sql.format("="))
        step(
            "balances",
            "UPDATE programs_card c SET points_balance = e.total "
            "FROM (SELECT card_id, sum(amount) AS total FROM bench_entry GROUP BY card_id) e WHERE e.card_id = c.id",
        )
        tiers = ids["tiers"]
        step(
            "members' spend and tier",
            "UPDATE programs_member m SET lifetime_spend = p.spend, purchase_count = p.count, "
            "points_earned_total = p.earned, "
            "tier_id = CASE WHEN p.spend >= %(gold)s THEN %(gold_id)s WHEN p.spend >= %(silver)s THEN %(silver_id)s "
            "ELSE %(standard_id)s END, tier_achieved_at = %(since)s "
            "FROM (SELECT member_id, sum(paid) AS spend, count(*) AS count, sum(amount) AS earned "
            "      FROM bench_slot WHERE role = 'earn' GROUP BY member_id) p WHERE p.member_id = m.id",
            {
                "gold": tiers[2].threshold,
                "gold_id": tiers[2].pk,
                "silver": tiers[1].threshold,
                "silver_id": tiers[1].pk,
                "standard_id": tiers[0].pk,
                "since": now - timedelta(days=30),
            },
        )
        for table_name in ("programs_ledgerentry", "programs_lot", "programs_purchase"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), (SELECT max(id) FROM {table_name}))"
            )
        counts = {}
        for name, sql in (
            ("members", "SELECT count(*) FROM programs_member"),
            ("cards", "SELECT count(*) FROM programs_card"),
            ("purchases", "SELECT count(*) FROM programs_purchase"),
            ("entries", "SELECT count(*) FROM programs_ledgerentry"),
            ("lots", "SELECT count(*) FROM programs_lot"),
            ("open lots", "SELECT count(*) FROM programs_lot WHERE remaining > 0"),
            ("expired lots", "SELECT count(*) FROM programs_lot WHERE remaining = 0 AND expires_at <= now()"),
        ):
            cursor.execute(sql)
            counts[name] = cursor.fetchone()[0]
        checks = {
            "cards: balance != open lots": """
                SELECT count(*) FROM programs_card c LEFT JOIN (
                    SELECT card_id, sum(remaining) AS total FROM programs_lot GROUP BY card_id) l ON l.card_id = c.id
                WHERE c.points_balance <> coalesce(l.total, 0)""",
            "cards: newest balance_after != balance": """
                SELECT count(*) FROM programs_card c JOIN (
                    SELECT DISTINCT ON (card_id) card_id, balance_after FROM bench_entry
                    ORDER BY card_id, created_at DESC, id DESC) e ON e.card_id = c.id
                WHERE c.points_balance <> e.balance_after""",
        }
        for name, sql in checks.items():
            cursor.execute(sql)
            counts[name] = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_slot, bench_entry")
        began = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        steps["vacuum analyze"] = time.perf_counter() - began
    return {"steps": steps, "counts": counts}


def sample_members(count_per_group: int = 2) -> list[dict]:
    """Members across the skew: the lightest and heaviest groups and two between, with their entry counts."""
    from django.db import connection

    from programs.models import Card

    picked = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, c.member_id, ({SKEW}) AS slots FROM programs_card c "
            "WHERE c.number LIKE '2%%' ORDER BY mod(c.id * 7919, 100), c.id"
        )
        rows = cursor.fetchall()
    groups = [(5, 15), (30, 90), (150, 250), (600, 1000)]
    for low, high in groups:
        within = [row for row in rows if low <= row[2] <= high]
        step = max(1, len(within) // count_per_group)
        picked.extend(within[::step][:count_per_group])
    # The member with the most entries, whichever it is.
    heaviest = max(rows, key=lambda row: row[2])
    if heaviest not in picked:
        picked.append(heaviest)
    members = []
    for card_id, _member_id, _slots in picked:
        card = Card.objects.select_related("member").get(pk=card_id)
        members.append(
            {
                "member": card.member,
                "card": card,
                "entries": card.entries.count(),
                "open lots": card.lots.filter(remaining__gt=0).count(),
            }
        )
    return members


def timed(client, path: str, host: str, cookies: list[str], seconds: float) -> tuple[list[float], float]:
    """Back-to-back GETs for ``seconds``, rotating over ``cookies``: per-request wall ms and requests/s."""
    times = []
    started = time.perf_counter()
    deadline = started + seconds
    index = 0
    while True:
        cookie = cookies[index % len(cookies)]
        index += 1
        began = time.perf_counter()
        status, _headers, _body = client.get(path, host, cookie=cookie)
        times.append((time.perf_counter() - began) * 1000)
        if not status.startswith("200"):
            raise SystemExit(f"{host}{path} answered {status}")
        now = time.perf_counter()
        if now >= deadline:
            return times, len(times) / (now - started)


def queries(client, path: str, host: str, cookie: str) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        status, _headers, _body = client.get(path, host, cookie=cookie)
    if not status.startswith("200"):
        raise SystemExit(f"{host}{path} answered {status}")
    return captured.captured_queries


class Client:
    """Django's WSGI handler called in-process, as a WSGI server would call it (``bench/pages.py``'s, with a
    cookie; not imported from there: on this path ``pages`` would shadow the project's app)."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def get(self, path: str, host: str, cookie: str = "") -> tuple[str, dict, bytes]:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": host,
            "SERVER_PORT": "80",
            "HTTP_HOST": host,
            "HTTP_COOKIE": cookie,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, dict(headers)

        result = self.handler(environ, start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return answer["status"], answer["headers"], body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=5_000_000, help="ledger entries, about")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of cabinet and reference, alternating")
    parser.add_argument("--profile", type=int, default=200, help="cabinet requests to profile (0: none)")
    parser.add_argument("--explain", action="store_true", help="print the cabinet's queries with their plans")
    options = parser.parse_args()

    load = load_average()
    url = database_url(DEFAULT_URL)
    started = time.perf_counter()
    database_recreate(url)
    django_setup(url)
    migrate()
    from django.conf import settings
    from django.db import connection
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import clear_url_caches, path
    from django.utils import timezone, translation
    from django.utils.html import escape

    import config.urls
    from pages.formats import money
    from portal.context import SESSION_COOKIE
    from portal.services import session_start
    from programs.models import Member

    now = timezone.now().replace(microsecond=0)
    ids = program_seed()
    seeded = ledger_seed(ids=ids, members=options.members, entries=options.entries, now=now)
    seeding = time.perf_counter() - started
    info = machine(load=load)
    print(f"portal benchmark · {machine_line(info)}")
    print(
        f"  seeded in {seeding:.0f} s: "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in seeded["steps"].items())
    )
    print("  " + ", ".join(f"{name}: {value:,}" for name, value in seeded["counts"].items()))
    if seeded["counts"]["cards: balance != open lots"] or seeded["counts"]["cards: newest balance_after != balance"]:
        raise SystemExit("the seeded ledger is inconsistent")

    template = engines["django"].from_string(
        "<!doctype html><title>{{ member.first_name }}</title><h1>{{ member.first_name }}</h1>"
        "<p>{{ member.phone }} · {{ member.lifetime_spend }} · {{ member.joined_at|date:'j M Y' }}</p>"
    )

    def bare(request):
        member = Member.objects.get(pk=int(request.COOKIES.get("bench_member", "0")))
        return HttpResponse(template.render({"member": member}, request))

    urlpatterns[:] = [path("bare/member/", bare), *config.urls.urlpatterns]
    settings.ROOT_URLCONF = __name__
    sys.modules.setdefault(__name__, sys.modules["__main__"])
    clear_url_caches()

    sample = sample_members()
    client = Client()
    for row in sample:
        key = session_start(member=row["member"], user_agent="bench")
        row["cookie"] = f"{SESSION_COOKIE}={key}"
        row["bare cookie"] = f"bench_member={row['member'].pk}"
    program = ids["program"]
    for row in sample:
        status, _headers, body = client.get("/account/card/", HOST, cookie=row["cookie"])
        assert status.startswith("200") and row["card"].number.encode() in body, (status, row["card"].number)
        status, _headers, body = client.get("/account/", HOST, cookie=row["cookie"])
        shown = []
        for language in settings.LANGUAGES:
            with translation.override(language[0]):
                shown.append(escape(money(row["card"].points_balance, program.currency)).encode())
        assert status.startswith("200"), status
        assert any(text in body for text in shown), (row["card"].pk, shown)
        status, _headers, body = client.get("/account/history/", HOST, cookie=row["cookie"])
        assert status.startswith("200") and b"receipt" in body, status
        status, _headers, body = client.get("/bare/member/", "localhost", cookie=row["bare cookie"])
        assert status.startswith("200") and str(row["member"].phone).encode() in body, status

    per_member = []
    for row in sample:
        counts = {
            name: len(queries(client, page, HOST, row["cookie"]))
            for name, page in (("cabinet", "/account/"), ("history", "/account/history/"), ("card", "/account/card/"))
        }
        counts["bare"] = len(queries(client, "/bare/member/", "localhost", row["bare cookie"]))
        per_member.append(counts)
        print(
            f"  member {row['member'].pk}: {row['entries']:,} entries, {row['open lots']} open lots, "
            f"balance {row['card'].points_balance} — queries: "
            + ", ".join(f"{name} {count}" for name, count in counts.items())
        )

    cookies = [row["cookie"] for row in sample]
    bare_cookies = [row["bare cookie"] for row in sample]
    for _ in range(50):  # warm: caches (site entry, tokens, offers, rule snapshots), connection
        for cookie, bare_cookie in zip(cookies, bare_cookies, strict=True):
            client.get("/account/", HOST, cookie=cookie)
            client.get("/bare/member/", "localhost", cookie=bare_cookie)

    times = {"cabinet": [], "bare": [], "history": [], "card": []}
    rates = {"cabinet": [], "bare": [], "history": [], "card": []}
    for index in range(options.rounds):
        for name, page, host, jar in (
            ("cabinet", "/account/", HOST, cookies),
            ("bare", "/bare/member/", "localhost", bare_cookies),
        ):
            spent, rate = timed(client, page, host, jar, options.seconds)
            times[name].extend(spent)
            rates[name].append(rate)
        print(f"  round {index + 1}: cabinet {rates['cabinet'][-1]:,.0f}/s, bare {rates['bare'][-1]:,.0f}/s")
    for name, page in (("history", "/account/history/"), ("card", "/account/card/")):
        spent, rate = timed(client, page, HOST, cookies, options.seconds)
        times[name].extend(spent)
        rates[name].append(rate)

    import statistics

    rate = {name: statistics.median(values) for name, values in rates.items()}
    most = {name: max(counts[name] for counts in per_member) for name in ("cabinet", "history", "card", "bare")}
    least = {name: min(counts[name] for counts in per_member) for name in ("cabinet", "history", "card", "bare")}

    def span(name: str) -> str:
        return str(most[name]) if most[name] == least[name] else f"{least[name]}–{most[name]}"

    def row(label: str, name: str) -> tuple:
        values = times[name]
        return (
            label,
            f"{percentile(values, 0.50):.1f}",
            f"{percentile(values, 0.95):.1f}",
            f"{percentile(values, 0.99):.1f}",
            f"{rate[name]:,.0f}",
            f"{rate[name] / rate['bare']:.0%}",
            span(name),
            f"{len(values):,}",
        )

    rows = [
        row("cabinet `GET /account/`", "cabinet"),
        row("one-query view `GET /bare/member/` (reference)", "bare"),
        row("history `GET /account/history/`", "history"),
        row("card `GET /account/card/`", "card"),
    ]
    header = ("", "p50 ms", "p95 ms", "p99 ms", "req/s (median)", "vs reference", "queries", "requests")
    print()
    print(
        f"{machine_line(info)}; {seeded['counts']['members']:,} members, {seeded['counts']['cards']:,} cards, "
        f"{seeded['counts']['entries']:,} entries, {seeded['counts']['lots']:,} lots "
        f"({seeded['counts']['open lots']:,} open), {seeded['counts']['purchases']:,} purchases; "
        f"{len(sample)} members signed in; {options.rounds} rounds × {options.seconds:g} s; load now {load_average()}"
    )
    print(table(rows, header))
    p95 = percentile(times["cabinet"], 0.95)
    ratio = rate["cabinet"] / rate["bare"]
    print(
        f"\ncabinet p95 {p95:.1f} ms (target ≤ 40: {'met' if p95 <= 40 else 'MISSED'}); "
        f"throughput {ratio:.0%} of the reference (target ≥ 40 %: {'met' if ratio >= 0.4 else 'MISSED'}); "
        f"queries {span('cabinet')} (target ≤ 8: {'met' if most['cabinet'] <= 8 else 'MISSED'})"
    )

    heaviest = max(sample, key=lambda item: item["entries"])
    if options.explain:
        print(f"\nthe cabinet's queries for member {heaviest['member'].pk} ({heaviest['entries']:,} entries):")
        for query in queries(client, "/account/", HOST, heaviest["cookie"]):
            print(f"\n-- {query['time']} s\n{query['sql']}")
            if query["sql"].lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    print("\n".join("   " + line for (line,) in cursor.fetchall()))
    if options.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for index in range(options.profile):
            client.get("/account/", HOST, cookie=cookies[index % len(cookies)])
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(f"\ncProfile of {options.profile} cabinet requests (cumulative):")
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
        print(f"cProfile of {options.profile} cabinet requests (own time):")
        print(out.getvalue())
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
