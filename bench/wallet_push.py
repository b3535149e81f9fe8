"""Benchmark: the time from a purchase's commit to its Apple Wallet push leaving the worker, with the real django-q2
worker and a fake APNs on this machine.

    python bench/wallet_push.py [--members 2000] [--rate 2] [--seconds 60] [--burst 50] [--brokers orm,redis]

Creates its own database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/kartka_bench_wallet``;
dropped and re-created), migrates, and seeds the cashback program of ``bench/purchase.py`` (tiers, rules, 20
stores) with ``--members`` members, each with a card, a ``WalletPass`` and an Apple device registered for it (its
push token is the card id in hex). Install-wide Apple credentials come from a demo chain (``wallet.demo_ca``) and
a P-256 APNs key, written to ``var/bench/wallet_push/``.

The fake APNs is a separate process: an HTTP/2 server over TLS with ALPN ``h2`` (the ``h2`` package and ``ssl``)
on 127.0.0.1, with a certificate from its own throw-away CA. Kartka reaches it through ``WALLET_APNS_URL`` and
trusts it through ``WALLET_APNS_CA_FILE`` (that CA only). It answers 200 to every push and logs its arrival time,
path, ``apns-topic`` and bearer token.

For each broker (``orm``: django-q2's ORM broker in the same database, the default; ``redis``: ``REDIS_URL`` set to
database 13 of the local Redis) a child process runs one measurement: it starts the fake APNs and the real worker
(``manage.py qcluster``, the project's ``Q_CLUSTER`` settings, its own process group), warms up (a few purchases
until their pushes arrive: the worker's first TLS connection), then records purchases through
``programs.services.purchases.purchase_record`` in its own process, each in a transaction (like the POS API's)
whose first on-commit hook notes the commit time:

* **spaced**: ``--rate`` purchases a second for ``--seconds`` seconds, each on a card not used before;
* **burst**: ``--burst`` purchases back to back (one till as fast as it goes), on other new cards.

A push is matched to its purchase by device token → card; the latency is its arrival at the fake minus the
commit time. After each phase the child waits up to 75 s for the missing pushes (so the minute sweep's are
counted, and none is lost silently). Every push is checked: path ``/3/device/<token>``, topic = the pass type id,
an ES256 bearer that verifies with the APNs key's public half (team id as ``iss``, key id as ``kid``).
Prints p50/p95/max per phase and broker (target: p95 ≤ 2 s, spaced).
"""

import argparse
import asyncio
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from common import (
    CATEGORIES,
    REPO,
    database_recreate,
    database_url,
    django_setup,
    load_average,
    machine,
    machine_line,
    migrate,
    percentile,
    program_seed,
    sql_insert_select,
    table,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench_wallet"
REDIS_URL = "redis://127.0.0.1:6379/13"
WORK = REPO / "var" / "bench" / "wallet_push"
PASS_TYPE_ID = "pass.example.kartka.bench"
TEAM_ID = "BENCH12345"
APNS_KEY_ID = "BENCHKEY01"
WAIT_SECONDS = 75
SEED = 20261206


# --- The fake APNs (its own process) -------------------------------------------------------------------------


def apns_serve(*, port: int, cert: Path, key: Path, log: Path) -> None:
    """An HTTP/2 server over TLS answering 200 to every request, logging ``arrival path topic bearer`` per push."""
    import h2.config
    import h2.connection
    import h2.events

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])
    output = log.open("a", buffering=1)

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        h2conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        h2conn.initiate_connection()
        writer.write(h2conn.data_to_send())
        streams: dict[int, str] = {}
        try:
            while data := await reader.read(65536):
                for event in h2conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        arrived = time.time()
                        headers = dict(event.headers)
                        bearer = headers.get("authorization", "").removeprefix("bearer ")
                        streams[event.stream_id] = (
                            f"{arrived:.6f} {headers.get(':path', '')} {headers.get('apns-topic', '-')} {bearer or '-'}"
                        )
                        if event.stream_ended is not None:
                            output.write(streams.pop(event.stream_id) + "\n")
                            h2conn.send_headers(event.stream_id, [(":status", "200")], end_stream=True)
                    elif isinstance(event, h2.events.DataReceived):
                        h2conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id in streams:
                        output.write(streams.pop(event.stream_id) + "\n")
                        headers = [(":status", "200"), ("apns-id", "00000000-0000-0000-0000-000000000000")]
                        h2conn.send_headers(event.stream_id, headers, end_stream=True)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                writer.write(h2conn.data_to_send())
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(connection, "127.0.0.1", port, ssl=context)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- Files: the chain, the APNs key, the fake's TLS certificate ---------------------------------------------


