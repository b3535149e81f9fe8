"""Quote and record a purchase: what the cashier sees (discount, points to pay with and to earn), what the
ledger gets, receipt-level idempotency (201, then 200 for the same receipt, 409 for other content), the store
rules of store and program keys, and every kind of bad input answered with a 400/422 problem, never a 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.api.views import purchases as purchase_views
from programs.choices import EntryKind
from programs.factories import CardTypeFactory, EarningRuleFactory, StoreFactory, TierFactory
from programs.models import Card, LedgerEntry, Purchase
from programs.services.cards import card_block
from programs.services.members import member_create
from programs.services.purchases import purchase_record
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import D, assert_problem
from tests.programs.invariants import assert_ledger_consistent

pytestmark = pytest.mark.django_db

LINES = [
    {"sku": "DRS-1", "category": "dresses", "quantity": "1", "amount": "300.00"},
    {"sku": "BLT-7", "category": "accessories", "quantity": "2", "amount": "100.00"},
]


def purchase(card, **fields):
    return {"card_number": card.number, "receipt_id": "R-1", "lines": LINES, **fields}


# --- Quote ------------------------------------------------------------------------------------------------------


def test_quote_answers_discount_points_to_earn_and_the_redeemable_maximum(api, program, card):
    EarningRuleFactory(program=program, name="Double accessories", categories="accessories", multiplier=D(2))

    response = api.post("/quote/", {"card_number": card.number, "lines": LINES, "redeem_points": "40"})

    assert response.status_code == 200
    body = response.json()
    assert body["total"] == "400.00"
    assert body["points_available"] == "100.00"
    assert body["points_redeemable"] == "100.00"  # 50 % of 400 is 200, the card holds 100
    assert body["redeemed_value"] == "40.00"
    assert body["amount_to_pay"] == "360.00"
    # 5 % of the 360 paid = 18; the rule doubles the accessories' share (100 × 360/400 × 5 %) = +4.
    assert body["points_to_earn"] == "22.00"
    assert [(item["amount"], item["reason"]) for item in body["earnings"]] == [
        ("18.00", ""),
        ("4.00", "Double accessories"),
    ]
    assert not Purchase.objects.exists()
    assert LedgerEntry.objects.filter(card=card).count() == 1  # the opening balance only


def test_quote_of_a_discount_card_in_a_tier(api, program):
    TierFactory(program=program, name="Gold", threshold=D(0), discount_percent=D(12))
    discount = CardTypeFactory(program=program, name="Friends", discount=True)  # 10 %
    card = member_create(program=program, phone="+380671112233", card_types=[discount]).cards.get()

    body = api.post("/quote/", {"card_number": card.number, "total": "250.00"}).json()

    assert body["discount_percent"] == "12.00"
    assert body["discount_amount"] == "30.00"
    assert body["amount_to_pay"] == "220.00"
    assert body["points_redeemable"] == "0.00"


@pytest.mark.parametrize(
    ("total", "redeem", "code", "detail"),
    [
        ("1000.00", "150", "insufficient_points", "Not enough points: 100.00 available, 150.00 requested."),
        ("100.00", "60.5", "redemption_limit_exceeded", "At most 50.00 points can pay for this check."),
    ],
)
def test_quote_refuses_what_recording_would_refuse(api, card, total, redeem, code, detail):
    request = {"card_number": card.number, "total": total, "redeem_points": redeem}

    quoted = assert_problem(api.post("/quote/", request), 422, code)
    recorded = assert_problem(api.post("/purchases/", {**request, "receipt_id": "R-9"}), 422, code)

    assert quoted["detail"] == recorded["detail"] == detail
    assert not Purchase.objects.exists()


# --- Record -----------------------------------------------------------------------------------------------------


def test_record_a_purchase_with_redemption(api, card):
    response = api.post("/purchases/", purchase(card, redeem_points="40", currency="UAH"))

    assert response.status_code == 201
    body = response.json()
    assert body["receipt_id"] == "R-1"
    assert body["store"] == "main"
    assert body["card"] == card.number
    assert body["total"] == "400.00"
    assert body["points_redeemed"] == "40.00"
    assert body["paid_amount"] == "360.00"
    assert body["points_earned"] == "18.00"
    assert body["replayed"] is False
    assert body["balances"] == {"points": "78.00", "stamps": "0.00", "points_debt": "0.00", "stamps_debt": "0.00"}
    card.refresh_from_db()
    assert card.points_balance == D("78.00")
    assert_ledger_consistent(card)
    recorded = Purchase.objects.get()
    assert [line.sku for line in recorded.lines.all()] == ["DRS-1", "BLT-7"]


def test_the_same_receipt_again_is_a_200_replay_with_no_second_effect(api, card):
    first = api.post("/purchases/", purchase(card, redeem_points="40"))
    entries = LedgerEntry.objects.count()

    again = api.post("/purchases/", purchase(card, redeem_points="40"))

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.count() == entries


def test_the_same_receipt_with_other_content_is_409(api, card):
    api.post("/purchases/", purchase(card))

    body = assert_problem(api.post("/purchases/", purchase(card, redeem_points="10")), 409, "duplicate_receipt")

    assert "R-1" in body["detail"]
    assert Purchase.objects.count() == 1


def test_a_purchase_answers_the_tier_it_reached(api, program, card):
    TierFactory(program=program, name="Standard", threshold=D(0))
    TierFactory(program=program, name="Silver", threshold=D(300))

    body = api.post("/purchases/", purchase(card)).json()

    assert body["tier"]["name"] == "Silver"
    progress = body["tier_progress"]
    assert (progress["tier"]["name"], progress["next_tier"], progress["percent"], progress["text"]) == (
        "Silver",
        None,
        100,
        "",
    )


def test_a_purchase_answers_what_is_left_to_the_next_tier(api, program, card):
    TierFactory(program=program, name="Standard", threshold=D(0))
    TierFactory(program=program, name="Gold", threshold=D(5000))

    body = api.post("/purchases/", purchase(card)).json()

    progress = body["tier_progress"]
    assert (progress["next_tier"]["name"], progress["value"], progress["remaining"]) == ("Gold", "400.00", "4600.00")
    assert progress["percent"] == 8
    assert progress["text"] == "₴4,600.00 left to Gold (8 % of the way)"


def test_a_stamp_card_earns_stamps_and_pays_with_its_reward(api, program, store):
    coffee = CardTypeFactory(program=program, name="Coffee 2+1", stamps=True, stamp_goal=2)
    card = member_create(program=program, phone="+380671112233", card_types=[coffee]).cards.get()
    purchase_record(card=card, store=store, receipt_id="C1", total=D(60))
    cups = {"card_number": card.number, "lines": [{"category": "coffee", "quantity": "1", "amount": "60"}]}

    earned = api.post("/purchases/", {**cups, "receipt_id": "C2"}).json()
    spent = api.post("/purchases/", {**cups, "receipt_id": "C3", "redeem_reward": True}).json()

    assert earned["stamps_earned"] == "1.00"
    assert earned["rewards_issued"] == 1
    assert earned["rewards_available"] == 1
    assert spent["reward_redeemed"] is True
    assert spent["rewards_available"] == 0
    assert_problem(
        api.post("/purchases/", {**cups, "receipt_id": "C4", "redeem_reward": True}), 422, "no_reward_available"
    )


def test_using_a_reward_answers_how_to_ring_it_and_is_in_the_ledger(api, program, store):
    coffee = CardTypeFactory(
        program=program, stamps=True, stamp_goal=2, stamp_basis="purchase", reward_description="A free coffee"
    )
    card = member_create(program=program, phone="+380671112234", card_types=[coffee]).cards.get()
    for receipt in ("C1", "C2"):
        purchase_record(card=card, store=store, receipt_id=receipt, total=D(60))
    free = {"card_number": card.number, "lines": [{"category": "coffee", "quantity": "1", "amount": "0.00"}]}

    spent = api.post("/purchases/", {**free, "receipt_id": "C3", "redeem_reward": True}).json()

    assert spent["stamps_earned"] == "0.00"
    assert spent["reward"] == {
        "description": "A free coffee",
        "how_to_ring": "Ring the free item as its own line at 0.00: it earns no stamp.",
    }
    [used] = [
        entry for entry in api.get(f"/cards/{card.number}/ledger/").json()["results"] if entry["kind"] == "reward_use"
    ]
    assert (used["unit"], used["amount"], used["receipt_id"]) == ("stamps", "0.00", "C3")
    assert used["reason"] == "receipt C3 · A free coffee"
    assert used["created_at"] == spent["purchased_at"]


def test_get_a_purchase_with_its_lines(api, card):
    created = api.post("/purchases/", purchase(card)).json()

    body = api.get(f"/purchases/{created['id']}/").json()

    assert body["id"] == created["id"]
    assert [(line["position"], line["sku"], line["quantity"], line["amount"]) for line in body["lines"]] == [
        (0, "DRS-1", "1.000", "300.00"),
        (1, "BLT-7", "2.000", "100.00"),
    ]


# --- Stores and keys ---------------------------------------------------------------------------------------------


def test_a_program_key_names_the_store(crm, program, card):
    StoreFactory(program=program, code="mall")

    missing = crm.post("/purchases/", purchase(card))
    unknown = crm.post("/purchases/", purchase(card, store="nowhere"))
    recorded = crm.post("/purchases/", purchase(card, store="mall"))

    assert_problem(missing, 400, "store_required")
    assert_problem(unknown, 404, "unknown_store")
    assert recorded.status_code == 201
    assert recorded.json()["store"] == "mall"


def test_a_store_key_records_in_its_own_store_only(api, program, card):
    StoreFactory(program=program, code="mall")

    assert api.post("/purchases/", purchase(card, store="main")).status_code == 201
    body = assert_problem(
        api.post("/purchases/", purchase(card, receipt_id="R-2", store="mall")), 403, "store_not_allowed"
    )
    assert body["errors"] == {"store": [body["detail"]]}


def test_an_inactive_store_records_nothing(api, store, card):
    store.is_active = False
    store.save(update_fields=["is_active"])

    assert_problem(api.post("/purchases/", purchase(card)), 409, "store_inactive")
    assert not Purchase.objects.exists()


def test_another_programs_card_store_and_purchase_are_not_found(api, crm, card, other):
    theirs = purchase_record(card=other.card, store=other.store, receipt_id="THEIRS", total=D(100)).purchase

    assert_problem(api.post("/purchases/", purchase(other.card)), 404, "unknown_card")
    assert_problem(api.post("/quote/", {"card_number": other.card.number, "total": "10"}), 404, "unknown_card")
    assert_problem(crm.post("/purchases/", purchase(card, store="other-main")), 404, "unknown_store")
    assert_problem(api.get(f"/purchases/{theirs.pk}/"), 404, "unknown_purchase")
    assert Purchase.objects.filter(program=other.program).count() == 1


# --- Refusals ----------------------------------------------------------------------------------------------------


def test_a_blocked_card_is_409(api, card):
    card_block(card=card, reason="lost", actor=SYSTEM)

    assert_problem(api.post("/purchases/", purchase(card)), 409, "card_blocked")
    assert_problem(api.post("/quote/", {"card_number": card.number, "total": "10"}), 409, "card_blocked")


def test_another_currency_is_422(api, card):
    body = assert_problem(api.post("/purchases/", purchase(card, currency="EUR")), 422, "currency_mismatch")

    assert body["detail"] == "The program counts in UAH, not EUR."
    assert body["errors"] == {"currency": [body["detail"]]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"lines": [{"amount": "-5"}]}, "lines.0.amount"),
        ({"lines": [{"amount": "1e3"}], "total": "-1"}, "total"),
        ({"lines": [{"amount": "100000000"}]}, "lines.0.amount"),
        ({"lines": [{"amount": "10.001"}]}, "lines.0.amount"),
        ({"lines": [{"amount": "NaN"}]}, "lines.0.amount"),
        ({"lines": [{"amount": "ten"}]}, "lines.0.amount"),
        ({"lines": [{"amount": "10", "quantity": "0"}]}, "lines.0.quantity"),
        ({"lines": [{"amount": "10", "sku": "x" * 101}]}, "lines.0.sku"),
        ({"lines": [{"amount": "10"}] * 501}, "lines"),
        ({"lines": "all of them"}, "lines"),
        ({"lines": [], "total": None}, "total"),
        ({"redeem_points": "-1"}, "redeem_points"),
        ({"redeem_points": True}, "redeem_points"),
        ({"receipt_id": ""}, "receipt_id"),
        ({"receipt_id": "r" * 101}, "receipt_id"),
        ({"card_number": 12345}, None),
        ({"purchased_at": "yesterday"}, "purchased_at"),
        ({"purchased_at": "2999-01-01T00:00:00Z"}, "purchased_at"),
        ({"purchased_at": "0001-01-01T00:00:00+14:00"}, "purchased_at"),
        ({"currency": "HRYVNIA"}, "currency"),
        ({"redeem_reward": "perhaps"}, "redeem_reward"),
    ],
)
def test_bad_input_is_400_with_the_field_named(api, card, change, field):
    body = {**purchase(card), **change}
    body = {key: value for key, value in body.items() if value is not None}

    response = api.post("/purchases/", body)

    if field is None:  # 12345 is a fine card number that doesn't exist
        assert_problem(response, 404, "unknown_card")
    else:
        problem = assert_problem(response, 400, "invalid_input")
        assert field in problem["errors"], problem
    assert not Purchase.objects.exists()


def test_lines_that_do_not_add_up_are_400(api, card):
    body = assert_problem(api.post("/purchases/", purchase(card, total="999.00")), 400, "invalid_input")

    assert body["detail"] == "The lines do not add up to the total."


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "malformed_json"),
        ('{"total": NaN}', "application/json", 400, "malformed_json"),
        ("[" * 100_000, "application/json", 400, "malformed_json"),
        ("[1, 2]", "application/json", 400, "invalid_input"),
        ('"text"', "application/json", 400, "invalid_input"),
        ("total=10", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("\xff\xfe", "application/json; charset=utf-8", 400, "malformed_json"),
    ],
)
def test_malformed_bodies_are_problems(api, card, raw, content_type, status, code):
    assert_problem(api.post("/purchases/", raw=raw, content_type=content_type), status, code)


def test_numbers_arrive_as_exact_decimals(api, card):
    # JSON numbers, which as floats would not add up (0.1 + 0.2 != 0.3).
    raw = '{"card_number": "CARD", "receipt_id": "F", "lines": [{"amount": 0.1}, {"amount": 0.2}], "total": 0.3}'

    response = api.post("/purchases/", raw=raw.replace("CARD", card.number))

    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "0.30"


def test_record_path_queries_are_pinned(api, card, django_assert_max_num_queries):
    api.post("/purchases/", purchase(card, receipt_id="warm-up"))  # key and rules snapshot cached, as in production

    # The API's own share is the key's rate count and one read (the card's id); the rest is purchase_record (its
    # transaction, the lock, the receipt check, lots, the inserts and updates of a redemption with an accrual).
    with django_assert_max_num_queries(17):
        response = api.post("/purchases/", purchase(card, redeem_points="10"))

    assert response.status_code == 201
    assert Card.objects.get(pk=card.pk).points_balance == D(response.json()["balances"]["points"])
    assert LedgerEntry.objects.filter(card=card, kind=EntryKind.REDEMPTION).count() == 1


@pytest.mark.parametrize("redeem", ["0", "10"])
def test_the_api_adds_six_statements_to_purchase_record(api, card, monkeypatch, redeem):
    """With an Idempotency-Key, as tills send it: the key's rate count, BEGIN, the key's record claimed, the card's
    id, the answer stored, COMMIT (a savepoint and its release inside the test's transaction). Everything else is
    the engine's, counted apart so its own work can change without this test."""
    api.post("/purchases/", purchase(card, receipt_id="warm-up"), headers={"Idempotency-Key": "warm-up"})
    inside = []

    def counted(**kwargs):
        with CaptureQueriesContext(connection) as engine:
            result = purchase_record(**kwargs)
        inside.append(len(engine.captured_queries))
        return result

    monkeypatch.setattr(purchase_views, "purchase_record", counted)

    with CaptureQueriesContext(connection) as request:
        response = api.post("/purchases/", purchase(card, redeem_points=redeem), headers={"Idempotency-Key": "k-1"})

    assert response.status_code == 201
    own = [query["sql"].split()[0] for query in request.captured_queries]
    assert len(own) - inside[0] == 6, own
    assert own[0] == "INSERT"  # the rate count, in autocommit
    assert (own[1], own[-1]) in {("BEGIN", "COMMIT"), ("SAVEPOINT", "RELEASE")}
