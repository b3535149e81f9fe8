"""What the benchmarks share: their own PostgreSQL database, Django set up against it, set-based seeding
helpers, the cashback program the POS benchmarks seed, the pgbench ledger-append reference, the ledger
consistency check, and the machine description that goes into ``docs/benchmarks.md``.

Every benchmark drops and re-creates the database named in ``DATABASE_URL`` (default below), so it refuses
to touch a database whose name does not contain ``bench``.
"""

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench"

CATEGORIES = ["coffee", "bakery", "grocery", "dairy", "household", "produce"]
TIERS = [("Bronze", "0", "1", None), ("Silver", "5000", "1.25", None), ("Gold", "20000", "1.5", "7")]
STORES = 20
FLOOR_CARDS = 1000  # the last cards are reserved for the bare ORM reference, which writes no lots

LEDGER_APPEND = """\\set cid random(1, {cards})
\\set amt random(100, 20000)
\\set store random(1, 500)
BEGIN;
SELECT id, tier, balance FROM card WHERE id = :cid FOR UPDATE;
INSERT INTO ledger_entry (card_id, kind, points, amount_cents, store_id, external_ref, expires_at)
  VALUES (:cid, 1, :amt/100, :amt, :store, 'pos-'||:cid||'-'||:amt, now() + interval '365 days');
UPDATE card SET balance = balance + :amt/100, updated_at = now() WHERE id = :cid;
COMMIT;
"""


def database_url(default: str = DEFAULT_DATABASE_URL) -> str:
    url = os.environ.get("DATABASE_URL") or default
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"the benchmarks need PostgreSQL; DATABASE_URL is {url!r}")
    if "bench" not in name:
        sys.exit(f"refusing to drop and re-create database {name!r}: its name must contain 'bench'")
    return url


