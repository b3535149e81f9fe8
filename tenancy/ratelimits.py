"""Counting attempts across every process: API calls per key, admin sign-in failures per account and address.

A limit of N per period is counted in fixed windows (the current minute, the current quarter of an hour…): each
attempt adds one to its window's counter and learns the new count. The counter is shared by every process of the
install, so two gunicorn workers allow the documented rate, not twice it:

* with ``REDIS_URL``, in Redis (``INCR``, atomic, expiring with the window);
* without, in the database (``RateCount``): one upsert that returns the new count. PostgreSQL keeps the table
  unlogged, so the upsert's commit does not wait for the disk; rows of ended windows are pruned now and then.

What is counted is named by a digest of its scope and identity, so no phone, user name or address is stored.
"""

import hashlib
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tenancy.models import RateCount

# One attempt in this many also deletes the database's counters of ended windows.
PRUNE_ONE_IN = 1000


@dataclass(frozen=True)
class Window:
    """The count of attempts in the current window, including the one just made, and the seconds until the window
    ends (a ``Retry-After``)."""

    count: int
    retry_after: int


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or with ``KARTKA_TRUSTED_PROXIES`` proxies in front, the address
    that many hops from the right of ``X-Forwarded-For`` (what the first trusted proxy saw)."""
    proxies = settings.KARTKA_TRUSTED_PROXIES
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _key(scope: str, identity: str) -> str:
    return hashlib.sha256(f"{scope}\x00{identity}".encode()).hexdigest()


def _slot(period: int, now: float) -> tuple[int, int]:
    """The window's number and the seconds left in it."""
    slot = int(now // period)
    return slot, max(1, int((slot + 1) * period - now + 0.999))


def hit(scope: str, identity: str, *, period: int, now: float | None = None) -> Window:
    """Count one attempt of ``identity`` (a key id, an address…) in ``scope`` for the current ``period``-second
    window; the count includes it."""
    now = time.time() if now is None else now
    slot, retry_after = _slot(period, now)
    key = _key(scope, identity)
    if settings.REDIS_URL:
        name = f"rate:{key}:{slot}"
        cache.add(name, 0, timeout=period + 1)
        return Window(count=cache.incr(name), retry_after=retry_after)
    return Window(count=_db_hit(key, slot, expires=int((slot + 1) * period)), retry_after=retry_after)


def peek(scope: str, identity: str, *, period: int, now: float | None = None) -> Window:
    """The current window's count without adding to it."""
    now = time.time() if now is None else now
    slot, retry_after = _slot(period, now)
    key = _key(scope, identity)
    if settings.REDIS_URL:
        count = cache.get(f"rate:{key}:{slot}") or 0
    else:
        count = RateCount.objects.filter(key=key, slot=slot).values_list("count", flat=True).first() or 0
    return Window(count=count, retry_after=retry_after)


def reset(scope: str, identity: str, *, period: int, now: float | None = None) -> None:
    """Forget the current window's attempts (a successful sign-in clears its failures)."""
    now = time.time() if now is None else now
    slot, _ = _slot(period, now)
    key = _key(scope, identity)
    if settings.REDIS_URL:
        cache.delete(f"rate:{key}:{slot}")
    else:
        RateCount.objects.filter(key=key, slot=slot).delete()


_UPSERT = (
    "INSERT INTO tenancy_ratecount (key, slot, count, expires) VALUES (%s, %s, 1, %s) "
    "ON CONFLICT (key, slot) DO UPDATE SET count = tenancy_ratecount.count + 1 RETURNING count"
)
_PRUNE = "DELETE FROM tenancy_ratecount WHERE expires < %s"


def _db_hit(key: str, slot: int, *, expires: int) -> int:
    # One statement, atomic by itself: no transaction of its own. The table being unlogged on PostgreSQL, its
    # commit writes no WAL but the commit record and so does not wait for the disk.
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, slot, expires])
        count = cursor.fetchone()[0]
        if random.randrange(PRUNE_ONE_IN) == 0:  # noqa: S311  (housekeeping, not a secret)
            cursor.execute(_PRUNE, [int(time.time())])
    return count
