"""A card's ledger (cursor pages, newest first, each entry with its reason) and blocking / unblocking a card."""

from datetime import timedelta

import pytest

from programs import clock
from programs.factories import EarningRuleFactory
from programs.models import AuditEvent, Card
from programs.pricing import Line
from programs.services.cards import card_adjust, card_replace
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import D, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(card, store, program):
    """Opening 100, then (an hour apart each) a purchase with a rule bonus, a refund and a staff correction."""
    EarningRuleFactory(program=program, name="Double accessories", categories="accessories", multiplier=D(2))
    start = clock.now() + timedelta(minutes=1)  # after the opening balance of the card fixture
    with clock.travel(start):
        result = purchase_record(
            card=card,
            store=store,
            receipt_id="R-1",
            lines=[
                Line(amount=D(200), category="dresses"),
                Line(amount=D(100), category="accessories"),
            ],
            redeem_points=D(30),
        )
    with clock.travel(start + timedelta(hours=1)):
        purchase_refund(purchase=result.purchase, refund_id="RF-1", amount=D(100))
    with clock.travel(start + timedelta(hours=2)):
        card_adjust(card=card, amount=D(-5), reason="typo at the till", actor=SYSTEM)
    return result.purchase


def ledger(api, card, **params):
    return api.get(f"/cards/{card.number}/ledger/", params)


def test_ledger_is_newest_first_with_reasons_and_balances(api, card, history):
    response = ledger(api, card)

    assert response.status_code == 200
    body = response.json()
    assert body["card"]["number"] == card.number
    entries = body["results"]
    assert entries[0]["kind"] == "adjustment"
    assert entries[0]["amount"] == "-5.00"
    assert entries[0]["note"] == "typo at the till"
    assert entries[0]["reason"] == "typo at the till"
    assert entries[0]["balance_after"] == body["card"]["balances"]["points"]
    refund_entries = [entry for entry in entries if entry["refund_id"] == "RF-1"]
    assert {entry["kind"] for entry in refund_entries} == {"return", "reversal"}
    assert all(entry["reason"] == "receipt R-1 · refund RF-1" for entry in refund_entries)
    bonus = next(entry for entry in entries if entry["rule"] == "Double accessories")
    assert bonus["kind"] == "accrual"
    assert bonus["receipt_id"] == "R-1"
    assert bonus["store"] == "main"
    assert bonus["reason"] == "Double accessories · receipt R-1"
    redemption = next(entry for entry in entries if entry["kind"] == "redemption")
    assert redemption["amount"] == "-30.00"
    assert entries[-1]["note"] == "opening balance"
    times = [entry["created_at"] for entry in entries]
    assert times == sorted(times, reverse=True)
    assert body["next"] is None and body["previous"] is None


def test_cursor_pages_cover_the_ledger_once(api, card, history):
    everything = [entry["id"] for entry in ledger(api, card).json()["results"]]
    seen, url = [], f"/api/v1/cards/{card.number}/ledger/?limit=2"

    while url:
        page = api.client.get(url, headers={"Authorization": f"Bearer {api.key}"}).json()
        assert len(page["results"]) <= 2
        seen += [entry["id"] for entry in page["results"]]
        url = page["next"]

    assert seen == everything
    assert len(everything) >= 6


@pytest.mark.parametrize(
    "params", [{"limit": "0"}, {"limit": "201"}, {"limit": "x"}, {"cursor": "garbage"}, {"cursor": "cD1ub3QtYS1kYXRl"}]
)
def test_bad_paging_is_400(api, card, params):
    assert_problem(ledger(api, card, **params), 400, "invalid_input")


def test_ledger_queries_do_not_grow_with_the_page(api, card, history, django_assert_max_num_queries):
    # key, last use, card, page of entries with reasons (one join), balances (<= 3)
    with django_assert_max_num_queries(8):  # with the key's rate count
        response = ledger(api, card, limit=50)

    assert len(response.json()["results"]) >= 6


def test_unknown_and_other_programs_cards_are_404(api, card, other):
    assert_problem(ledger(api, other.card), 404, "unknown_card")
    assert_problem(api.get("/cards/nope/ledger/"), 404, "unknown_card")
    assert_problem(api.get(f"/cards/{'9' * 40}/ledger/"), 404, "unknown_card")
    assert_problem(api.get("/cards/%00/ledger/"), 404, "unknown_card")
    assert_problem(api.post(f"/cards/{other.card.number}/block/", {"reason": "x"}), 404, "unknown_card")
    assert Card.objects.get(pk=other.card.pk).status == "active"


def test_block_and_unblock(api, card, store_key):
    blocked = api.post(f"/cards/{card.number}/block/", {"reason": "Lost card"})

    assert blocked.status_code == 200
    assert blocked.json()["status"] == "blocked"
    assert blocked.json()["balances"]["points"] == "100.00"
    event = AuditEvent.objects.get(action="card.block")
    # The audit row names the key that acted (there is no staff user behind a till).
    assert (event.reason, event.actor_kind, event.api_key) == ("Lost card", "api_key", store_key.api_key)
    assert event.actor is None
    purchase = {"card_number": card.number, "receipt_id": "R", "total": "10"}
    assert_problem(api.post("/purchases/", purchase), 409, "card_blocked")

    unblocked = api.post(f"/cards/{card.number}/unblock/", {"reason": "Found it"})

    assert unblocked.json()["status"] == "active"
    assert AuditEvent.objects.get(action="card.unblock").api_key == store_key.api_key
    assert api.post("/purchases/", purchase).status_code == 201


def test_blocking_needs_a_reason_and_a_live_card(api, card):
    assert_problem(api.post(f"/cards/{card.number}/block/", {}), 400, "invalid_input")
    assert_problem(api.post(f"/cards/{card.number}/block/", {"reason": "  "}), 400, "invalid_input")
    card_replace(card=card, reason="damaged", actor=SYSTEM)

    assert_problem(api.post(f"/cards/{card.number}/block/", {"reason": "x"}), 409, "card_replaced")


def test_refund_debt_shows_in_the_balances_and_the_ledger_names_the_refund(api, card, store):
    earning = purchase_record(card=card, store=store, receipt_id="R-3", total=D(1000))  # earns 50: 150 points
    card_adjust(card=card, amount=D(-150), reason="spent at the partner shop", actor=SYSTEM)
    refund = purchase_refund(purchase=earning.purchase, refund_id="RF-2")  # 50 to take back, none left
    assert refund.points_debt == D(50)

    body = ledger(api, card).json()

    assert body["card"]["balances"]["points_debt"] == f"{refund.points_debt:.2f}"
    [debt] = [entry for entry in body["results"] if entry["kind"] == "debt"]
    assert debt["amount"] == "0.00"
    assert debt["debt_change"] == f"{refund.points_debt:.2f}"
    assert debt["refund_id"] == "RF-2"
    assert debt["reason"] == "receipt R-3 · refund RF-2"
    purchase_record(card=card, store=store, receipt_id="R-4", total=D(2000))  # earns 100: settles the debt
    body = ledger(api, card).json()
    assert body["card"]["balances"]["points_debt"] == "0.00"
    [settled] = [entry for entry in body["results"] if entry["kind"] == "debt_settlement"]
    assert settled["debt_change"] == f"{-refund.points_debt:.2f}"
    assert settled["reason"] == "receipt R-4 · Settles refund RF-2 of receipt R-3"
