"""Benchmark: cached portal pages against a bare Django view returning the same HTML from memory, one run.

    python bench/pages.py [--seconds 5] [--rounds 3]

Creates its own database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/kartka_bench_pages``;
dropped and re-created), migrates, and seeds one program as a business would set it up (a cashback card with a
redemption rule, an accumulative card, a stamp card, three tiers, earning rules, three stores) with its portal
(``pages.services.portal_site_create``, host ``bench.localhost``) and a promo page built from every block (the
demo's Kvitka promo). Requests go through Django's WSGI handler in this process (the project's settings and full
middleware stack, no network, no server), one after another:

1. **cached portal home** and **cached promo page** (``GET /`` and ``GET /<promo>/`` on ``bench.localhost``,
   answered by ``pages.cache.PortalPageCacheMiddleware`` from the local-memory cache): requests/s;
2. the **reference**, in the same rounds: a bare view (``GET /bare/portal/`` on ``localhost``, through the same
   middleware stack) returning the home's HTML from a module-level bytes object: requests/s;
   rounds alternate subject and reference (``--rounds`` × ``--seconds`` each), the median counts;
3. the **uncached page**: the home and the promo rendered every time (a query string keeps the cache out), CPU
   per request (``time.process_time``, the database server's CPU not included) and queries per request; and a
   cache **miss** right after an invalidation (the site entry rebuilt, the page rendered and stored).

Prints the figures, the ratios and a Markdown table for ``docs/benchmarks.md``.
"""

import argparse
import io
import statistics
import sys
import time
from decimal import Decimal

from common import database_recreate, database_url, django_setup, load_average, machine, machine_line, migrate, table

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench_pages"
HOST = "bench.localhost"
BARE_HTML = b""
urlpatterns: list = []


def seed() -> dict:
    """One program with every kind of card, tiers, rules and stores, its portal and a promo page."""
    from pages.demo import demo_promo_kvitka
    from pages.services import portal_site_create
    from programs.choices import Bucket, CardKind, RuleKind, StampBasis
    from programs.factories import (
        BusinessFactory,
        CardTypeFactory,
        DiscountThresholdFactory,
        EarningRuleFactory,
        ProgramFactory,
        RedemptionRuleFactory,
        StoreFactory,
        TierFactory,
    )
    from tenancy.actors import Actor

    program = ProgramFactory(
        business=BusinessFactory(slug="bench", name="Bench Fashion"), slug="bench", name="Bench Club"
    )
    cashback = CardTypeFactory(
        program=program, name="Bench Club card", cashback_percent=Decimal(3), points_expiry_days=365
    )
    RedemptionRuleFactory(card_type=cashback, max_share_percent=Decimal(30), min_check=Decimal(200))
    steps = CardTypeFactory(program=program, name="Bench Steps", accumulative=True)
    for spend, percent in ((0, 3), (5000, 5), (20000, 7)):
        DiscountThresholdFactory(card_type=steps, min_spend=Decimal(spend), percent=Decimal(percent))
    CardTypeFactory(
        program=program,
        name="Bench Coffee",
        stamps=True,
        stamp_goal=9,
        stamp_basis=StampBasis.ITEM,
        stamp_categories="coffee",
        reward_description="A free coffee",
    )
    for name, threshold, cashback_rate, color in (
        ("Standard", 0, 3, "#9e9e9e"),
        ("Silver", 10000, 5, "#b0b7c3"),
        ("Gold", 30000, 7, "#c9a227"),
    ):
        TierFactory(
            program=program,
            name=name,
            threshold=Decimal(threshold),
            cashback_percent=Decimal(cashback_rate),
            color=color,
        )
    EarningRuleFactory(
        program=program,
        name="Welcome",
        kind=RuleKind.REGISTRATION,
        bonus_points=Decimal(100),
        multiplier=Decimal(1),
        bucket=Bucket.PROMO,
        expiry_days=30,
    )
    EarningRuleFactory(
        program=program, name="Double points on accessories", kind=RuleKind.MULTIPLIER, categories="accessories"
    )
    for index in range(3):
        StoreFactory(
            program=program, name=f"Bench store {index}", code=f"store-{index}", address=f"{index + 1} Main St"
        )
    site = portal_site_create(program=program, hostname=HOST, port=80, actor=Actor.system("bench"))
    home = site.root_page.specific
    promo = home.add_child(instance=demo_promo_kvitka(program))
    promo.save_revision().publish()
    assert CardKind.STAMPS in set(program.card_types.values_list("kind", flat=True))
    return {"home": "/", "promo": promo.url_path[len(home.url_path) - 1 :]}


