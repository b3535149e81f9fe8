"""Refunds over the API: fully, by lines (ids or positions, whole or partial quantities) or by amount. Points the
purchase earned go back, points it was paid with return to the card, and refunding everything in parts restores
the card exactly; refund ids are idempotent per purchase."""

from datetime import timedelta

import pytest

from programs import clock
from programs.admin.members import entry_reason
from programs.models import Purchase, Refund
from programs.selectors import ledger_list
from programs.services.purchases import purchase_record
from tests.programs.api.conftest import D, assert_problem
from tests.programs.invariants import assert_ledger_consistent

pytestmark = pytest.mark.django_db

LINES = [
    {"sku": "DRS-1", "category": "dresses", "quantity": "1", "amount": "300.00"},
    {"sku": "BLT-7", "category": "accessories", "quantity": "2", "amount": "100.00"},
]


@pytest.fixture
def bought(api, card):
    """Olena pays 40 of her 100 points on a 400.00 receipt and earns 18 (5 % of the 360 paid): 78 left."""
    response = api.post(
        "/purchases/", {"card_number": card.number, "receipt_id": "R-1", "lines": LINES, "redeem_points": "40"}
    )
    assert response.json()["balances"]["points"] == "78.00"
    return response.json()


def refund(api, **body):
    return api.post("/refunds/", body)


def test_a_partial_refund_after_a_redemption_returns_its_share_and_the_rest_restores_exactly(api, card, bought):
    accessories = refund(api, receipt_id="R-1", refund_id="RF-1", lines=[{"position": 1}])

    assert accessories.status_code == 201
    first = accessories.json()
    assert first["amount"] == "100.00"  # a quarter of the receipt
    assert first["points_returned"] == "10.00"  # a quarter of the 40 paid with
    assert first["points_reversed"] == "4.50"  # a quarter of the 18 earned
    assert first["balances"]["points"] == "83.50"
    assert first["purchase"]["refunded_amount"] == "100.00"

    rest = refund(api, purchase_id=bought["id"], refund_id="RF-2")

    second = rest.json()
    assert rest.status_code == 201
    assert second["amount"] == "300.00"
    assert second["points_returned"] == "30.00"
    assert second["points_reversed"] == "13.50"
    assert second["purchase"]["points_returned"] == "40.00"
    assert second["purchase"]["points_reversed"] == "18.00"
    assert second["balances"] == {"points": "100.00", "stamps": "0.00", "points_debt": "0.00", "stamps_debt": "0.00"}
    assert_ledger_consistent(card)


def test_refund_by_amount_then_in_full_restores_exactly(api, card, bought):
    odd = refund(api, purchase_id=bought["id"], refund_id="A", amount="123.45").json()
    rest = refund(api, purchase_id=bought["id"], refund_id="B").json()

    assert odd["amount"] == "123.45"
    assert rest["amount"] == "276.55"
    assert rest["balances"]["points"] == "100.00"
    assert_ledger_consistent(card)


def test_refund_part_of_a_line_by_its_id(api, card, bought):
    detail = api.get(f"/purchases/{bought['id']}/").json()
    belts = detail["lines"][1]

    body = refund(
        api, purchase_id=bought["id"], refund_id="one-belt", lines=[{"line_id": belts["id"], "quantity": "1"}]
    )

    assert body.json()["amount"] == "50.00"
    after = api.get(f"/purchases/{bought['id']}/").json()["lines"][1]
    assert (after["refunded_quantity"], after["refunded_amount"]) == ("1.000", "50.00")
    again = refund(api, purchase_id=bought["id"], refund_id="other-belt", lines=[{"position": 1}]).json()
    assert again["amount"] == "50.00"  # what was left of the line
    assert_problem(
        refund(api, purchase_id=bought["id"], refund_id="third-belt", lines=[{"position": 1}]), 400, "invalid_input"
    )


def test_a_refund_of_spent_points_leaves_a_debt(api, card, store):
    first = purchase_record(card=card, store=store, receipt_id="A", total=D(400)).purchase  # +20: 120
    spend = {"card_number": card.number, "receipt_id": "B", "total": "240.00", "redeem_points": "120"}
    assert api.post("/purchases/", spend).json()["balances"]["points"] == "6.00"  # 120 spent, 6 earned

    body = refund(api, purchase_id=first.pk, refund_id="RF").json()

    assert body["points_reversed"] == "20.00"
    assert body["points_debt"] == "14.00"
    assert body["balances"] == {"points": "0.00", "stamps": "0.00", "points_debt": "14.00", "stamps_debt": "0.00"}
    assert_ledger_consistent(card)


