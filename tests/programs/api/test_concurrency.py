"""Many tills at once, through the API, on PostgreSQL with a connection per thread: redemptions against one card
never overdraw it, and a request sent concurrently with the same Idempotency-Key (or the same receipt) is
recorded once and answered alike."""

from decimal import Decimal

import pytest
from django.test import Client

from programs.factories import CardTypeFactory, ProgramFactory, RedemptionRuleFactory, StoreFactory
from programs.models import Purchase
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust
from programs.services.members import member_create
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import Api
from tests.programs.invariants import assert_ledger_consistent
from tests.programs.test_concurrency import run_concurrently

THREADS = 20


@pytest.fixture
def till(transactional_db, django_db_serialized_rollback, postgres_only):
    program = ProgramFactory(slug="busy")
    store = StoreFactory(program=program, code="till")
    # Purchases here earn nothing, so only the redemptions move the balance.
    card_type = CardTypeFactory(program=program, cashback_percent=Decimal(5), earn_min_purchase=Decimal(10**6))
    RedemptionRuleFactory(card_type=card_type, max_share_percent=Decimal(100))
    card = member_create(program=program, phone="+380501112233").cards.get()
    card_adjust(card=card, amount=Decimal(100), reason="start", actor=SYSTEM)
    key = api_key_create(program=program, store=store, name="Busy till", actor=SYSTEM).plaintext
    return key, card


def post(key, body, **headers):
    return Api(Client(), key).post("/purchases/", body, headers=headers)


def test_twenty_concurrent_redemptions_never_overdraw(till):
    key, card = till

    results, errors = run_concurrently(
        lambda index: post(
            key, {"card_number": card.number, "receipt_id": f"r{index}", "total": "50", "redeem_points": "10"}
        ),
        THREADS,
    )

    assert not errors
    statuses = sorted(response.status_code for response in results.values())
    assert statuses == [201] * 10 + [422] * 10
    refused = [response.json() for response in results.values() if response.status_code == 422]
    assert {body["code"] for body in refused} == {"insufficient_points"}
    card.refresh_from_db()
    assert card.points_balance == 0
    assert Purchase.objects.count() == 10
    assert_ledger_consistent(card)


def test_the_same_idempotency_key_in_flight_runs_once(till):
    key, card = till
    body = {"card_number": card.number, "receipt_id": "same", "total": "50", "redeem_points": "10"}

    results, errors = run_concurrently(lambda index: post(key, body, **{"Idempotency-Key": "one-sale"}), 10)

    assert not errors
    assert {response.status_code for response in results.values()} == {201}
    assert len({response.content for response in results.values()}) == 1
    assert sum(1 for response in results.values() if response.has_header("Idempotent-Replayed")) == 9
    assert Purchase.objects.count() == 1
    card.refresh_from_db()
    assert card.points_balance == 90


def test_the_same_receipt_from_many_tills_is_recorded_once(till):
    key, card = till
    body = {"card_number": card.number, "receipt_id": "same", "total": "50", "redeem_points": "10"}

    results, errors = run_concurrently(lambda index: post(key, body), 10)

    assert not errors
    assert sorted(response.status_code for response in results.values()) == [200] * 9 + [201]
    assert Purchase.objects.count() == 1
    card.refresh_from_db()
    assert card.points_balance == 90
