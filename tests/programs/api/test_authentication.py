"""API keys at the door: missing, malformed, wrong and revoked keys are 401 problems; a good key is recorded as
used (at most once a minute), and it reaches only its own program."""

from datetime import timedelta

import pytest

from programs import clock
from programs.models import ApiKey
from programs.services.api_keys import api_key_revoke
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

    api_key_revoke(api_key=store_key.api_key, actor=None, reason="till stolen")

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