def test_the_same_refund_again_is_a_200_replay_and_other_content_is_409(api, card, bought):
    first = refund(api, purchase_id=bought["id"], refund_id="RF-1", amount="50.00")
    again = refund(api, purchase_id=bought["id"], refund_id="RF-1", amount="50.00")
    clash = refund(api, purchase_id=bought["id"], refund_id="RF-1", amount="60.00")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    body = assert_problem(clash, 409, "duplicate_refund")
    assert "RF-1" in body["detail"]
    assert Refund.objects.count() == 1


def test_a_replay_is_told_by_the_engine_not_by_the_clock(api, card, bought):
    # A till whose clock is behind (or a replay read back through time) still gets the replay, not a new refund.
    first = refund(api, purchase_id=bought["id"], refund_id="RF-1", amount="50.00")
    with clock.travel(clock.now() - timedelta(days=1)):
        again = refund(api, purchase_id=bought["id"], refund_id="RF-1", amount="50.00")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True


def test_refunding_more_than_is_left_is_422(api, card, bought):
    refund(api, purchase_id=bought["id"], refund_id="most", amount="350.00")

    body = assert_problem(
        refund(api, purchase_id=bought["id"], refund_id="more", amount="60.00"), 422, "refund_exceeds_purchase"
    )

    assert "50.00" in body["detail"]
    assert_problem(
        refund(api, purchase_id=bought["id"], refund_id="belts", lines=[{"position": 1, "quantity": "3"}]),
        422,
        "refund_exceeds_purchase",
    )


def test_a_program_key_names_the_store_of_a_receipt(crm, card, bought):
    assert_problem(crm.post("/refunds/", {"receipt_id": "R-1", "refund_id": "x"}), 400, "store_required")
    assert_problem(
        crm.post("/refunds/", {"store": "mall", "receipt_id": "R-1", "refund_id": "x"}), 404, "unknown_store"
    )
    assert crm.post("/refunds/", {"store": "main", "receipt_id": "R-1", "refund_id": "x"}).status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {"refund_id": "x"},
        {"refund_id": "x", "purchase_id": 1, "receipt_id": "R-1"},
        {"receipt_id": "R-1"},
        {"receipt_id": "R-1", "refund_id": "x", "amount": "10", "lines": [{"position": 0}]},
        {"receipt_id": "R-1", "refund_id": "x", "amount": "0"},
        {"receipt_id": "R-1", "refund_id": "x", "amount": "-5"},
        {"receipt_id": "R-1", "refund_id": "x", "lines": []},
        {"receipt_id": "R-1", "refund_id": "x", "lines": [{}]},
        {"receipt_id": "R-1", "refund_id": "x", "lines": [{"position": 0, "line_id": 1}]},
        {"receipt_id": "R-1", "refund_id": "x", "lines": [{"position": 7}]},
        {"receipt_id": "R-1", "refund_id": "x", "lines": [{"line_id": 999999}]},
        {"receipt_id": "R-1", "refund_id": "x", "lines": [{"position": 0, "quantity": "0"}]},
        {"purchase_id": 0, "refund_id": "x"},
        {"purchase_id": 2**64, "refund_id": "x"},
    ],
)
def test_invalid_refunds_are_400_and_change_nothing(api, card, bought, body):
    assert_problem(api.post("/refunds/", body), 400, "invalid_input")
    assert not Refund.objects.exists()


def test_unknown_and_other_programs_purchases_are_not_found(api, card, bought, other):
    theirs = purchase_record(card=other.card, store=other.store, receipt_id="R-1", total=D(100)).purchase
    Refund.objects.all().delete()

    assert_problem(refund(api, purchase_id=theirs.pk, refund_id="x"), 404, "unknown_purchase")
    assert_problem(refund(api, receipt_id="NOPE", refund_id="x"), 404, "unknown_purchase")
    assert_problem(refund(api, purchase_id=999_999, refund_id="x"), 404, "unknown_purchase")
    # Their receipt R-1 is in their store "main"; ours resolves to our purchase R-1, never to theirs.
    ours = refund(api, receipt_id="R-1", refund_id="x").json()
    assert ours["purchase_id"] == bought["id"]
    assert not Refund.objects.filter(purchase=theirs).exists()


def test_purchases_and_refunds_through_the_api_name_their_key(api, card, bought, store_key):
    """A till's purchase and refund record the key they came through (there is no staff user then), and the
    member's history in the admin says so."""
    assert refund(api, purchase_id=bought["id"], refund_id="RF-1", amount="100.00").status_code == 201

    purchase = Purchase.objects.get(pk=bought["id"])
    refund_row = Refund.objects.get(refund_id="RF-1")
    assert (purchase.api_key_id, purchase.actor_id) == (store_key.api_key.pk, None)
    assert (refund_row.api_key_id, refund_row.actor_id) == (store_key.api_key.pk, None)
    reasons = [entry_reason(entry) for entry in ledger_list(card=card) if entry.purchase_id]
    assert reasons and all(reason.endswith("through the API key “Till 1”") for reason in reasons), reasons
