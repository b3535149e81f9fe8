"""Benchmark: importing a customer base from CSV (dry run, then commit) beside PostgreSQL's own COPY of the same
file, and exporting a million ledger rows, on PostgreSQL.

    python bench/bulk_import.py [--rows 100000] [--ledger-rows 1000000] [--skip-export] [--skip-again]

Creates its own database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/kartka_bench_bulk``;
dropped and re-created) and a program (UA phones, a cashback card type, three tiers), writes a CSV of ``--rows``
customers as an owner would fill in the template (phone, plastic card number, names, birthday, e-mail, consent,
total spend, cashback, promo with an expiry for every other row, external id), then:

1. the reference: ``COPY`` of the same file into an unlogged staging table of text columns (what PostgreSQL itself
   needs just to take the file in), timed;
2. the subject, in a child process of its own so its peak memory is its own: ``bulk.services.job_check`` (the dry
   run) and ``job_run`` (the commit), timed separately, with the child's peak RSS and the peak PSS of the child
   and the parse workers it forks together (sampled every 0.1 s), the higher of the two judged;
3. checks: one member, card and lot set per row, every card's cached balance = the sum of its entries = its open
   lots, one ``member.created``/``card.issued`` event per member/card; unless ``--skip-again``, a second run of the
   same file creates nothing (timed too);
4. unless ``--skip-export``: ``--ledger-rows`` ledger entries in total (the import's plus set-based filler), the CSV
   ledger export streamed to /dev/null in a child process, timed, with its peak RSS, and the same export of a tenth
   of the rows, to show memory does not grow with rows.
"""

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import (
    database_recreate,
    database_url,
    django_setup,
    load_average,
    machine,
    machine_line,
    migrate,
    table,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench_bulk"
HEADER = [
    "phone",
    "card_number",
    "first_name",
    "last_name",
    "birthday",
    "email",
    "consent_sms",
    "lifetime_spend",
    "cashback",
    "promo",
    "promo_expires",
    "external_id",
]
FIRST = ["Olena", "Petro", "Iryna", "Taras", "Oksana", "Andrii", "Maria", "Ivan"]
LAST = ["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk"]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_mb(result: dict) -> float:
    """The import's peak memory as judged: its process's peak RSS, or the PSS of it and its parse workers together
    where that is higher."""
    return max(result["peak_mb"], result["tree_peak_mb"])


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (a dry run's parse workers)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def csv_write(path: Path, rows: int) -> None:
    rng = random.Random(14)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADER) + "\n")
        for i in range(rows):
            promo = i % 2 == 0
            out.write(
                ",".join(
                    [
                        f"+38067{1000000 + i:07d}",
                        f"77{i:011d}",
                        rng.choice(FIRST),
                        rng.choice(LAST),
                        f"{1960 + i % 40}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                        f"customer{i}@example.com",
                        "yes" if i % 3 else "no",
                        f"{rng.randint(0, 30000)}.{rng.randint(0, 99):02d}",
                        f"{rng.randint(0, 500)}.{rng.randint(0, 99):02d}",
                        f"{rng.randint(1, 100)}" if promo else "",
                        "2099-12-31" if promo else "",
                        f"OLD-{i:08d}",
                    ]
                )
                + "\n"
            )


def setup(url: str) -> dict:
    database_recreate(url)
    django_setup(url)
    migrate()
    from django.contrib.auth import get_user_model

    from programs.choices import CardKind, TierBasis
    from programs.models import Business, CardType, Program, Tier

    business = Business.objects.create(name="Bench", slug="bench")
    program = Program.objects.create(
        business=business, name="Bench Rewards", slug="bench", country="UA", tier_basis=TierBasis.SPEND
    )
    CardType.objects.create(program=program, kind=CardKind.CASHBACK, name="Bonus card", cashback_percent=5)
    for name, threshold in (("Bronze", 0), ("Silver", 5000), ("Gold", 20000)):
        Tier.objects.create(program=program, name=name, threshold=threshold)
    user = get_user_model().objects.create_user("owner", "owner@example.com", "x", is_staff=True)
    return {"program": program.pk, "user": user.pk}


