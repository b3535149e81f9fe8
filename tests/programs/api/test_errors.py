"""What every error looks like: an application/problem+json body with a stable code, the detail in the request's
language, and the HTTP details integrators rely on (Retry-After on 429, Allow on 405, a problem for unknown
paths under /api/ instead of an HTML page)."""

import pytest
from django.core.cache import cache
from django.utils import translation
from rest_framework import serializers
from wagtail.contrib.redirects.models import Redirect

from programs.api.authentication import api_keys_forget
from programs.models import Purchase
from programs.services.api_keys import api_key_create
from programs.services.cards import card_block
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import Api, assert_problem
from tests.test_translations import compiled_catalogs  # noqa: F401  (the fixture: locale/*.mo up to date)

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize(
    ("language", "blocked"),
    [
        ("en", "This card is blocked."),
        ("uk", "Цю картку заблоковано."),
        ("ru", "Эта карта заблокирована."),
        ("uk-UA,uk;q=0.9,en;q=0.5", "Цю картку заблоковано."),
    ],
)
def test_detail_speaks_the_language_of_accept_language(api, card, language, blocked):
    card_block(card=card, reason="lost", actor=SYSTEM)
    with translation.override(language[:2]):  # DRF's own catalog for its field messages
        required = str(serializers.Field.default_error_messages["required"])
    headers = {"Accept-Language": language}

    domain = api.post("/purchases/", {"card_number": card.number, "receipt_id": "R", "total": "10"}, headers=headers)
    validation = api.post("/purchases/", {"card_number": card.number, "total": "10"}, headers=headers)

    assert assert_problem(domain, 409, "card_blocked")["detail"] == blocked
    assert domain["Content-Language"] == language[:2]
    assert assert_problem(validation, 400, "invalid_input")["errors"] == {"receipt_id": [required]}


def test_too_many_calls_are_429_with_retry_after_per_key(client, api, card, program, settings):
    settings.KARTKA_API_RATE = "3/min"
    other_till = Api(client, api_key_create(program=program, name="Till 2", actor=SYSTEM).plaintext)

    answers = [api.get("/lookup/", {"card_number": card.number}).status_code for _ in range(3)]
    throttled = api.get("/lookup/", {"card_number": card.number})

    assert answers == [200, 200, 200]
    body = assert_problem(throttled, 429, "throttled")
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert "throttled" in body["detail"]
    assert other_till.get("/lookup/", {"card_number": card.number}).status_code == 200  # its own budget


def test_the_rate_is_counted_across_processes(api, card, settings):
    """Another worker process starts with its own empty memory (cache and authenticated keys): the count must not."""
    settings.KARTKA_API_RATE = "3/min"
    answers = [api.get("/lookup/", {"card_number": card.number}).status_code for _ in range(2)]

    cache.clear()  # what a second gunicorn worker's local memory holds: nothing
    api_keys_forget()
    answers += [api.get("/lookup/", {"card_number": card.number}).status_code for _ in range(2)]

    assert answers == [200, 200, 200, 429]


def test_writes_are_throttled_before_they_run(api, card, settings):
    settings.KARTKA_API_RATE = "1/min"
    api.get("/lookup/", {"card_number": card.number})

    response = api.post("/purchases/", {"card_number": card.number, "receipt_id": "R", "total": "10"})

    assert_problem(response, 429, "throttled")
    card.refresh_from_db()
    assert not card.purchases.exists()


@pytest.mark.parametrize("path", ["/api/v1/nope/", "/api/v2/purchases/", "/api/", "/api/v1/purchases"])
def test_unknown_api_paths_are_problems_not_pages(client, path):
    response = client.get(path)

    assert_problem(response, 404, "not_found")


def test_wrong_method_is_405_with_allow(api, card):
    response = api.client.delete("/api/v1/purchases/", headers={"Authorization": f"Bearer {api.key}"})

    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response["Allow"]
    assert_problem(api.get("/quote/"), 405, "method_not_allowed")


def test_an_unacceptable_accept_header_is_406(api, card):
    response = api.get("/lookup/", {"card_number": card.number}, headers={"Accept": "text/html"})

    assert_problem(response, 406, "not_acceptable")


