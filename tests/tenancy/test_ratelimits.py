"""Counting attempts across processes (``tenancy.ratelimits``): in the database without Redis, in Redis with it.
Windows are fixed: a new one starts from nothing, and ``retry_after`` says when."""

import socket
import uuid

import pytest
from django.core.cache import caches

from tenancy import ratelimits
from tenancy.models import RateCount

pytestmark = pytest.mark.django_db

NOW = 1_699_999_990.0  # 10 s into a minute, in the past


def test_counts_grow_within_a_window_and_restart_in_the_next():
    counts = [ratelimits.hit("login", "olena", period=60, now=NOW).count for _ in range(3)]
    next_minute = ratelimits.hit("login", "olena", period=60, now=NOW + 50)

    assert counts == [1, 2, 3]
    assert ratelimits.hit("login", "olena", period=60, now=NOW).retry_after == 50
    assert (next_minute.count, next_minute.retry_after) == (1, 60)


def test_scopes_and_identities_are_counted_apart_and_stored_as_digests():
    ratelimits.hit("login", "olena@example.com", period=60, now=NOW)
    ratelimits.hit("login", "petro@example.com", period=60, now=NOW)
    ratelimits.hit("api_key", "olena@example.com", period=60, now=NOW)

    assert ratelimits.peek("login", "olena@example.com", period=60, now=NOW).count == 1
    assert RateCount.objects.count() == 3
    assert not RateCount.objects.filter(key__contains="olena").exists()


def test_reset_forgets_the_windows_attempts():
    ratelimits.hit("login", "olena", period=900, now=NOW)
    ratelimits.reset("login", "olena", period=900, now=NOW)

    assert ratelimits.peek("login", "olena", period=900, now=NOW).count == 0


def test_ended_windows_are_pruned_now_and_then(monkeypatch):
    ratelimits.hit("login", "old", period=60, now=NOW - 3600)
    monkeypatch.setattr(ratelimits, "PRUNE_ONE_IN", 1)

    ratelimits.hit("login", "new", period=60)

    assert not RateCount.objects.filter(key=ratelimits._key("login", "old")).exists()


def redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_running(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_the_count_lives_in_redis(settings):
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": settings.REDIS_URL, "KEY_PREFIX": "t"}
    }
    identity = uuid.uuid4().hex
    try:
        counts = [ratelimits.hit("api_key", identity, period=60, now=NOW).count for _ in range(3)]
        assert counts == [1, 2, 3]
        assert ratelimits.peek("api_key", identity, period=60, now=NOW).count == 3
        assert not RateCount.objects.exists()
    finally:
        caches["default"].clear()