def database_recreate(url: str) -> None:
    """Drop and create the benchmark database, connecting to the server's ``postgres`` database."""
    import dj_database_url
    import psycopg

    params = dj_database_url.parse(url)
    name = params["NAME"]
    conninfo = psycopg.conninfo.make_conninfo(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def django_setup(url: str) -> None:
    """Point Django at the benchmark database (persistent connections, DEBUG off, as in production)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def sql_insert_select(model, *, exprs: dict, source: str, source_params=(), suffix: str = ""):
    """``INSERT INTO <model table> (every column) SELECT ... <source>``: the seeding workhorse.

    ``exprs`` maps a column to an SQL expression over ``source`` (or ``(sql, params)``); every other column
    gets the field's own default as a bound parameter, so seeding keeps working when the engine gains a
    column with a default. Returns ``(sql, params)``.
    """
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in exprs:
            expr = exprs[field.column]
            sql, extra = expr if isinstance(expr, tuple) else (expr, ())
            columns.append(field.column)
            values.append(sql)
            params.extend(extra)
        elif field.primary_key:
            continue
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append(field.column)
            values.append("now()")
        else:
            columns.append(field.column)
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    unknown = set(exprs) - {field.column for field in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} {source} {suffix}"
    return sql, [*params, *source_params]


def sql_inline(sql: str, params: list, cursor) -> str:
    """Turn the positional default parameters of ``sql_insert_select`` into literals, so the rest of the
    statement can use named parameters."""
    literals = [cursor.mogrify("%s", [param]) for param in params]
    head, *parts = sql.split("%s")
    if len(parts) != len(literals):
        raise ValueError("positional parameters in an expression: use named ones")
    return head + "".join(literal.replace("%", "%%") + part for literal, part in zip(literals, parts, strict=True))


# --- Seeding -------------------------------------------------------------------------------------------------


def program_seed(*, cards: int) -> dict:
    """A cashback program as a business would configure it, and ``cards`` members with one card each.

    Configuration goes through the ORM; members and cards are bulk SQL (data setup, not the subject).
    Members start with a spread of lifetime spend and the tier it earns, so some purchases upgrade tiers.
    """
    from zoneinfo import ZoneInfo

    from django.db import connection, transaction
    from django.utils import timezone

    from programs.choices import Bucket, CardKind, RuleKind
    from programs.models import (
        Business,
        Card,
        CardType,
        EarningRule,
        Member,
        Program,
        RedemptionRule,
        Store,
        Tier,
    )

    now = timezone.now()
    with transaction.atomic():
        business = Business.objects.create(name="Bench Coffee & Bakery", slug="bench")
        program = Program.objects.create(business=business, name="Bench Rewards", slug="bench")
        stores = Store.objects.bulk_create(
            [Store(program=program, name=f"Store {i:02d}", code=f"store-{i:02d}") for i in range(1, STORES + 1)]
        )
        card_type = CardType.objects.create(
            program=program,
            kind=CardKind.CASHBACK,
            name="Bonus card",
            cashback_percent=Decimal("5"),
            points_expiry_days=365,
        )
        RedemptionRule.objects.create(
            card_type=card_type, point_value=Decimal("1"), max_share_percent=Decimal("50"), min_check=Decimal("50")
        )
        tiers = [
            Tier.objects.create(
                program=program,
                name=name,
                threshold=Decimal(threshold),
                multiplier=Decimal(multiplier),
                cashback_percent=Decimal(rate) if rate else None,
            )
            for name, threshold, multiplier, rate in TIERS
        ]
        EarningRule.objects.create(
            program=program,
            name="Double points on coffee and bakery",
            kind=RuleKind.MULTIPLIER,
            categories="coffee, bakery",
            multiplier=Decimal("2"),
        )
        # Happy hours around the run's start, so they apply to every purchase whatever the time of day the
        # benchmark runs (a window across midnight is handled by the engine): the heavier, stable case.
        local = now.astimezone(ZoneInfo(program.timezone))
        EarningRule.objects.create(
            program=program,
            name="Happy hours",
            kind=RuleKind.MULTIPLIER,
            time_from=(local - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0).time(),
            time_until=(local + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0).time(),
            multiplier=Decimal("1.5"),
            bucket=Bucket.PROMO,
            expiry_days=30,
        )
        EarningRule.objects.create(
            program=program, name="Welcome bonus", kind=RuleKind.REGISTRATION, bonus_points=Decimal("50")
        )
        spend = "mod(g * 7919, 2500000) / 100.0"
        tier_case = f"CASE WHEN {spend} >= 20000 THEN %s WHEN {spend} >= 5000 THEN %s ELSE %s END"
        sql, params = sql_insert_select(
            Member,
            exprs={
                "program_id": ("%s", [program.pk]),
                "phone": "'+38050' || lpad(g::text, 7, '0')",
                "lifetime_spend": spend,
                "purchase_count": "mod(g, 40)",
                "tier_id": (tier_case, [tiers[2].pk, tiers[1].pk, tiers[0].pk]),
                "tier_achieved_at": ("%s", [now - timedelta(days=30)]),
                "joined_at": ("%s", [now - timedelta(days=400)]),
            },
            source="FROM generate_series(1, %s) AS g",
            source_params=[cards],
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            sql, params = sql_insert_select(
                Card,
                exprs={
                    "program_id": ("%s", [program.pk]),
                    "member_id": "m.id",
                    "card_type_id": ("%s", [card_type.pk]),
                    "number": "'2' || lpad(m.id::text, 12, '0')",
                    "issued_at": ("%s", [now - timedelta(days=400)]),
                    "updated_at": ("%s", [now - timedelta(days=400)]),
                },
                source="FROM programs_member m WHERE m.program_id = %s ORDER BY m.id",
                source_params=[program.pk],
            )
            cursor.execute(sql, params)
            cursor.execute("SELECT min(id), max(id) FROM programs_card WHERE program_id = %s", [program.pk])
            first, last = cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "program_id": program.pk,
        "store_ids": [store.pk for store in stores],
        "purchase_cards": (first, last - FLOOR_CARDS),
        "floor_cards": (last - FLOOR_CARDS + 1, last),
    }


def lots_seed(*, first: int, last: int, per_card: int, at) -> int:
    """Points in ``per_card`` lots on each card ``first..last``, in three set-based statements.

    Lot ``j`` of card ``c`` holds ``5·j + c mod 7 + 0.25`` points and expires ``20·j + c mod 10`` days after
    ``at`` (every third lot is promo), so spending takes lot 1, then 2, … One accrual entry per lot, dated before
    ``at``, with its running ``balance_after`` (a closed form); card balances = the sum. For a redemption
    benchmark: cards start with 106–143 points spread over lots that expire one after the other.
    Returns the number of lots written.
    """
    from django.db import connection

    from programs.models import LedgerEntry, Lot
    from programs.services.ledger import LOT_FROM_ENTRY

    amount = "(5 * j + mod(c.id, 7) + 0.25)"
    balance_after = "(5 * j * (j + 1) / 2 + j * mod(c.id, 7) + 0.25 * j)"
    with connection.cursor() as cursor:
        entry_sql, defaults = sql_insert_select(
            LedgerEntry,
            exprs={
                "program_id": "c.program_id",
                "card_id": "c.id",
                "kind": "'accrual'",
                "unit": "'points'",
                "bucket": "CASE WHEN mod(j, 3) = 0 THEN 'promo' ELSE 'cashback' END",
                "amount": amount,
                "balance_after": balance_after,
                "reason": "'opening balance'",
                "expires_at": "%(at)s + make_interval(days => (20 * j + mod(c.id, 10))::int)",
                "created_at": "%(at)s - make_interval(days => (300 - j)::int)",
            },
            source="FROM programs_card c CROSS JOIN generate_series(1, %(per_card)s) AS j "
            "WHERE c.id BETWEEN %(first)s AND %(last)s ORDER BY c.id, j",
        )
        params = {"at": at, "per_card": per_card, "first": first, "last": last}
        cursor.execute(sql_inline(entry_sql, defaults, cursor), params)
        lot_sql, defaults = sql_insert_select(
            Lot,
            exprs={lot: f"e.{entry}" for lot, entry in LOT_FROM_ENTRY.items()},  # as the engine opens them
            source="FROM programs_ledgerentry e WHERE e.card_id BETWEEN %(first)s AND %(last)s ORDER BY e.id",
        )
        cursor.execute(sql_inline(lot_sql, defaults, cursor), params)
        written = cursor.rowcount
        cursor.execute(
            "UPDATE programs_card c SET points_balance = e.total "
            "FROM (SELECT card_id, sum(amount) AS total FROM programs_ledgerentry "
            "      WHERE card_id BETWEEN %(first)s AND %(last)s GROUP BY card_id) e "
            "WHERE e.card_id = c.id",
            params,
        )
        cursor.execute("VACUUM ANALYZE programs_ledgerentry")
        cursor.execute("VACUUM ANALYZE programs_lot")
        cursor.execute("VACUUM ANALYZE programs_card")
    return written


def bare_purchase(*, card_id: int, amount: Decimal, store_id: int | None = None, reason: str = "bare"):
    """The bare ORM purchase transaction of performance.md: lock the card, create one ledger row, ``update(F())``.
    The floor of any ORM purchase, in-process (``bench/purchase.py``) and behind a view (``bench/bare.py``); only
    for the cards kept for it (it writes no lots). Returns the card as locked."""
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from programs.choices import EntryKind
    from programs.models import Card, LedgerEntry

    now = timezone.now()
    with transaction.atomic():
        card = Card.objects.select_for_update().get(pk=card_id)
        LedgerEntry.objects.create(
            program_id=card.program_id,
            card_id=card.pk,
            kind=EntryKind.ACCRUAL,
            amount=amount,
            balance_after=card.points_balance + amount,
            store_id=store_id,
            reason=reason,
            created_at=now,
        )
        Card.objects.filter(pk=card.pk).update(points_balance=F("points_balance") + amount, updated_at=now)
    return card


def checkpoint(url: str) -> None:
    """Flush the dirty pages of what came before (seeding writes ~0.5 GB of WAL), so a measured phase does not pay
    for an earlier phase's checkpoint: run before every timed phase, the reference's included."""
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute("CHECKPOINT")


# --- The reference: pgbench --------------------------------------------------------------------------------


def pgbench(*, url: str, cards: int, seconds: int, clients: int, threads: int) -> dict:
    """Create the ``card``/``ledger_entry`` tables of performance.md and run the ledger-append script."""
    import dj_database_url
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS ledger_entry, card")
        cursor.execute(
            "CREATE TABLE card (id integer PRIMARY KEY, member_id integer NOT NULL, tier integer NOT NULL, "
            "balance bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor.execute(
            "CREATE TABLE ledger_entry (id bigserial PRIMARY KEY, card_id integer NOT NULL REFERENCES card (id), "
            "kind smallint NOT NULL, points integer NOT NULL, amount_cents integer NOT NULL, store_id integer, "
            "external_ref text, created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz)"
        )
        cursor.execute("CREATE INDEX ledger_entry_card_time ON ledger_entry (card_id, created_at)")
        cursor.execute("INSERT INTO card SELECT g, g, 1, 0, now() FROM generate_series(1, %s) AS g", [cards])
        cursor.execute("VACUUM ANALYZE card")
        cursor.execute("VACUUM ANALYZE ledger_entry")
    connection.close()
    checkpoint(url)
    db = dj_database_url.parse(url)
    binary = shutil.which("pgbench") or "/usr/bin/pgbench"
    with tempfile.TemporaryDirectory(prefix="kartka-pgbench-") as tmp:
        script = Path(tmp) / "ledger_append.sql"
        script.write_text(LEDGER_APPEND.format(cards=cards))
        command = [binary, "-n", "-f", str(script), "-c", str(clients), "-j", str(threads), "-T", str(seconds)]
        command += ["-l", "--log-prefix", str(Path(tmp) / "log")]
        for flag, key in (("-h", "HOST"), ("-p", "PORT"), ("-U", "USER")):
            if db[key]:
                command += [flag, str(db[key])]
        command.append(db["NAME"])
        env = {"PGPASSWORD": db["PASSWORD"]} if db["PASSWORD"] else {}
        backends = _BackendWatch(url)
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
            cwd=tmp,
        )
        while process.poll() is None:
            backends.sample()
            time.sleep(0.25)
        stdout, stderr = process.communicate()
        if process.returncode != 0:
            sys.exit(f"pgbench failed:\n{stdout}\n{stderr}")
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", stdout)
        latencies = []
        for log in Path(tmp).glob("log.*"):
            for line in log.read_text().splitlines():
                fields = line.split()
                if len(fields) >= 3:
                    latencies.append(int(fields[2]) / 1000)
    return {
        "tps": float(match.group(1)) if match else float("nan"),
        "count": len(latencies),
        "db_ms": 1000 * backends.cpu() / len(latencies) if latencies else float("nan"),
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
    }


class _BackendWatch:
    """The CPU of pgbench's PostgreSQL backends, sampled while they live (the last quarter second is lost)."""

    def __init__(self, url: str):
        import dj_database_url
        import psycopg

        params = dj_database_url.parse(url)
        self.conn = psycopg.connect(
            dbname=params["NAME"],
            user=params["USER"] or None,
            password=params["PASSWORD"] or None,
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            autocommit=True,
        )
        self.seen: dict[int, float] = {}

    def sample(self) -> None:
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench'").fetchall()
        for (pid,) in rows:
            self.seen[pid] = process_cpu_seconds([pid]) or self.seen.get(pid, 0.0)

    def cpu(self) -> float:
        self.conn.close()
        return sum(self.seen.values())


def process_cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (all their threads) so far, from /proc."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


# --- Consistency ----------------------------------------------------------------------------------------------


def consistency(plan: dict) -> dict[str, int]:
    """Count violations of the ledger invariants on every card the purchases touched (should all be 0)."""
    from django.db import connection

    first, last = plan["purchase_cards"]
    checks = {
        "balance != sum of entries": """
            SELECT count(*) FROM programs_card c
            JOIN (SELECT card_id, sum(amount) AS total FROM programs_ledgerentry WHERE unit = 'points'
                  GROUP BY card_id) e ON e.card_id = c.id
            WHERE c.id BETWEEN %(first)s AND %(last)s AND c.points_balance <> e.total""",
        "balance != open lots": """
            SELECT count(*) FROM programs_card c
            JOIN (SELECT card_id, sum(remaining) AS total FROM programs_lot WHERE unit = 'points'
                  GROUP BY card_id) l ON l.card_id = c.id
            WHERE c.id BETWEEN %(first)s AND %(last)s AND c.points_balance <> l.total""",
        "last balance_after != balance": """
            SELECT count(*) FROM programs_card c
            JOIN (SELECT DISTINCT ON (card_id) card_id, balance_after FROM programs_ledgerentry
                  WHERE unit = 'points' ORDER BY card_id, id DESC) e ON e.card_id = c.id
            WHERE c.id BETWEEN %(first)s AND %(last)s AND c.points_balance <> e.balance_after""",
        "lot remaining != amount - allocations - expiries": """
            SELECT count(*) FROM programs_lot l
            LEFT JOIN (SELECT lot_id, sum(amount) AS total FROM programs_lotallocation GROUP BY lot_id) a
              ON a.lot_id = l.id
            LEFT JOIN (SELECT lot_id, -sum(amount) AS total FROM programs_ledgerentry
                       WHERE kind = 'expiry' GROUP BY lot_id) x ON x.lot_id = l.id
            WHERE l.card_id BETWEEN %(first)s AND %(last)s
              AND l.remaining <> l.amount - coalesce(a.total, 0) - coalesce(x.total, 0)""",
        "purchase points != its accrual entries": """
            SELECT count(*) FROM programs_purchase p
            LEFT JOIN (SELECT purchase_id, sum(amount) AS total FROM programs_ledgerentry
                       WHERE kind = 'accrual' GROUP BY purchase_id) e ON e.purchase_id = p.id
            WHERE p.points_earned <> coalesce(e.total, 0)""",
        "member below the tier its spend earns": """
            SELECT count(*) FROM programs_member m
            LEFT JOIN programs_tier t ON t.id = m.tier_id
            WHERE EXISTS (SELECT 1 FROM programs_purchase p WHERE p.member_id = m.id)
              AND coalesce(t.threshold, -1) < (SELECT max(threshold) FROM programs_tier
                                               WHERE program_id = m.program_id AND threshold <= m.lifetime_spend)""",
    }
    found = {}
    with connection.cursor() as cursor:
        for name, sql in checks.items():
            cursor.execute(sql, {"first": first, "last": last})
            found[name] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*), count(DISTINCT card_id) FROM programs_purchase")
        found["purchases recorded"], found["cards touched"] = cursor.fetchone()
    return found


