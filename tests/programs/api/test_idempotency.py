"""Idempotency-Key on every write: a replay answers the first status and body with no second effect, the same
key with another request is a 409, refusals are answered again the same way, malformed requests are not kept,
and old keys are forgotten by the scheduled purge."""

from datetime import timedelta

import pytest

from programs import clock
from programs.jobs import SCHEDULES, api_idempotency_purge
from programs.models import IdempotencyRecord, LedgerEntry, Member, Purchase
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import Api, D, assert_problem

pytestmark = pytest.mark.django_db


def key(value: str) -> dict:
    return {"Idempotency-Key": value}


def purchase(card, **fields):
    return {"card_number": card.number, "receipt_id": "R-1", "total": "200.00", "redeem_points": "50", **fields}


def test_a_replay_returns_the_first_answer_and_changes_nothing(api, card):
    first = api.post("/purchases/", purchase(card), headers=key("till-1-0001"))
    entries = LedgerEntry.objects.count()

    again = api.post("/purchases/", purchase(card), headers=key("till-1-0001"))

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()  # the stored answer, not a receipt replay ("replayed" stays false)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.count() == entries


def test_key_order_and_spacing_of_the_body_do_not_matter(api, card):
    body = purchase(card)
    api.post("/purchases/", body, headers=key("k"))

    reordered = dict(reversed(list(body.items())))
    response = api.post("/purchases/", reordered, headers=key("k"))

    assert response.status_code == 201
    assert response["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_409(api, card):
    api.post("/purchases/", purchase(card), headers=key("k"))

    body = assert_problem(
        api.post("/purchases/", purchase(card, receipt_id="R-2"), headers=key("k")), 409, "idempotency_key_reused"
    )

    assert "Idempotency-Key" in body["detail"]
    assert Purchase.objects.count() == 1


def test_the_same_key_on_another_endpoint_is_409(api, card):
    api.post("/purchases/", purchase(card), headers=key("k"))

    assert_problem(
        api.post(f"/cards/{card.number}/block/", {"reason": "x"}, headers=key("k")), 409, "idempotency_key_reused"
    )
    card.refresh_from_db()
    assert card.status == "active"


def test_a_refusal_is_answered_again_the_same_way(api, card):
    request = purchase(card, total="400.00", redeem_points="150")
    refused = api.post("/purchases/", request, headers=key("k"))
    card_adjust(card=card, amount=D(500), reason="top-up", actor=SYSTEM)  # now it would pass

    again = api.post("/purchases/", request, headers=key("k"))

    assert_problem(refused, 422, "insufficient_points")
    assert_problem(again, 422, "insufficient_points")
    assert again.json() == refused.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not Purchase.objects.exists()


def test_a_malformed_request_is_not_kept_so_the_fixed_one_can_use_the_key(api, card):
    bad = api.post("/purchases/", purchase(card, total="-1"), headers=key("k"))
    malformed = api.post("/purchases/", raw="{", headers=key("k"))
    good = api.post("/purchases/", purchase(card), headers=key("k"))

    assert_problem(bad, 400, "invalid_input")
    assert_problem(malformed, 400, "malformed_json")
    assert good.status_code == 201
    assert IdempotencyRecord.objects.get().status == 201


def test_enrolment_replayed_is_the_first_answer_not_member_exists(api, cashback_type):
    first = api.post("/members/", {"phone": "+380675551234", "first_name": "Iryna"}, headers=key("enrol-1"))
    again = api.post("/members/", {"phone": "+380675551234", "first_name": "Iryna"}, headers=key("enrol-1"))
    fresh = api.post("/members/", {"phone": "+380675551234", "first_name": "Iryna"}, headers=key("enrol-2"))

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert_problem(fresh, 409, "member_exists")
    assert Member.objects.count() == 1


def test_refunds_updates_and_card_actions_are_idempotent_too(api, card):
    bought = api.post("/purchases/", purchase(card)).json()
    refund = {"purchase_id": bought["id"], "refund_id": "RF", "amount": "20"}
    assert api.post("/refunds/", refund, headers=key("r")).status_code == 201
    assert api.post("/refunds/", refund, headers=key("r"))["Idempotent-Replayed"] == "true"

    url = f"/members/{card.member_id}/"
    assert api.patch(url, {"last_name": "K"}, headers=key("m")).status_code == 200
    assert api.patch(url, {"last_name": "K"}, headers=key("m"))["Idempotent-Replayed"] == "true"

    block = f"/cards/{card.number}/block/"
    assert api.post(block, {"reason": "lost"}, headers=key("b")).json()["status"] == "blocked"
    api.post(f"/cards/{card.number}/unblock/", {"reason": "found"})
    replay = api.post(block, {"reason": "lost"}, headers=key("b"))
    assert replay.json()["status"] == "blocked"  # the first answer...
    card.refresh_from_db()
    assert card.status == "active"  # ...and no second effect


def test_keys_belong_to_their_api_key(client, api, card, program, store):
    other_till = Api(client, api_key_create(program=program, store=store, name="Till 2", actor=SYSTEM).plaintext)

    api.post("/purchases/", purchase(card), headers=key("shared"))
    response = other_till.post("/purchases/", purchase(card, receipt_id="R-2"), headers=key("shared"))

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Purchase.objects.count() == 2


@pytest.mark.parametrize("value", ["", "x" * 256, "with space", "ключ"])
def test_a_malformed_key_is_400(api, card, value):
    body = assert_problem(api.post("/purchases/", purchase(card), headers=key(value)), 400, "invalid_input")

    assert "Idempotency-Key" in body["errors"]
    assert not Purchase.objects.exists()


def test_old_answers_are_purged_by_the_scheduled_job(api, card, settings):
    settings.KARTKA_API_IDEMPOTENCY_DAYS = 7
    with clock.travel(clock.now() - timedelta(days=8)):
        api.post("/quote/", {})  # reads are never recorded
        api.post(f"/cards/{card.number}/block/", {"reason": "old"}, headers=key("old"))
    api.post(f"/cards/{card.number}/unblock/", {"reason": "new"}, headers=key("new"))

    assert api_idempotency_purge() == 1

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert "kartka.api_idempotency_purge" in SCHEDULES


def test_a_replay_costs_five_statements_and_writes_nothing(api, card, django_assert_num_queries):
    api.post("/purchases/", purchase(card), headers=key("k"))

    # The key's rate count; BEGIN, the claim that finds the key taken, the stored answer, COMMIT of nothing.
    with django_assert_num_queries(5):
        again = api.post("/purchases/", purchase(card), headers=key("k"))

    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.count() == 1