def copy_reference(url: str, path: Path) -> float:
    import psycopg

    columns = ", ".join(f"{name} text" for name in HEADER)
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as connection:
        connection.execute("DROP TABLE IF EXISTS bench_copy")
        connection.execute(f"CREATE UNLOGGED TABLE bench_copy ({columns})")
        connection.execute("CHECKPOINT")
        started = time.perf_counter()
        statement = "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)"
        with connection.cursor() as cursor, cursor.copy(statement) as copy, open(path, "rb") as source:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        seconds = time.perf_counter() - started
        connection.execute("DROP TABLE bench_copy")
    return seconds


def tree_pss_mb(pid: int) -> float:
    """The proportional set size of ``pid`` and all its descendants (pages they share counted once in all): what
    the job and the parse workers it forks hold together."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup") as rollup:
                total += next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
    return total / 1024


def child(phase: str, url: str, **kwargs) -> dict:
    """``phase`` run in a child process; its result with ``tree_peak_mb``, the highest ``tree_pss_mb`` seen while
    it ran (sampled every 0.1 s)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            [sys.executable, __file__, "--phase", phase, "--payload", json.dumps(kwargs)],
            env={**os.environ, "DATABASE_URL": url},
            stdout=out,
            stderr=err,
            text=True,
        )
        tree_peak = 0.0
        while process.poll() is None:
            tree_peak = max(tree_peak, tree_pss_mb(process.pid))
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        sys.exit(f"{phase} failed:\n{stdout}\n{stderr}")
    return {**json.loads(stdout.strip().splitlines()[-1]), "tree_peak_mb": tree_peak}


def phase_import(url: str, payload: dict) -> dict:
    """In the child: one upload of the file, its dry run and its commit, as the django-q2 tasks run them."""
    django_setup(url)
    import shutil

    from django.conf import settings
    from django.contrib.auth import get_user_model

    from bulk import files
    from bulk.choices import JobKind, JobStatus
    from bulk.models import BulkJob
    from bulk.services import job_check, job_run
    from programs import clock
    from programs.models import Program

    settings.KARTKA_BULK_DIR = Path(payload["dir"])
    stored = f"bench-{time.time_ns()}.csv"
    shutil.copyfile(payload["path"], files.stored_path(stored))
    job = BulkJob.objects.create(
        program=Program.objects.get(pk=payload["program"]),
        kind=JobKind.IMPORT,
        file_name="customers.csv",
        file_format="csv",
        stored_name=stored,
        language="en",
        created_by=get_user_model().objects.get(pk=payload["user"]),
    )
    base = peak_mb()
    started, cpu = time.perf_counter(), cpu_seconds()
    job_check(job.pk)
    check_seconds, check_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    job.refresh_from_db()
    BulkJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=clock.now())
    started, cpu = time.perf_counter(), cpu_seconds()
    job_run(job.pk)
    run_seconds, run_cpu = time.perf_counter() - started, cpu_seconds() - cpu
    job.refresh_from_db()
    return {
        "check": check_seconds,
        "run": run_seconds,
        "check_cpu": check_cpu,
        "run_cpu": run_cpu,
        "checked": job.checked,
        "committed": job.committed,
        "status": job.status,
        "error": job.error,
        "peak_mb": peak_mb(),
        "base_mb": base,
    }


def phase_export(url: str, payload: dict) -> dict:
    django_setup(url)
    from datetime import date, timedelta

    from bulk import exporting
    from programs.models import Program

    program = Program.objects.get(pk=payload["program"])
    base = peak_mb()
    started, cpu = time.perf_counter(), time.process_time()
    rows = exporting.ledger_rows(
        program=program, start=date.today() - timedelta(days=1), end=date.today() + timedelta(days=1)
    )
    if payload.get("limit"):
        from itertools import islice

        rows = islice(rows, payload["limit"])
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in exporting.csv_stream(exporting.ledger_header(), rows):
            size += len(chunk)
            sink.write(chunk)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "bytes": size,
        "peak_mb": peak_mb(),
        "base_mb": base,
    }