# --- The machine ------------------------------------------------------------------------------------------------


def machine(*, load: str | None = None) -> dict[str, str]:
    """The machine line every result carries: cores, memory, CPU model, PostgreSQL and Python versions, and
    the load average ``load`` read before the benchmark started (other people's work on the shared box)."""
    from django.db import connection

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = subprocess.run(["free", "-g"], capture_output=True, text=True, check=True).stdout.splitlines()[1]
        memory = memory.split()[1] + " GiB"
    except (OSError, subprocess.CalledProcessError, IndexError):
        memory = "?"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "postgresql": pg,
        "python": platform.python_version(),
        "load": load or load_average(),
        "engine": engine_state(),
    }


def load_average() -> str:
    """The 1-minute load average: the box is shared, so every figure carries how busy it was."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def engine_state() -> str:
    """The code measured: the commit, and a digest of uncommitted changes to the engine and settings, if any."""
    import hashlib

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    diff = git("diff", "HEAD", "--", "programs", "config")
    untracked = git("ls-files", "--others", "--exclude-standard", "--", "programs", "config")
    if not diff and not untracked:
        return f"commit {head}"
    digest = hashlib.sha1((diff + untracked).encode()).hexdigest()[:8]
    return f"commit {head} + uncommitted engine changes (diff {digest})"


def machine_line(info: dict[str, str]) -> str:
    return (
        f"{info['date']} · {info['cpus']} vCPU ({info['cpu']}) · {info['memory']} RAM · "
        f"PostgreSQL {info['postgresql']} · Python {info['python']} · "
        f"load before start {info['load']} · {info['engine']}"
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (``share`` in 0..1); NaN for an empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[tuple], header: tuple) -> str:
    """A GitHub-flavoured Markdown table, so output pastes straight into ``docs/benchmarks.md``."""
    cells = [tuple(str(cell) for cell in header), *(tuple(str(cell) for cell in row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