def files_write() -> dict[str, Path]:
    """The demo chain and APNs key Kartka signs and pushes with, and the fake APNs's CA and certificate."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from wallet.demo_ca import (
        apns_key_new,
        ca_issue,
        certificate_pem,
        demo_ca_issue,
        demo_ca_write,
        key_pem,
        rsa_key_new,
    )

    WORK.mkdir(parents=True, exist_ok=True)
    ca = demo_ca_issue(
        root_name="Bench Root CA",
        wwdr_name="Bench WWDR intermediate",
        organization="Kartka bench",
        pass_type_identifier=PASS_TYPE_ID,
        team_identifier=TEAM_ID,
    )
    paths = demo_ca_write(ca, WORK / "chain")
    apns_key = apns_key_new()
    paths["apns.p8"] = WORK / "apns.p8"
    paths["apns.p8"].write_bytes(key_pem(apns_key))
    now = dt.datetime.now(dt.UTC)
    tls_ca_key, tls_key = rsa_key_new(), rsa_key_new()
    tls_ca = ca_issue(common_name="Fake APNs CA", key=tls_ca_key, not_before=now, not_after=now + dt.timedelta(days=2))
    tls = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(tls_ca.subject)
        .public_key(tls_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .sign(tls_ca_key, hashes.SHA256())
    )
    for name, data in (
        ("apns-ca.pem", certificate_pem(tls_ca)),
        ("apns-tls.pem", certificate_pem(tls)),
        ("apns-tls.key", key_pem(tls_key)),
    ):
        paths[name] = WORK / name
        paths[name].write_bytes(data)
    return paths


def environment(paths: dict[str, Path], *, url: str, port: int, broker: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WALLET_", "REDIS_URL", "Q_SYNC"))}
    env.update(
        DATABASE_URL=url,
        DEBUG="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="config.settings",
        WALLET_PUBLIC_URL="https://bench.example",
        WALLET_APPLE_PASS_TYPE_ID=PASS_TYPE_ID,
        WALLET_APPLE_TEAM_ID=TEAM_ID,
        WALLET_APPLE_CERTIFICATE=str(paths["pass.pem"]),
        WALLET_APPLE_KEY=str(paths["pass.key"]),
        WALLET_APPLE_WWDR=str(paths["wwdr.pem"]),
        WALLET_APNS_KEY_ID=APNS_KEY_ID,
        WALLET_APNS_KEY=str(paths["apns.p8"]),
        WALLET_APNS_URL=f"https://127.0.0.1:{port}",
        WALLET_APNS_CA_FILE=str(paths["apns-ca.pem"]),
    )
    if broker == "redis":
        env["REDIS_URL"] = REDIS_URL
    return env


# --- Seeding -------------------------------------------------------------------------------------------------


def wallet_seed(program_id: int) -> int:
    """A pass for every card of the program and an Apple device registered for it (token = the card id in hex)."""
    from django.db import connection, transaction

    from wallet.models import AppleDevice, AppleRegistration, WalletPass

    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = sql_insert_select(
            WalletPass,
            exprs={
                "program_id": "c.program_id",
                "card_id": "c.id",
                "serial": "md5('serial-' || c.id)",
                "authentication_token": "md5('token-' || c.id) || md5('more-' || c.id)",
                "content_hash": "''",
                "changed_at": "now() - interval '1 day'",
                "created_at": "now() - interval '1 day'",
            },
            source="FROM programs_card c WHERE c.program_id = %s",
            source_params=[program_id],
        )
        cursor.execute(sql, params)
        sql, params = sql_insert_select(
            AppleDevice,
            exprs={
                "library_identifier": "'bench-device-' || c.id",
                "push_token": "lpad(to_hex(c.id), 64, '0')",
                "created_at": "now() - interval '1 day'",
                "updated_at": "now() - interval '1 day'",
            },
            source="FROM programs_card c WHERE c.program_id = %s",
            source_params=[program_id],
        )
        cursor.execute(sql, params)
        sql, params = sql_insert_select(
            AppleRegistration,
            exprs={
                "device_id": "d.id",
                "wallet_pass_id": "p.id",
                "created_at": "now() - interval '1 day'",
            },
            source="FROM wallet_walletpass p JOIN wallet_appledevice d ON d.library_identifier = 'bench-device-' "
            "|| p.card_id WHERE p.program_id = %s",
            source_params=[program_id],
        )
        cursor.execute(sql, params)
        cursor.execute("SELECT count(*) FROM wallet_appleregistration")
        count = cursor.fetchone()[0]
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return count


# --- One measurement (a child process per broker) ------------------------------------------------------------


def token_of(card_id: int) -> str:
    return f"{card_id:064x}"


class Till:
    """Records purchases on fresh cards, noting each one's commit time (its transaction's first on-commit hook)."""

    def __init__(self, plan: dict, first_card: int):
        from programs.models import Store

        self.plan = plan
        self.next_card = first_card
        self.stores = list(Store.objects.filter(pk__in=plan["store_ids"]))
        self.rng = random.Random(SEED + first_card)
        self.commits: dict[int, float] = {}
        self.call_seconds: list[float] = []

    def receipt(self) -> list:
        """1–3 lines of ₴100–500: every purchase earns points, so every one changes its pass (a receipt too small
        to earn a point changes nothing a pass shows, and rightly gets no push)."""
        from programs.pricing import Line

        return [
            Line(
                amount=Decimal(self.rng.randint(10_000, 50_000)).scaleb(-2),
                quantity=Decimal(1),
                sku=f"sku-{self.rng.randint(1, 5000)}",
                category=self.rng.choice(CATEGORIES),
            )
            for _ in range(self.rng.randint(1, 3))
        ]

    def purchase(self) -> int:
        from django.db import transaction

        from programs.models import Card
        from programs.services.purchases import purchase_record

        card_id = self.next_card
        self.next_card += 1
        card = Card(pk=card_id, program_id=self.plan["program_id"])
        started = time.perf_counter()
        with transaction.atomic():
            transaction.on_commit(lambda: self.commits.__setitem__(card_id, time.time()))
            purchase_record(
                card=card,
                store=self.rng.choice(self.stores),
                receipt_id=f"push-{card_id}",
                lines=self.receipt(),
            )
        self.call_seconds.append(time.perf_counter() - started)
        return card_id


def pushes_read(log: Path) -> list[tuple[float, str, str, str]]:
    if not log.exists():
        return []
    rows = []
    for line in log.read_text().splitlines():
        arrived, path, topic, bearer = line.split(" ", 3)
        rows.append((float(arrived), path, topic, bearer))
    return rows


def wait_for(log: Path, cards: list[int], commits: dict[int, float], seconds: float) -> None:
    """Until a push has arrived for each card after its commit, or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    wanted = {token_of(card): commits[card] for card in cards}
    while time.monotonic() < deadline:
        arrived = {
            path.rsplit("/", 1)[-1]
            for when, path, _topic, _bearer in pushes_read(log)
            if when >= wanted.get(path.rsplit("/", 1)[-1], float("inf"))
        }
        if set(wanted) <= arrived:
            return
        time.sleep(0.2)


