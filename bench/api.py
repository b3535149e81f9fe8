"""Benchmark: the POS API over HTTP (gunicorn, wrk) against the raw PostgreSQL ledger append, back-to-back.

    python bench/api.py [--cards 100000] [--seconds 30] [--workers 2] [--worker-class sync] [--threads 1]

Creates its own database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/kartka_bench_api``;
dropped and re-created), migrates, seeds the cashback program of ``bench/purchase.py`` (tiers, rules, 20 stores,
N members with a card each) and gives every card 6 lots of points with different expiries (set-based SQL, entries
and balances consistent). Creates one API key per store through ``programs.services.api_keys`` and writes the
keys and card numbers to a file the load generator reads. Then, in this order:

1. an in-process sample through the Django test client (200 purchases, 200 redemptions): queries per request
   (``CaptureQueriesContext``, BEGIN/COMMIT/savepoints included) and app CPU per request split into the API layer
   and ``purchase_record``;
2. gunicorn serving ``config.wsgi`` (production settings without TLS, DEBUG off, persistent connections,
   logging at WARNING, ``API_RATE`` off unless ``--api-rate``), driven by wrk (``bench/api_wrk.lua``,
   ``-t2 -c8``): a warm-up, then ``POST /api/v1/purchases/`` for ``--seconds`` (random cards, 1–4 lines, unique
   receipt ids and Idempotency-Keys), then purchases paying 25–40 points (each spends 2–4 lots) for
   ``--seconds``. Per phase: requests/s, p50/p95/p99, non-2xx (must be 0), and CPU per request of the gunicorn
   workers, of their PostgreSQL backends and of wrk (from /proc and rusage);
   ``--compare sync:3,gthread:2x4,sync:2@DIR`` then runs a purchase phase on each of these servers (``@DIR``:
   the code of another checkout, for a before/after in the same run);
3. the same gunicorn serving ``bench/bare.py`` instead: the bare ORM purchase transaction of the performance design
   behind one JSON view, with the project's settings and middleware (lock, one ledger row, ``update(F())``; no
   key, rules, tier, lots or idempotency), for ``--seconds``: the most a Django ORM purchase endpoint reaches on
   this machine, beside ours;
4. gunicorn stopped, the pgbench ledger-append script of the performance design (own tables, same number of
   cards, ``-c 8 -j 2``, same duration): the reference;
5. consistency: the ledger invariants on every card (balance = sum of entries = open lots, lots = amount −
   allocations − expiries, …), every 2xx answer's receipt recorded exactly once, with its Idempotency-Key record.

A ``CHECKPOINT`` precedes every measured phase (the reference's too), so none pays for the seeding's ~0.5 GB of
WAL. Prints the figures, the ratios and a Markdown table row for ``docs/benchmarks.md``. Needs ``wrk`` (installed
with apt-get when missing and running as root) and ``pgbench``.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

from common import (
    CATEGORIES,
    REPO,
    checkpoint,
    consistency,
    database_recreate,
    database_url,
    django_setup,
    load_average,
    lots_seed,
    machine,
    machine_line,
    median,
    migrate,
    pgbench,
    process_cpu_seconds,
    program_seed,
    table,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench_api"
LUA = Path(__file__).resolve().parent / "api_wrk.lua"
LOTS_PER_CARD = 6
BARE = "bare"  # the settings module (and URLconf) of bench/bare.py, and the name of its load phase
TICK = os.sysconf("SC_CLK_TCK")


# --- Seeding --------------------------------------------------------------------------------------------------


def keys_create(plan: dict) -> list[str]:
    """One store key per store, through the real service (so the prefix and the hash are what production has)."""
    from programs.models import Program, Store
    from programs.services.api_keys import api_key_create

    program = Program.objects.get(pk=plan["program_id"])
    stores = Store.objects.filter(pk__in=plan["store_ids"]).order_by("pk")
    return [
        api_key_create(program=program, store=store, name=f"Bench till {store.code}", actor=None).plaintext
        for store in stores
    ]


def data_write(path: Path, *, keys: list[str], plan: dict) -> list[str]:
    from programs.models import Card

    first, last = plan["purchase_cards"]
    numbers = list(Card.objects.filter(pk__range=(first, last)).order_by("pk").values_list("number", flat=True))
    with path.open("w") as out:
        out.writelines(f"key {key}\n" for key in keys)
        out.writelines(f"card {number}\n" for number in numbers)
        out.write("floor {} {}\n".format(*plan["floor_cards"]))
    return numbers


# --- In-process sample: queries and the CPU split ---------------------------------------------------------------


def body_make(rng: random.Random, *, card: str, receipt: str, redeem: bool) -> dict:
    """What api_wrk.lua sends (same shapes, same ranges)."""
    low = 10_000 if redeem else 1_000
    lines = []
    for _ in range(rng.randint(1, 4)):
        cents = rng.randint(low, 50_000)
        lines.append(
            {
                "sku": f"sku-{rng.randint(1, 5000)}",
                "category": rng.choice(CATEGORIES),
                "quantity": str(rng.randint(1, 3)),
                "amount": f"{cents // 100}.{cents % 100:02d}",
            }
        )
    body = {"card_number": card, "receipt_id": receipt, "lines": lines}
    if redeem:
        body["redeem_points"] = str(rng.randint(25, 40))
    return body


def sample(*, keys: list[str], numbers: list[str], tag: str, count: int, redeem: bool, show: bool) -> dict:
    """``count`` requests through the Django test client: queries each, CPU each, CPU inside purchase_record."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from programs.api.views import purchases as views

    rng = random.Random(f"{tag}-sample-{redeem}")
    client = Client()
    mode = "redeem" if redeem else "purchase"
    engine = {"cpu": 0.0}
    original = views.purchase_record

    def timed(**kwargs):
        began = time.process_time()
        try:
            return original(**kwargs)
        finally:
            engine["cpu"] += time.process_time() - began

    cards = rng.sample(numbers, min(len(numbers), count + 20))

    def post(index: int):
        receipt = f"{tag}-sample-{mode}-{index}"
        body = body_make(rng, card=cards[index], receipt=receipt, redeem=redeem)
        return client.post(
            "/api/v1/purchases/",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {rng.choice(keys)}", "Idempotency-Key": receipt},
        )

    for index in range(20):  # per-process caches warm, as in a running server
        response = post(index)
        if response.status_code != 201:
            sys.exit(f"sample request failed: {response.status_code} {response.content[:500]!r}")
    counts, shown, cpu = [], None, 0.0
    views.purchase_record = timed
    try:
        for index in range(20, 20 + count):
            began = time.process_time()
            with CaptureQueriesContext(connection) as captured:
                response = post(index)
            cpu += time.process_time() - began
            if response.status_code != 201:
                sys.exit(f"sample request failed: {response.status_code} {response.content[:500]!r}")
            counts.append(len(captured.captured_queries))
            if shown is None or len(captured.captured_queries) > len(shown):
                shown = list(captured.captured_queries)
    finally:
        views.purchase_record = original
    if show and shown:
        print(f"\nThe queries of the heaviest sampled {mode} ({len(shown)}):")
        for query in shown:
            print("  ", query["sql"][:200])
    return {
        "min": min(counts),
        "median": median(counts),
        "max": max(counts),
        "histogram": Counter(counts),
        "cpu_ms": 1000 * cpu / count,
        "engine_ms": 1000 * engine["cpu"] / count,
    }


