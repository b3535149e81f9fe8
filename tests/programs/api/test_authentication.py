"""API keys at the door: missing, malformed, wrong and revoked keys are 401 problems; a good key is recorded as
used (at most once a minute), and it reaches only its own program. Each process reuses a key it authenticated for
KARTKA_API_KEY_CACHE_SECONDS: a change made in the same process counts at once, one made elsewhere within that
time, and a wrong secret for a known prefix is refused all the same."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import clock
from programs.models import ApiKey
from programs.services.api_keys import api_key_revoke
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import Api, assert_problem

pytestmark = pytest.mark.django_db


def lookup(api, card):
    return api.get("/lookup/", {"card_number": card.number})


def test_missing_key_is_401_with_a_bearer_challenge(client, card):
    response = lookup(Api(client, ""), card)

    body = assert_problem(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="kartka"'
    assert "Authorization: Bearer" in body["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer not-a-key",
        "Bearer kk_abc_short",
        "Token kk_0123456789ab_" + "x" * 43,
    ],
)
def test_malformed_keys_are_401(client, card, header):
    response = client.get("/api/v1/lookup/", {"card_number": card.number}, headers={"Authorization": header})

    assert_problem(response, 401, "unauthenticated")


def test_a_wrong_secret_for_a_real_prefix_is_401(client, card, store_key):
    prefix = store_key.api_key.prefix
    response = lookup(Api(client, f"kk_{prefix}_{'A' * 43}"), card)

    assert_problem(response, 401, "unauthenticated")


def test_a_revoked_key_is_401(client, card, store_key):
    api = Api(client, store_key.plaintext)
    assert lookup(api, card).status_code == 200

    api_key_revoke(api_key=store_key.api_key, actor=SYSTEM, reason="till stolen")

    body = assert_problem(lookup(api, card), 401, "unauthenticated")
    assert "revoked" in body["detail"]


def test_use_is_recorded_at_most_once_a_minute(client, card, store_key):
    api = Api(client, store_key.plaintext)
    assert ApiKey.objects.get().last_used_at is None
    start = clock.now()

    with clock.travel(start):
        assert lookup(api, card).status_code == 200
    assert ApiKey.objects.get().last_used_at == start

    with clock.travel(start + timedelta(seconds=30)):
        assert lookup(api, card).status_code == 200
    assert ApiKey.objects.get().last_used_at == start  # not rewritten within the minute

    with clock.travel(start + timedelta(minutes=2)):
        assert lookup(api, card).status_code == 200
    assert ApiKey.objects.get().last_used_at == start + timedelta(minutes=2)


def test_a_key_of_another_program_sees_nothing_of_this_one(client, card, other):
    response = lookup(Api(client, other.key), card)

    assert_problem(response, 404, "unknown_card")


def key_reads(captured) -> int:
    return sum(1 for query in captured.captured_queries if query["sql"].startswith('SELECT "programs_apikey"'))


def test_a_key_is_read_once_then_reused_for_the_cache_time(client, card, store_key, settings):
    api = Api(client, store_key.plaintext)
    start = clock.now()

    ttl = timedelta(seconds=settings.KARTKA_API_KEY_CACHE_SECONDS)

    with clock.travel(start), CaptureQueriesContext(connection) as first:
        assert lookup(api, card).status_code == 200
    with clock.travel(start + ttl - timedelta(seconds=1)), CaptureQueriesContext(connection) as within:
        assert lookup(api, card).status_code == 200
    with clock.travel(start + ttl + timedelta(seconds=1)), CaptureQueriesContext(connection) as after:
        assert lookup(api, card).status_code == 200

    assert key_reads(first) == 1
    assert key_reads(within) == 0
    assert key_reads(after) == 1


def test_a_key_revoked_by_another_process_is_refused_within_the_cache_time(client, card, store_key, settings):
    api = Api(client, store_key.plaintext)
    start = clock.now()
    with clock.travel(start):
        assert lookup(api, card).status_code == 200

    # What another server process (the admin's) does: this process gets no signal of it.
    ApiKey.objects.filter(pk=store_key.api_key.pk).update(revoked_at=start)

    with clock.travel(start + timedelta(seconds=settings.KARTKA_API_KEY_CACHE_SECONDS - 1)):
        assert lookup(api, card).status_code == 200
    with clock.travel(start + timedelta(seconds=settings.KARTKA_API_KEY_CACHE_SECONDS + 1)):
        assert_problem(lookup(api, card), 401, "unauthenticated")


def test_a_wrong_secret_for_a_cached_prefix_is_401_without_the_database(client, card, store_key):
    assert lookup(Api(client, store_key.plaintext), card).status_code == 200
    prefix = store_key.api_key.prefix

    with CaptureQueriesContext(connection) as captured:
        response = lookup(Api(client, f"kk_{prefix}_{'A' * 43}"), card)

    assert_problem(response, 401, "unauthenticated")
    assert key_reads(captured) == 0
    assert lookup(Api(client, store_key.plaintext), card).status_code == 200  # the real key still works


def test_a_store_deactivated_in_this_process_counts_at_once(api, store, card):
    body = {"card_number": card.number, "receipt_id": "R-1", "total": "100"}
    assert api.post("/purchases/", body).status_code == 201

    store.is_active = False
    store.save(update_fields=["is_active"])

    assert_problem(api.post("/purchases/", {**body, "receipt_id": "R-2"}), 409, "store_inactive")


def test_without_the_cache_every_call_reads_the_key(client, card, store_key, settings):
    settings.KARTKA_API_KEY_CACHE_SECONDS = 0
    api = Api(client, store_key.plaintext)
    assert lookup(api, card).status_code == 200

    with CaptureQueriesContext(connection) as captured:
        assert lookup(api, card).status_code == 200
    ApiKey.objects.filter(pk=store_key.api_key.pk).update(revoked_at=clock.now())

    assert key_reads(captured) == 1
    assert_problem(lookup(api, card), 401, "unauthenticated")