def latencies(log: Path, cards: list[int], commits: dict[int, float]) -> tuple[list[float], int]:
    """Commit → first push arrival after it, per card; and how many cards got no push."""
    firsts: dict[str, float] = {}
    for arrived, path, _topic, _bearer in pushes_read(log):
        token = path.rsplit("/", 1)[-1]
        firsts.setdefault(token, [])
        firsts[token].append(arrived)
    values, missing = [], 0
    for card in cards:
        after = [when for when in firsts.get(token_of(card), []) if when >= commits[card]]
        if after:
            values.append(min(after) - commits[card])
        else:
            missing += 1
    return values, missing


def pushes_check(log: Path, paths: dict[str, Path]) -> list[str]:
    """Every logged push: the device path, the pass type as topic, a bearer that verifies with the APNs key."""
    import jwt
    from cryptography.hazmat.primitives import serialization

    public = serialization.load_pem_private_key(paths["apns.p8"].read_bytes(), None).public_key()
    problems, verified = [], {}
    for _arrived, path, topic, bearer in pushes_read(log):
        if not path.startswith("/3/device/") or len(path.rsplit("/", 1)[-1]) != 64:
            problems.append(f"path {path}")
        if topic != PASS_TYPE_ID:
            problems.append(f"topic {topic}")
        if bearer not in verified:
            try:
                claims = jwt.decode(bearer, public, algorithms=["ES256"])
                header = jwt.get_unverified_header(bearer)
                verified[bearer] = claims.get("iss") == TEAM_ID and header.get("kid") == APNS_KEY_ID
            except jwt.PyJWTError:
                verified[bearer] = False
        if not verified[bearer]:
            problems.append("bearer does not verify")
    return problems