def profile(*, keys: list[str], numbers: list[str], tag: str, count: int, redeem: bool, top: int) -> None:
    """cProfile (process CPU time) of ``count`` requests through the test client."""
    from django.test import Client

    rng = random.Random(f"{tag}-profile-{redeem}")
    client = Client()
    mode = "redeem" if redeem else "purchase"
    cards = rng.sample(numbers, min(len(numbers), count + 20))
    requests = []
    for index, card in enumerate(cards):
        receipt = f"{tag}-profile-{mode}-{index}"
        headers = {"Authorization": f"Bearer {rng.choice(keys)}", "Idempotency-Key": receipt}
        requests.append((json.dumps(body_make(rng, card=card, receipt=receipt, redeem=redeem)), headers))
    for body, headers in requests[:20]:
        client.post("/api/v1/purchases/", body, content_type="application/json", headers=headers)
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for body, headers in requests[20:]:
        client.post("/api/v1/purchases/", body, content_type="application/json", headers=headers)
    profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"\n--- cProfile (process CPU time), {len(requests) - 20} {mode} requests, by {order} ---")
        print(out.getvalue().split("\n\n", 1)[-1])


# --- The server --------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(*, url: str, api_rate: str, settings: str = "config.settings") -> dict:
    """Production settings (secret, hosts, no DEBUG) without what needs TLS; the API's rate limit as asked."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": settings,
            "KARTKA_ENV": "production",
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "API_RATE": api_rate,
        }
    )
    return env


def server_start(
    *,
    url: str,
    workers: int,
    worker_class: str,
    threads: int,
    api_rate: str,
    log: Path,
    repo: Path = REPO,
    settings: str = "config.settings",
):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
        f"--threads={threads}",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "--worker-tmp-dir=/dev/shm",
        "--timeout=120",
        "--backlog=256",
        f"--pythonpath={repo / 'bench'}",  # bench/bare.py, when it is the settings module
    ]
    process = subprocess.Popen(
        command,
        cwd=repo,
        env=server_env(url=url, api_rate=api_rate, settings=settings),
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    probe, expected = ("/bare/purchase/", 405) if settings == BARE else ("/api/v1/purchases/", 401)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{base}{probe}", timeout=5)
        except urllib.error.HTTPError as error:
            if error.code == expected:
                break
        except OSError:
            pass
        time.sleep(0.3)
    else:
        server_stop(process)
        sys.exit(f"gunicorn did not answer in 60 s:\n{log.read_text()[-3000:]}")
    while len(children(process.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return process, base


def server_stop(process) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / TICK, total / TICK


def backend_pids() -> list[int]:
    """The PostgreSQL backends serving the benchmark database, except this process's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return [row[0] for row in cursor.fetchall()]