def verify(program_id: int, rows: int) -> dict:
    from django.db import connection

    checks = {}
    with connection.cursor() as cursor:
        for name, sql in {
            "members": "SELECT count(*) FROM programs_member WHERE program_id = %s",
            "cards": "SELECT count(*) FROM programs_card WHERE program_id = %s",
            "opening entries": "SELECT count(*) FROM programs_ledgerentry WHERE program_id = %s AND kind = 'opening'",
            "lots": "SELECT count(*) FROM programs_lot WHERE program_id = %s",
            "member.created": "SELECT count(*) FROM programs_event WHERE program_id = %s AND type = 'member.created'",
            "card.issued": "SELECT count(*) FROM programs_event WHERE program_id = %s AND type = 'card.issued'",
            # Set-based: one pass over each table (a correlated subquery per card would read the lots per card).
            "cards whose balance != entries": """
                SELECT count(*) FROM programs_card c
                LEFT JOIN (SELECT card_id, sum(amount) AS total FROM programs_ledgerentry
                           WHERE program_id = %(p)s AND unit = 'points' GROUP BY card_id) e ON e.card_id = c.id
                WHERE c.program_id = %(p)s AND c.points_balance <> coalesce(e.total, 0)""",
            "cards whose balance != open lots": """
                SELECT count(*) FROM programs_card c
                LEFT JOIN (SELECT card_id, sum(remaining) AS total FROM programs_lot
                           WHERE program_id = %(p)s AND unit = 'points' GROUP BY card_id) l ON l.card_id = c.id
                WHERE c.program_id = %(p)s AND c.points_balance <> coalesce(l.total, 0)""",
        }.items():
            cursor.execute(sql.replace("= %s", "= %(p)s"), {"p": program_id})
            checks[name] = cursor.fetchone()[0]
    checks["ok"] = (
        checks["members"] == rows
        and checks["cards"] == rows
        and checks["member.created"] == rows
        and checks["card.issued"] == rows
        and checks["cards whose balance != entries"] == 0
        and checks["cards whose balance != open lots"] == 0
    )
    return checks


