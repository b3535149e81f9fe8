"""The portal's page cache: a rendered portal home or promo page is answered again from Django's cache without
touching the database.

A request is answered from the cache in three cache reads and no query:

1. the **generation** (``pages:generation``), a random token renewed by ``portal_cache_invalidate`` whenever
   anything a portal page shows may have changed (a page published, unpublished, moved or deleted; a site,
   a view restriction, a program, its rules or its stores saved or deleted: ``pages.receivers``);
2. the **site entry** of the request's host and port under that generation: which site Wagtail would route
   to (the same rules as ``Site.find_for_request``), whether its root is a portal home, and for each live page
   under it that anyone may see, its id and live revision, with the program's ``config_version``, the theme's
   ``version`` and the portal's language. Built from the database on a miss (a few queries), kept
   ``KARTKA_PAGES_SITE_SECONDS`` (60 s) at most so a change made where no signal is sent (a rule renewed by a
   bare ``UPDATE``, another process's local memory cache) still shows within that time;
3. the **page** under a key of (generation, site, page, live revision, config version, theme version,
   language): stored by the first request the page's own ``serve`` answered.

Only GET and HEAD requests without a query string are cached, only 200 answers that set no cookie, and only
for pages whose ``serve`` said so (``pages.models.CACHEABLE_ATTRIBUTE``): never previews (Wagtail's dummy
requests), never a page behind a
view restriction, never an admin or API URL. With several processes, use a shared cache (``REDIS_URL``):
the local-memory default is per process, so another process's invalidation reaches it only by the TTL.
"""

import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpResponse
from django.http.request import split_domain_port

from pages.models import CACHEABLE_ATTRIBUTE, PortalHomePage
from themes.tokens import theme_tokens

GENERATION_KEY = "pages:generation"
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Frame-Options")


def site_seconds() -> float:
    return getattr(settings, "KARTKA_PAGES_SITE_SECONDS", 60)


def page_seconds() -> float:
    return getattr(settings, "KARTKA_PAGES_CACHE_SECONDS", 3600)


def generation() -> str:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # Never seen, or evicted: a new token, so nothing stored under an older one is found again.
        value = secrets.token_hex(8)
        if not cache.add(GENERATION_KEY, value, timeout=None):
            value = cache.get(GENERATION_KEY) or value
    return value


def portal_cache_invalidate() -> None:
    """Forget every cached site entry and page (a new generation); they are rebuilt on the next requests."""
    cache.set(GENERATION_KEY, secrets.token_hex(8), timeout=None)


def portal_cache_invalidate_on_commit(**kwargs) -> None:
    """A signal receiver: invalidate once the change is committed (before, another request could cache the old
    state again)."""
    transaction.on_commit(portal_cache_invalidate)


def _site_entry_build(hostname: str, port: int) -> dict:
    from wagtail.models import Page, PageViewRestriction, Site
    from wagtail.models.sites import get_site_for_hostname

    try:
        site = get_site_for_hostname(hostname, port)
    except Site.DoesNotExist:
        return {}
    home = PortalHomePage.objects.filter(pk=site.root_page_id).select_related("program").first()
    if home is None or not home.live:
        return {}
    restricted = list(
        PageViewRestriction.objects.filter(page__path__startswith=home.path).values_list("page__path", flat=True)
    )
    pages = {}
    for pk, path, url_path, revision in (
        Page.objects.live().filter(path__startswith=home.path).values_list("pk", "path", "url_path", "live_revision_id")
    ):
        if any(path.startswith(closed) for closed in restricted):
            continue
        pages["/" + url_path[len(home.url_path) :]] = (pk, revision)
    program = home.program
    return {
        "site": site.pk,
        "program": program.pk,
        "config": program.config_version,
        "theme": theme_tokens(program).version,
        "language": home.language,
        "pages": pages,
    }


def site_entry(hostname: str, port, current: str) -> dict:
    """The cached entry of the site answering ``hostname:port`` (``{}``: not a portal), built on a miss."""
    key = f"pages:site:{current}:{hostname}:{port}"
    entry = cache.get(key)
    if entry is None:
        entry = _site_entry_build(hostname, int(port))
        cache.set(key, entry, timeout=site_seconds())
    return entry


def page_key(entry: dict, page_id: int, revision: int | None, current: str) -> str:
    return (
        f"pages:page:{current}:{entry['site']}:{page_id}:{revision}:{entry['config']}:{entry['theme']}"
        f":{entry['language']}"
    )


class PortalPageCacheMiddleware:
    """Answer cached portal pages before the rest of the stack runs (sessions, authentication, CSRF, Wagtail's
    routing), and store what a portal page's ``serve`` rendered. Place it right after ``SecurityMiddleware`` and
    WhiteNoise, so the security headers are added to cached answers too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method not in ("GET", "HEAD")
            or request.META.get("QUERY_STRING")
            # Wagtail's previews run the whole middleware stack on a dummy request for the page's own URL.
            or getattr(request, "is_dummy", False)
        ):
            return self.get_response(request)
        try:
            hostname = split_domain_port(request.get_host())[0]  # checks ALLOWED_HOSTS, as Django would
        except DisallowedHost:
            return self.get_response(request)  # which answers 400
        current = generation()
        entry = site_entry(hostname, request.get_port(), current)
        found = entry.get("pages", {}).get(request.path_info) if entry else None
        if found is None:
            return self.get_response(request)
        key = page_key(entry, found[0], found[1], current)
        stored = cache.get(key)
        if stored is not None:
            headers, content = stored
            response = HttpResponse(content, headers=headers)
            response["X-Kartka-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if (
            response.status_code == 200
            and getattr(request, CACHEABLE_ATTRIBUTE, None) == found[0]
            and not response.cookies
            and not response.streaming
        ):
            headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            cache.set(key, (headers, response.content), timeout=page_seconds())
            response["X-Kartka-Cache"] = "miss"
        return response