# --- The load ---------------------------------------------------------------------------------------------------


def wrk_ensure() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        done = subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk")
    return found


def load_run(
    *,
    wrk: str,
    base: str,
    server,
    mode: str,
    seconds: float,
    data: Path,
    tag: str,
    out: Path,
    connections: int,
    threads: int,
) -> dict:
    """One wrk phase with the CPU of the server's workers, their database backends, wrk and the whole machine."""
    workers = children(server.pid)
    backends = backend_pids()
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout=10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(data),
        mode,
        tag,
        str(threads),
        str(out),
    ]
    log = out / f"wrk-{mode}.txt"
    app0, db0, (busy0, total0) = process_cpu_seconds(workers), process_cpu_seconds(backends), machine_cpu()
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log.open("w") as stdout:
        process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.STDOUT)
        _pid, status, _usage = os.wait4(process.pid, 0)
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    app1, db1, (busy1, total1) = process_cpu_seconds(workers), process_cpu_seconds(backends), machine_cpu()
    output = log.read_text()
    match = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if os.waitstatus_to_exitcode(status) != 0 or match is None:
        sys.exit(f"wrk failed:\n{output[-3000:]}")
    result = json.loads(match.group(1))
    statuses: Counter = Counter()
    for part in result["statuses"]:
        statuses.update({int(code): count for code, count in part.items()})
    requests = result["requests"]
    seconds_measured = result["duration_us"] / 1e6
    wrk_cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    busy, total = busy1 - busy0, total1 - total0
    ours = (app1 - app0) + (db1 - db0) + wrk_cpu
    return {
        "mode": mode,
        "requests": requests,
        "seconds": seconds_measured,
        "rate": requests / seconds_measured,
        "statuses": dict(statuses),
        "non_2xx": sum(count for code, count in statuses.items() if not 200 <= code < 300),
        "socket_errors": {name: n for name, n in result["errors"].items() if n and name != "status"},
        "p50": result["p50"] / 1000,
        "p95": result["p95"] / 1000,
        "p99": result["p99"] / 1000,
        "max": result["max"] / 1000,
        "app_ms": 1000 * (app1 - app0) / requests if requests else float("nan"),
        "db_ms": 1000 * (db1 - db0) / requests if requests else float("nan"),
        "wrk_ms": 1000 * wrk_cpu / requests if requests else float("nan"),
        "cores_busy": busy / seconds_measured,
        "cores_others": max(0.0, busy - ours) / seconds_measured,
        "cores": total / seconds_measured,
        "workers": len(workers),
        "backends": len(backends),
        "output": output,
    }