def ledger_fill(program_id: int, total: int) -> int:
    """Set-based filler entries (adjustments of 1 point, not moving balances' consistency: they are exported, not
    checked) on the imported cards, up to ``total`` ledger rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM programs_ledgerentry WHERE program_id = %s", [program_id])
        have = cursor.fetchone()[0]
        missing = max(0, total - have)
        if missing:
            cursor.execute(
                """
                INSERT INTO programs_ledgerentry
                    (program_id, card_id, kind, unit, bucket, amount, debt_change, balance_after, reason, created_at)
                SELECT %s, c.id, 'adjustment', 'points', 'cashback', 1, 0, 1, 'bench filler', now()
                FROM generate_series(1, %s) g
                JOIN programs_card c ON c.id = (SELECT min(id) FROM programs_card WHERE program_id = %s) + g %% 1000
                """,
                [program_id, missing, program_id],
            )
        cursor.execute("ANALYZE programs_ledgerentry")
    return have + missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--ledger-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-again", action="store_true", help="no second run of the same file")
    parser.add_argument("--phase", choices=["import", "export"])
    parser.add_argument("--payload")
    options = parser.parse_args()
    url = database_url(DEFAULT_URL)
    if options.phase:
        result = (phase_import if options.phase == "import" else phase_export)(url, json.loads(options.payload))
        print(json.dumps(result))
        return

    load = load_average()
    started = time.perf_counter()
    ids = setup(url)
    info = machine(load=load)
    print(f"import benchmark · {machine_line(info)}")
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "customers.csv"
        csv_write(path, options.rows)
        print(f"  CSV of {options.rows:,} rows: {path.stat().st_size / 1e6:.1f} MB")
        copy_seconds = copy_reference(url, path)
        print(f"  reference COPY: {copy_seconds:.2f} s")
        payload = {**ids, "path": str(path), "dir": str(Path(workdir) / "bulk")}
        first = child("import", url, **payload)
        print(
            f"  import: dry run {first['check']:.1f} s, commit {first['run']:.1f} s, "
            f"peak {first['peak_mb']:.0f} MB RSS, {first['tree_peak_mb']:.0f} MB PSS with its workers"
        )
        checks = verify(ids["program"], options.rows)
        again = after = None
        if not options.skip_again:
            again = child("import", url, **payload)
            print(
                f"  same file again: dry run {again['check']:.1f} s, commit {again['run']:.1f} s ({again['committed']})"
            )
            after = verify(ids["program"], options.rows)
    total = first["check"] + first["run"]
    rows = [
        (
            "PostgreSQL COPY of the file (reference)",
            f"{copy_seconds:.2f} s",
            "—",
            f"{options.rows / copy_seconds:,.0f}",
        ),
        (
            "dry run (job_check)",
            f"{first['check']:.1f} s",
            f"app CPU {first['check_cpu']:.1f} s (parse workers included)",
            f"{options.rows / first['check']:,.0f}",
        ),
        (
            "commit (job_run)",
            f"{first['run']:.1f} s",
            f"app CPU {first['run_cpu']:.1f} s",
            f"{options.rows / first['run']:,.0f}",
        ),
        (
            "dry run + commit",
            f"{total:.1f} s",
            f"app CPU {first['check_cpu'] + first['run_cpu']:.1f} s · peak {memory_mb(first):.0f} MB",
            f"{options.rows / total:,.0f}",
        ),
    ]
    if again is not None:
        rows.append(
            (
                "same file again (dry run + commit)",
                f"{again['check'] + again['run']:.1f} s",
                f"peak {memory_mb(again):.0f} MB",
                "",
            )
        )
    print()
    print(f"{machine_line(info)}; {options.rows:,} rows")
    print(table(rows, ("import", "wall", "CPU / memory", "rows/s")))
    print(f"\nstatus {first['status']} {first['committed']} {first['error']}")
    # Issue 14: 100 000 rows in 15 s and 500 MB; 1 000 000 rows in 3 minutes (memory is set for 100 000 rows only).
    # Both readings of "import" are judged: the commit after a dry run (what the owner waits for after pressing
    # "import") and dry run + commit.
    limit = 15 * options.rows / 100_000 if options.rows <= 100_000 else 180 * options.rows / 1_000_000
    peak = memory_mb(first)
    memory = (
        f"peak ≤ 500 MB: {'met' if peak <= 500 else 'MISSED'} ({peak:.0f} MB)"
        if options.rows <= 100_000
        else f"peak {peak:.0f} MB (the issue sets memory for 100 000 rows)"
    )
    print(
        f"target for {options.rows:,} rows ≤ {limit:.0f} s — commit after the dry run: "
        f"{'met' if first['run'] <= limit else 'MISSED'} ({first['run']:.1f} s); dry run + commit: "
        f"{'met' if total <= limit else 'MISSED'} ({total:.1f} s, {total / copy_seconds:.0f}× COPY); {memory}"
    )
    print(f"checks after import: {'OK' if checks['ok'] else 'FAILED'} {checks}")
    if after is not None:
        print(f"checks after the second run: {'OK' if after == checks else 'CHANGED'}")
    if not options.skip_export:
        total_rows = ledger_fill(ids["program"], options.ledger_rows)
        small = child("export", url, program=ids["program"], limit=total_rows // 10)
        big = child("export", url, program=ids["program"])
        print()
        print(
            table(
                [
                    (
                        f"{total_rows // 10:,}",
                        f"{small['seconds']:.1f} s",
                        f"{small['bytes'] / 1e6:.0f} MB",
                        f"{small['peak_mb']:.0f} MB",
                    ),
                    (
                        f"{total_rows:,}",
                        f"{big['seconds']:.1f} s",
                        f"{big['bytes'] / 1e6:.0f} MB",
                        f"{big['peak_mb']:.0f} MB",
                    ),
                ],
                ("ledger rows exported (CSV)", "wall", "file", "peak RSS"),
            )
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average now {load_average()}")


if __name__ == "__main__":
    main()