def process_group_stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session (``start_new_session``) and everything it forked."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def measure(options) -> dict:
    """Runs in the child: fake APNs and worker up, warm-up, spaced phase, burst; prints the figures as JSON."""
    plan = json.loads(options.measure)
    url = os.environ["DATABASE_URL"]
    django_setup(url)
    from django.conf import settings

    paths = {key: Path(value) for key, value in plan["paths"].items()}
    log = WORK / f"pushes-{options.broker}.log"
    log.unlink(missing_ok=True)
    worker_log = (WORK / f"qcluster-{options.broker}.log").open("w")
    fake = subprocess.Popen(
        [sys.executable, __file__, "--serve-apns", str(log), "--port", str(plan["port"])],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    if fake.stdout.readline().strip() != "ready":
        sys.exit("the fake APNs did not start")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=REPO,
        stdout=worker_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    broker = "redis" if "redis" in settings.Q_CLUSTER else "orm"
    result = {
        "broker": broker,
        "q_cluster": {key: value for key, value in settings.Q_CLUSTER.items() if key not in ("label", "redis")},
        "load_before": load_average(),
    }
    try:
        till = Till(plan, plan["first_card"])
        warm = []
        for _ in range(6):
            warm.append(till.purchase())
            time.sleep(0.5)
        wait_for(log, warm, till.commits, 90)
        warm_values, warm_missing = latencies(log, warm, till.commits)
        result["warmup"] = {"count": len(warm), "missing": warm_missing, "max": max(warm_values, default=None)}
        if warm_missing:
            result["worker_tail"] = (WORK / f"qcluster-{options.broker}.log").read_text()[-3000:]
            return result

        spaced, interval = [], 1 / plan["rate"]
        started = time.monotonic()
        for index in range(round(plan["rate"] * plan["seconds"])):
            pause = started + index * interval - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            spaced.append(till.purchase())
        result["spaced_load_end"] = load_average()
        wait_for(log, spaced, till.commits, WAIT_SECONDS)
        time.sleep(2)
        burst = [till.purchase() for _ in range(plan["burst"])]
        burst_call = till.call_seconds[-plan["burst"] :]
        wait_for(log, burst, till.commits, WAIT_SECONDS)
        for name, cards in (("spaced", spaced), ("burst", burst)):
            values, missing = latencies(log, cards, till.commits)
            result[name] = {
                "count": len(cards),
                "missing": missing,
                "p50": percentile(values, 0.5),
                "p95": percentile(values, 0.95),
                "max": max(values, default=float("nan")),
            }
        result["burst"]["seconds"] = sum(burst_call)
        result["purchase_ms_p50"] = percentile(till.call_seconds, 0.5) * 1000
        result["pushes"] = len(pushes_read(log))
        result["problems"] = pushes_check(log, paths)[:10]
        result["load_after"] = load_average()
    finally:
        process_group_stop(worker)
        process_group_stop(fake)
        worker_log.close()
    return result


# --- The command ---------------------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_clear() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def fmt(value) -> str:
    return "—" if value is None or value != value else f"{value * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--members", type=int, default=2000, help="members with a card, a pass and a device each")
    parser.add_argument("--rate", type=float, default=2, help="spaced purchases per second")
    parser.add_argument("--seconds", type=float, default=60, help="length of the spaced phase")
    parser.add_argument("--burst", type=int, default=50, help="purchases back to back")
    parser.add_argument("--brokers", default="orm,redis", help="comma-separated: orm, redis")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--serve-apns", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.serve_apns:
        apns_serve(port=options.port, cert=WORK / "apns-tls.pem", key=WORK / "apns-tls.key", log=options.serve_apns)
        return
    if options.measure:
        print("RESULT " + json.dumps(measure(options)), flush=True)
        return

    load = load_average()
    url = database_url(DEFAULT_URL)
    started = time.perf_counter()
    database_recreate(url)
    django_setup(url)
    migrate()
    plan = program_seed(cards=options.members + 1000)
    registrations = wallet_seed(plan["program_id"])
    paths = files_write()
    info = machine(load=load)
    print(f"wallet push benchmark · {machine_line(info)}")
    print(
        f"database {url.rsplit('/', 1)[-1]} seeded in {time.perf_counter() - started:.1f} s: "
        f"{options.members + 1000} cards with a pass and an Apple registration each ({registrations})",
        flush=True,
    )
    per_run = 6 + round(options.rate * options.seconds) + options.burst
    first, last = plan["purchase_cards"]
    results = []
    for index, broker in enumerate(options.brokers.split(",")):
        if first + (index + 1) * per_run > last:
            sys.exit("not enough members for the runs: raise --members")
        if broker == "redis":
            redis_clear()
        child_plan = {
            "program_id": plan["program_id"],
            "store_ids": plan["store_ids"],
            "first_card": first + index * per_run,
            "port": free_port(),
            "rate": options.rate,
            "seconds": options.seconds,
            "burst": options.burst,
            "paths": {key: str(value) for key, value in paths.items()},
        }
        env = environment(paths, url=url, port=child_plan["port"], broker=broker)
        print(f"  {broker}: running (load {load_average()}) …", flush=True)
        completed = subprocess.run(
            [sys.executable, __file__, "--measure", json.dumps(child_plan), "--broker", broker],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
        if not lines:
            sys.exit(f"{broker} run failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}")
        result = json.loads(lines[-1].removeprefix("RESULT "))
        results.append(result)
        print(f"  {broker}: {json.dumps(result)}", flush=True)
        if "spaced" not in result:
            sys.exit(f"{broker}: the warm-up pushes never arrived; worker log tail:\n{result.get('worker_tail')}")

    rows = []
    for result in results:
        for phase in ("spaced", "burst"):
            figures = result[phase]
            rows.append(
                (
                    f"{result['broker']}, {phase}",
                    figures["count"],
                    figures["missing"],
                    fmt(figures["p50"]),
                    fmt(figures["p95"]),
                    fmt(figures["max"]),
                    f"{result['load_before']} → {result['load_after']}",
                )
            )
    print()
    print(table(rows, ("broker, phase", "purchases", "no push", "p50", "p95", "max", "load")))
    print()
    for result in results:
        spaced = result["spaced"]["p95"]
        verdict = "met" if spaced <= 2 else "missed"
        print(
            f"{result['broker']}: spaced p95 {fmt(spaced)} — target ≤ 2 s {verdict}; "
            f"{result['pushes']} pushes checked, problems: {result['problems'] or 'none'}; "
            f"purchase_record p50 {result['purchase_ms_p50']:.1f} ms; Q_CLUSTER {result['q_cluster']}"
        )
    if any(result["problems"] or result["spaced"]["missing"] or result["burst"]["missing"] for result in results):
        sys.exit(1)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