def server_parse(text: str) -> dict:
    """``sync:3`` (3 sync workers), ``gthread:2x4`` (2 workers of 4 threads); ``…@DIR`` serves the code in DIR
    (another checkout of Kartka, e.g. ``git archive`` of an older commit: a before/after in the same run)."""
    text, _, repo = text.strip().partition("@")
    worker_class, _, size = text.partition(":")
    workers, _, threads = size.partition("x")
    server = {"worker_class": worker_class, "workers": int(workers or 2), "threads": int(threads or 1)}
    if repo:
        server["repo"] = Path(repo).resolve()
    return server


def server_name(server: dict) -> str:
    name = f"{server['workers']} × {server['worker_class']}"
    name += f" ({server['threads']} threads)" if server["threads"] > 1 else ""
    name += ", bare ORM view (bench/bare.py)" if server.get("settings") == BARE else ""
    return name + (f", code in {server['repo']}" if server.get("repo") else "")


def server_phases(
    *, server: dict, modes, seconds: int, warmup: int, url: str, api_rate: str, tag: str, out: Path, load_args: dict
) -> dict:
    """Start gunicorn as ``server`` says, warm it up, run the load phases ``modes`` one after the other, stop it.
    Exits loudly on any non-2xx answer or socket error."""
    out.mkdir(parents=True, exist_ok=True)
    log = out / "gunicorn.log"
    process, base = server_start(url=url, api_rate=api_rate, log=log, **server)
    runs = {}
    try:
        args = {**load_args, "base": base, "server": process, "tag": tag, "out": out}
        runs["warmup"] = load_run(mode="bare-warmup" if BARE in modes else "warmup", seconds=warmup, **args)
        for mode in modes:
            checkpoint(url)
            runs[mode] = run = load_run(mode=mode, seconds=seconds, **args)
            print(
                f"  {server_name(server)}, {mode}: {run['rate']:.0f} req/s, p50/p95/p99 {run['p50']:.1f} / "
                f"{run['p95']:.1f} / {run['p99']:.1f} ms, CPU/request app {run['app_ms']:.2f} ms, "
                f"db {run['db_ms']:.2f} ms, wrk {run['wrk_ms']:.2f} ms; non-2xx {run['non_2xx']}"
            )
    finally:
        server_stop(process)
    bad = {mode: run["statuses"] for mode, run in runs.items() if run["non_2xx"] or run["socket_errors"]}
    if bad:
        for run in runs.values():
            print(run["output"][-1500:])
        print(f"gunicorn log:\n{log.read_text()[-3000:]}")
        sys.exit(f"NON-2XX ANSWERS OR SOCKET ERRORS: {bad} {[run['socket_errors'] for run in runs.values()]}")
    return runs


# --- Checks -----------------------------------------------------------------------------------------------------


def receipts_check(*, out: Path, tag: str) -> dict:
    """Every 2xx answer's receipt is recorded exactly once, as a first recording (201), with its key's record."""
    from django.db import connection

    answered: dict[str, int] = {}
    duplicates = 0
    for path in out.rglob("*-*.txt"):
        if path.name.startswith("wrk-"):
            continue
        for line in path.read_text().splitlines():
            receipt, status = line.split()
            if receipt in answered:
                duplicates += 1
            answered[receipt] = int(status)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.receipt_id, count(*), count(r.id) FROM programs_purchase p "
            "LEFT JOIN programs_idempotencyrecord r ON r.key = p.receipt_id AND r.status = 201 "
            "WHERE p.receipt_id ~ %s GROUP BY p.receipt_id",
            [f"^{tag}(-v[0-9]+)?-(warmup|purchase|redeem)-"],
        )
        recorded = {receipt: (count, records) for receipt, count, records in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*), coalesce(avg(lots), 0), coalesce(min(lots), 0), coalesce(avg(entries), 0) FROM ("
            "  SELECT e.purchase_id, count(DISTINCT a.lot_id) AS lots, count(DISTINCT e.id) AS entries"
            "  FROM programs_ledgerentry e JOIN programs_purchase p ON p.id = e.purchase_id"
            "  JOIN programs_lotallocation a ON a.entry_id = e.id"
            "  WHERE e.kind = 'redemption' AND p.receipt_id LIKE %s GROUP BY e.purchase_id) s",
            [f"{tag}-redeem-%"],
        )
        redemptions, lots_avg, lots_min, entries_avg = cursor.fetchone()
    missing = [receipt for receipt in answered if receipt not in recorded]
    return {
        "answered 2xx": len(answered),
        "answered twice": duplicates,
        "answered but not recorded": len(missing),
        "answered with a replay (200)": sum(1 for status in answered.values() if status != 201),
        "recorded more than once": sum(1 for count, _ in recorded.values() if count != 1),
        "answered without its idempotency record": sum(
            1 for receipt in answered if receipt in recorded and recorded[receipt][1] != 1
        ),
        "recorded, answer not seen (in flight at the end)": len(set(recorded) - set(answered)),
        "redemptions": redemptions,
        "lots per redemption (avg / min)": f"{float(lots_avg):.2f} / {lots_min}",
        "debit entries per redemption (avg)": f"{float(entries_avg):.2f}",
    }