def environ(path: str, host: str, query: str = "") -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": host,
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Client:
    """Django's WSGI handler called in-process, as a WSGI server would call it."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()

    def get(self, path: str, host: str, query: str = "") -> tuple[str, dict, bytes]:
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = status, dict(headers)

        result = self.handler(environ(path, host, query), start_response)
        body = b"".join(result)
        if hasattr(result, "close"):
            result.close()
        return answer["status"], answer["headers"], body


def rate(client: Client, path: str, host: str, seconds: float) -> float:
    """Requests per second for ``seconds`` of back-to-back GETs (each must answer 200)."""
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(200):
            status, _headers, _body = client.get(path, host)
            if not status.startswith("200"):
                raise SystemExit(f"{host}{path} answered {status}")
        done += 200
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - started)


def cpu_per_request(client: Client, path: str, host: str, *, count: int, query: str = "", before=None) -> tuple:
    """(CPU ms per request, queries per request) over ``count`` requests; ``before`` runs untimed before each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    spent, queries = 0.0, 0
    for _ in range(count):
        if before is not None:
            before()
        with CaptureQueriesContext(connection) as captured:
            started = time.process_time()
            status, _headers, _body = client.get(path, host, query)
            spent += time.process_time() - started
        if not status.startswith("200"):
            raise SystemExit(f"{host}{path}?{query} answered {status}")
        queries += len(captured)
    return spent * 1000 / count, queries / count


def main() -> None:
    global BARE_HTML
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measured round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of subject and reference, alternating")
    parser.add_argument("--uncached", type=int, default=200, help="requests for the uncached CPU figure")
    options = parser.parse_args()

    load = load_average()
    url = database_url(DEFAULT_URL)
    database_recreate(url)
    django_setup(url)
    migrate()
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import config.urls
    from pages.cache import portal_cache_invalidate

    paths = seed()
    info = machine(load=load)
    print(f"pages benchmark · {machine_line(info)}")

    def bare(request):
        return HttpResponse(BARE_HTML)

    urlpatterns[:] = [path("bare/portal/", bare), *config.urls.urlpatterns]
    settings.ROOT_URLCONF = __name__
    sys.modules.setdefault(__name__, sys.modules["__main__"])
    clear_url_caches()

    client = Client()
    for name in ("home", "promo"):
        client.get(paths[name], HOST)  # stored
        _status, headers, _body = client.get(paths[name], HOST)
        assert headers.get("X-Kartka-Cache") == "hit", (name, headers)
    BARE_HTML = client.get(paths["home"], HOST)[2]
    assert client.get("/bare/portal/", "localhost")[2] == BARE_HTML

    rates = {"home": [], "promo": [], "bare": []}
    for index in range(options.rounds):
        for name in ("home", "promo", "bare"):
            target = ("/bare/portal/", "localhost") if name == "bare" else (paths[name], HOST)
            rates[name].append(rate(client, *target, options.seconds))
        print(f"  round {index + 1}: " + ", ".join(f"{name} {values[-1]:,.0f}/s" for name, values in rates.items()))
    medians = {name: statistics.median(values) for name, values in rates.items()}

    uncached = {
        name: cpu_per_request(client, paths[name], HOST, count=options.uncached, query="uncached=1")
        for name in ("home", "promo")
    }
    missed = {
        name: cpu_per_request(
            client, paths[name], HOST, count=max(20, options.uncached // 5), before=portal_cache_invalidate
        )
        for name in ("home", "promo")
    }
    for name in ("home", "promo"):
        client.get(paths[name], HOST)  # stored again after the last invalidation
    cached = {name: cpu_per_request(client, paths[name], HOST, count=options.uncached) for name in ("home", "promo")}

    rows = [
        (
            "portal home",
            f"{medians['home']:,.0f}",
            f"{medians['home'] / medians['bare']:.0%}",
            f"{cached['home'][0]:.3f} / {cached['home'][1]:.0f}",
            f"{uncached['home'][0]:.1f} / {uncached['home'][1]:.0f}",
            f"{missed['home'][0]:.1f} / {missed['home'][1]:.0f}",
        ),
        (
            "promo page",
            f"{medians['promo']:,.0f}",
            f"{medians['promo'] / medians['bare']:.0%}",
            f"{cached['promo'][0]:.3f} / {cached['promo'][1]:.0f}",
            f"{uncached['promo'][0]:.1f} / {uncached['promo'][1]:.0f}",
            f"{missed['promo'][0]:.1f} / {missed['promo'][1]:.0f}",
        ),
        ("bare view, same HTML (reference)", f"{medians['bare']:,.0f}", "100%", "", "", ""),
    ]
    header = (
        "",
        "cached req/s (median)",
        "vs bare view",
        "cached CPU ms / queries",
        "rendered every time: CPU ms / queries",
        "miss after invalidation: CPU ms / queries",
    )
    print()
    print(f"HTML: home {len(BARE_HTML):,} bytes · {options.rounds} rounds × {options.seconds:g} s, one process")
    print(table(rows, header))


if __name__ == "__main__":
    main()