def test_successes_are_plain_json(api, card):
    response = api.get("/lookup/", {"card_number": card.number})

    assert response["Content-Type"] == "application/json"


def test_a_not_found_answer_is_not_looked_up_among_the_sites_redirects(api, card, django_assert_num_queries):
    Redirect.objects.create(old_path="/api/v1/lookup", redirect_link="https://example.com/")
    api.get("/lookup/", {"card_number": card.number})  # the key is cached, as on a busy till

    with django_assert_num_queries(2):  # the key's rate count and the card, nothing else
        response = api.get("/lookup/", {"card_number": "999"})

    assert_problem(response, 404, "unknown_card")


@pytest.mark.parametrize("content_type", ["*/*", "application/json; charset=nope", "text/plain", "application/xml"])
def test_only_json_in_utf8_is_taken(api, card, content_type):
    body = f'{{"card_number": "{card.number}", "receipt_id": "R-ct", "total": "10"}}'
    # generic(): the test client's post() would itself refuse to encode for an unknown charset.
    response = api.client.generic(
        "POST", "/api/v1/purchases/", body.encode(), content_type=content_type, headers=api.headers(None)
    )
    assert assert_problem(response, 415, "unsupported_media_type")
    assert not Purchase.objects.filter(receipt_id="R-ct").exists()
    ok = api.post("/purchases/", raw=body.replace("R-ct", "R-ok"), content_type="application/json; charset=UTF-8")
    assert ok.status_code == 201


def test_a_body_over_the_limit_is_413_and_nothing_is_recorded(api, card, settings):
    settings.KARTKA_API_MAX_BODY_BYTES = 2048
    line = {"sku": "x" * 4096, "amount": "10"}
    body = {"card_number": card.number, "receipt_id": "R-big", "total": "10", "lines": [line]}
    assert assert_problem(api.post("/purchases/", body), 413, "request_too_large")
    assert not Purchase.objects.filter(receipt_id="R-big").exists()


@pytest.mark.parametrize("total", ["١٢٣", "１２３", "1_000", "1e3", " ", "12,50"])
def test_amounts_are_ascii_digits_only(api, card, total):
    response = api.post("/purchases/", {"card_number": card.number, "receipt_id": f"R-{total}", "total": total})
    assert "total" in assert_problem(response, 400, "invalid_input")["errors"]
    assert not Purchase.objects.exists()


def test_ascii_amounts_still_work_as_strings_and_numbers(api, card):
    assert (
        api.post("/purchases/", {"card_number": card.number, "receipt_id": "R-a", "total": "12.50"}).status_code == 201
    )
    assert api.post("/purchases/", {"card_number": card.number, "receipt_id": "R-b", "total": 7}).status_code == 201


def test_answers_with_personal_data_are_never_stored_by_a_cache(api, card):
    lookup = api.get("/lookup/", {"card_number": card.number})
    refused = api.get("/lookup/", {"card_number": "0000"})
    assert lookup.status_code == 200 and lookup["Cache-Control"] == "no-store"
    assert refused.status_code == 404 and refused["Cache-Control"] == "no-store"


def test_a_field_the_api_does_not_know_is_400_and_nothing_is_recorded(api, card):
    body = {"card_number": card.number, "receipt_id": "R-x", "total": "10", "reedem_points": "5"}
    assert assert_problem(api.post("/purchases/", body), 400, "invalid_input")["errors"] == {
        "reedem_points": ["Unknown field."]
    }
    line = {"amount": "10", "discount": "5"}
    nested = api.post("/purchases/", {"card_number": card.number, "receipt_id": "R-y", "lines": [line]})
    assert assert_problem(nested, 400, "invalid_input")["errors"] == {"lines.0.discount": ["Unknown field."]}
    assert not Purchase.objects.exists()


def test_a_profile_change_with_an_unknown_field_changes_nothing(api, card):
    member = card.member
    response = api.patch(f"/members/{member.pk}/", {"first_name": "Olha", "is_superuser": True})
    assert assert_problem(response, 400, "invalid_input")["errors"] == {"is_superuser": ["Unknown field."]}
    member.refresh_from_db()
    assert member.first_name == "Olena"