# --- Main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--cards", type=int, default=100_000, help="members with one card each (and pgbench cards)")
    parser.add_argument("--seconds", type=int, default=30, help="duration of each measured phase")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before measuring")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn worker class (sync, gthread)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (gthread)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--api-rate", default="off", help="API_RATE of the server (default: off)")
    parser.add_argument(
        "--compare",
        default="",
        metavar="SERVERS",
        help="then a purchase phase on each of these servers, e.g. sync:3,sync:4,gthread:2x4",
    )
    parser.add_argument("--compare-seconds", type=int, default=15, help="duration of each compared phase")
    parser.add_argument("--pgbench-clients", type=int, default=8)
    parser.add_argument("--pgbench-threads", type=int, default=2)
    parser.add_argument("--sample", type=int, default=200, help="requests of the in-process sample, per kind")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of the heaviest sampled request")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N requests in-process, stop")
    parser.add_argument("--profile-redeem", action="store_true", help="profile redemptions instead of purchases")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the reference (development runs only)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare ORM view (bench/bare.py) phase")
    parser.add_argument("--keep", metavar="DIR", help="keep the data file, wrk output and receipts here")
    options = parser.parse_args()

    load = load_average()
    url = database_url(DEFAULT_URL)
    started = time.perf_counter()
    os.environ["API_RATE"] = options.api_rate  # the in-process sample runs with the server's setting
    database_recreate(url)
    django_setup(url)
    migrate()
    from django.db import connection
    from django.utils import timezone

    plan = program_seed(cards=options.cards)
    first, last = plan["purchase_cards"]
    lots = lots_seed(first=first, last=last, per_card=LOTS_PER_CARD, at=timezone.now())
    keys = keys_create(plan)
    tag = f"r{int(time.time())}"
    work = Path(options.keep) if options.keep else Path(tempfile.mkdtemp(prefix="kartka-bench-api-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / "data.txt"
    numbers = data_write(data, keys=keys, plan=plan)
    info = machine(load=load)
    print(f"API benchmark · {machine_line(info)}")
    print(
        f"database {url.rsplit('/', 1)[-1]} seeded in {time.perf_counter() - started:.1f} s: {options.cards} cards, "
        f"{lots} lots, {len(keys)} store keys; files in {work}"
    )

    if options.profile:
        profile(keys=keys, numbers=numbers, tag=tag, count=options.profile, redeem=options.profile_redeem, top=40)
        return

    samples = {
        kind: sample(
            keys=keys,
            numbers=numbers,
            tag=tag,
            count=options.sample,
            redeem=kind == "redeem",
            show=options.show_queries,
        )
        for kind in ("purchase", "redeem")
    }
    for kind, found in samples.items():
        print(
            f"  in-process {kind}: {found['median']:g} queries (min {found['min']}, max {found['max']}), "
            f"{found['cpu_ms']:.2f} ms CPU/request, of which purchase_record {found['engine_ms']:.2f} ms"
        )
    connection.close()

    wrk = wrk_ensure()
    load_args = {"wrk": wrk, "data": data, "connections": options.connections, "threads": options.wrk_threads}
    primary = {"workers": options.workers, "worker_class": options.worker_class, "threads": options.threads}
    runs = server_phases(
        server=primary,
        modes=("purchase", "redeem"),
        seconds=options.seconds,
        warmup=options.warmup,
        url=url,
        api_rate=options.api_rate,
        tag=tag,
        out=work,
        load_args=load_args,
    )
    compared = []
    for index, text in enumerate(filter(None, options.compare.split(","))):
        variant = server_parse(text)
        variant_runs = server_phases(
            server=variant,
            modes=("purchase",),
            seconds=options.compare_seconds,
            warmup=options.warmup,
            url=url,
            api_rate=options.api_rate,
            tag=f"{tag}-v{index}",
            out=work / f"v{index}",
            load_args=load_args,
        )
        compared.append((variant, variant_runs["purchase"]))
    bare = None
    if not options.no_bare:
        bare = server_phases(
            server={**primary, "settings": BARE},
            modes=(BARE,),
            seconds=options.seconds,
            warmup=options.warmup,
            url=url,
            api_rate=options.api_rate,
            tag=f"{tag}-bare",
            out=work / "bare",
            load_args=load_args,
        )[BARE]
    connection.close()

    bench = None
    if not options.no_pgbench:
        bench = pgbench(
            url=url,
            cards=options.cards,
            seconds=options.seconds,
            clients=options.pgbench_clients,
            threads=options.pgbench_threads,
        )
        print(f"  pgbench: {bench['tps']:.0f} TPS")
    checks = consistency(plan)
    receipts = receipts_check(out=work, tag=tag)

    purchase, redeem = runs["purchase"], runs["redeem"]
    tps = bench["tps"] if bench else float("nan")
    server_line = server_name(primary)
    qp, qr = samples["purchase"], samples["redeem"]
    rows = [
        ("purchases/s (HTTP)", f"{purchase['rate']:.0f}", ""),
        ("redemptions/s (HTTP)", f"{redeem['rate']:.0f}", ""),
        (
            f"pgbench ledger append TPS ({options.pgbench_clients} clients, {options.pgbench_threads} threads)",
            f"{tps:.0f}",
            "",
        ),
        ("purchases/s / pgbench TPS", f"{100 * purchase['rate'] / tps:.1f} %", "≥ 25 %"),
        *(
            [
                ("bare ORM purchase view/s (HTTP, bench/bare.py)", f"{bare['rate']:.0f}", ""),
                ("bare ORM purchase view/s / pgbench TPS", f"{100 * bare['rate'] / tps:.1f} %", ""),
                ("purchases/s / bare ORM purchase view/s", f"{100 * purchase['rate'] / bare['rate']:.1f} %", ""),
                (
                    "bare ORM purchase view latency p50 / p95 / p99",
                    f"{bare['p50']:.1f} / {bare['p95']:.1f} / {bare['p99']:.1f} ms",
                    "",
                ),
                (
                    "bare ORM purchase view CPU ms/request: app / db",
                    f"{bare['app_ms']:.2f} / {bare['db_ms']:.2f}",
                    "",
                ),
            ]
            if bare
            else []
        ),
        ("redemptions/s / purchases/s", f"{100 * redeem['rate'] / purchase['rate']:.1f} %", "≥ 60 %"),
        (
            "purchase latency p50 / p95 / p99",
            f"{purchase['p50']:.1f} / {purchase['p95']:.1f} / {purchase['p99']:.1f} ms",
            "p99 ≤ 50 ms",
        ),
        (
            "redemption latency p50 / p95 / p99",
            f"{redeem['p50']:.1f} / {redeem['p95']:.1f} / {redeem['p99']:.1f} ms",
            "",
        ),
        (
            "pgbench latency p50 / p95 / p99",
            f"{bench['p50']:.1f} / {bench['p95']:.1f} / {bench['p99']:.1f} ms" if bench else "-",
            "",
        ),
        (
            "app CPU ms/request (gunicorn workers), purchase / redemption",
            f"{purchase['app_ms']:.2f} / {redeem['app_ms']:.2f}",
            "",
        ),
        (
            "PostgreSQL backend CPU ms/request, purchase / redemption",
            f"{purchase['db_ms']:.2f} / {redeem['db_ms']:.2f}",
            "",
        ),
        ("wrk CPU ms/request, purchase / redemption", f"{purchase['wrk_ms']:.2f} / {redeem['wrk_ms']:.2f}", ""),
        ("PostgreSQL backend CPU ms/transaction, pgbench", f"{bench['db_ms']:.2f}" if bench else "-", ""),
        (
            "cores busy during the phase (of which others'), purchase / redemption",
            f"{purchase['cores_busy']:.2f} ({purchase['cores_others']:.2f}) / "
            f"{redeem['cores_busy']:.2f} ({redeem['cores_others']:.2f}) of {purchase['cores']:.0f}",
            "",
        ),
        (
            "in-process CPU ms/request, purchase: total / purchase_record / API layer",
            f"{qp['cpu_ms']:.2f} / {qp['engine_ms']:.2f} / {qp['cpu_ms'] - qp['engine_ms']:.2f}",
            "",
        ),
        (
            "in-process CPU ms/request, redemption: total / purchase_record / API layer",
            f"{qr['cpu_ms']:.2f} / {qr['engine_ms']:.2f} / {qr['cpu_ms'] - qr['engine_ms']:.2f}",
            "",
        ),
        ("queries/request, purchase (min / median / max)", f"{qp['min']} / {qp['median']:g} / {qp['max']}", ""),
        ("queries/request, redemption (min / median / max)", f"{qr['min']} / {qr['median']:g} / {qr['max']}", ""),
        ("server", f"gunicorn {server_line}, API_RATE={options.api_rate}", ""),
    ]
    print()
    print(f"{machine_line(info)}; {options.cards} cards, {options.seconds} s per phase")
    print(table(rows, ("measure", "value", "target")))
    if compared:
        variants = [
            (
                server_name(variant),
                f"{run['rate']:.0f}",
                f"{100 * run['rate'] / tps:.1f} %",
                f"{run['p50']:.1f} / {run['p95']:.1f} / {run['p99']:.1f} ms",
                f"{run['app_ms']:.2f}",
                f"{run['db_ms']:.2f}",
                f"{run['wrk_ms']:.2f}",
            )
            for variant, run in [(primary, purchase), *compared]
        ]
        header = ("server", "purchases/s", "/ pgbench", "p50 / p95 / p99", "app ms", "db ms", "wrk ms")
        print(f"\npurchases on other servers ({options.compare_seconds} s each, after the main phases):")
        print(table(variants, header))
    for kind, found in samples.items():
        histogram = ", ".join(f"{count} queries × {n}" for count, n in sorted(found["histogram"].items()))
        print(f"queries per {kind} request over {options.sample}: {histogram} (BEGIN, COMMIT, savepoints included)")
    print(f"requests measured: purchase {purchase['requests']}, redemption {redeem['requests']}; non-2xx: 0")
    print("consistency: " + ", ".join(f"{name}: {n}" for name, n in checks.items()))
    print("receipts: " + ", ".join(f"{name}: {n}" for name, n in receipts.items()))
    violations = {name: n for name, n in checks.items() if n and ("!=" in name or "below" in name)}
    violations.update(
        {
            name: receipts[name]
            for name in (
                "answered twice",
                "answered but not recorded",
                "answered with a replay (200)",
                "recorded more than once",
                "answered without its idempotency record",
            )
            if receipts[name]
        }
    )
    met = purchase["rate"] >= 0.25 * tps and purchase["p99"] <= 50
    print(
        f"target ≥ 25 % of pgbench and p99 ≤ 50 ms: {'met' if met else 'MISSED'}; "
        f"redemption ≥ 60 % of purchase: {'met' if redeem['rate'] >= 0.6 * purchase['rate'] else 'MISSED'}"
    )
    row = (
        f"| {info['date'].removesuffix(' UTC')} | {info['engine'].removeprefix('commit ')} | {info['load']} | "
        f"{server_line} | **{purchase['rate']:.0f}** | **{redeem['rate']:.0f}** | {tps:.0f} | "
        f"**{100 * purchase['rate'] / tps:.1f} %** | **{100 * redeem['rate'] / purchase['rate']:.0f} %** | "
        f"{purchase['p50']:.1f} / {purchase['p95']:.1f} / {purchase['p99']:.1f} ms | "
        f"{redeem['p50']:.1f} / {redeem['p95']:.1f} / {redeem['p99']:.1f} ms | "
        f"{purchase['app_ms']:.2f} / {redeem['app_ms']:.2f} | {purchase['db_ms']:.2f} / {redeem['db_ms']:.2f} | "
        f"{qp['median']:g} / {qr['median']:g} |"
    )
    print("\nMarkdown row for docs/benchmarks.md:\n" + row)
    if violations:
        sys.exit(f"INCONSISTENT: {violations}")
    if not options.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
