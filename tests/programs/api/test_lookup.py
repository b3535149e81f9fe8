"""Looking a member up at the till: by card number, by phone in any common format, by the scanned QR/barcode
payload. The answer holds the member, their tier and every live card with balances split by bucket, rewards and
the next expiry."""

from datetime import timedelta

import pytest

from programs import clock
from programs.choices import Bucket, Unit
from programs.factories import CardTypeFactory, TierFactory
from programs.services.cards import card_adjust, card_replace
from programs.services.members import member_create
from programs.services.purchases import purchase_record
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import D, assert_problem

pytestmark = pytest.mark.django_db


def test_by_card_number_answers_member_cards_and_balances(api, card):
    expires = clock.now() + timedelta(days=10)
    card_adjust(card=card, amount=D(25), reason="promo week", actor=SYSTEM, bucket=Bucket.PROMO, expires_at=expires)

    response = api.get("/lookup/", {"card_number": card.number})

    assert response.status_code == 200
    body = response.json()
    assert body["card"] == card.number
    assert body["member"]["name"] == "Olena"
    assert body["member"]["first_name"] == "Olena"
    assert body["member"]["phone"] == "+380501234567"
    [found] = body["cards"]
    assert found["number"] == card.number
    assert found["barcode"] == f"KARTKA:{card.number}"
    assert found["status"] == "active"
    assert found["card_type"]["kind"] == "cashback"
    assert found["balances"] == {
        "points": "125.00",
        "cashback": "100.00",
        "promo": "25.00",
        "stamps": "0.00",
        "points_debt": "0.00",
        "stamps_debt": "0.00",
    }
    assert found["next_expiry"]["amount"] == "25.00"
    assert found["next_expiry"]["at"].startswith(expires.date().isoformat())


@pytest.mark.parametrize("phone", ["+380501234567", "050 123 45 67", "+38 (050) 123-45-67", "380501234567"])
def test_by_phone_in_any_common_format(api, card, phone):
    response = api.get("/lookup/", {"phone": phone})

    assert response.status_code == 200
    body = response.json()
    assert body["member"]["id"] == card.member_id
    assert body["card"] is None
    assert [item["number"] for item in body["cards"]] == [card.number]


def test_local_numbers_are_read_in_the_programs_country(api, crm, program, cashback_type):
    """The server's region is UA; a program in Russia reads "8 (999) …" as Russian and "050 …" as no number."""
    program.country = "RU"
    program.save(update_fields=["country"])

    enrolled = crm.post("/members/", {"phone": "8 (999) 123-45-67"}, headers={"Idempotency-Key": "enrol-ru-1"})
    found = api.get("/lookup/", {"phone": "8 999 123 45 67"})
    refused = crm.post("/members/", {"phone": "050 123 45 67"}, headers={"Idempotency-Key": "enrol-ru-2"})

    assert enrolled.status_code == 201, enrolled.content
    assert enrolled.json()["member"]["phone"] == "+79991234567"
    assert found.json()["member"]["id"] == enrolled.json()["member"]["id"]
    assert assert_problem(refused, 400, "invalid_input")["errors"] == {"phone": ["Enter a valid phone number."]}


@pytest.mark.parametrize("payload", ["KARTKA:{number}", "kartka:{number}", "{number}", " KARTKA: {number} "])
def test_by_scanned_payload(api, card, payload):
    response = api.get("/lookup/", {"barcode": payload.format(number=card.number)})

    assert response.status_code == 200
    assert response.json()["card"] == card.number


def test_tier_rewards_and_stamps_of_a_stamp_card(api, program, store):
    TierFactory(program=program, name="Standard", threshold=D(0))
    coffee = CardTypeFactory(program=program, name="Coffee 3+1", stamps=True, stamp_goal=3)
    member = member_create(program=program, phone="+380671112233", card_types=[coffee])
    card = member.cards.get()
    purchase_record(card=card, store=store, receipt_id="C1", total=D(150), lines=None)
    for receipt in ("C2", "C3", "C4"):
        purchase_record(card=card, store=store, receipt_id=receipt, total=D(50))

    body = api.get("/lookup/", {"card_number": card.number}).json()

    assert body["member"]["tier"]["name"] == "Standard"
    [found] = body["cards"]
    assert found["card_type"]["kind"] == "stamps"
    assert found["stamp_goal"] == 3
    assert found["rewards_available"] == 1
    assert found["balances"]["stamps"] == "1.00"


def test_a_replaced_card_finds_the_member_with_the_new_card(api, card):
    new = card_replace(card=card, reason="lost", actor=SYSTEM)

    body = api.get("/lookup/", {"card_number": card.number}).json()

    assert body["card"] == card.number
    statuses = {item["number"]: item["status"] for item in body["cards"]}
    assert statuses == {new.number: "active", card.number: "replaced"}
    assert next(item for item in body["cards"] if item["number"] == new.number)["balances"]["points"] == "100.00"


def test_unknown_card_and_unknown_phone_are_404(api, card):
    assert_problem(api.get("/lookup/", {"card_number": "2999999999999"}), 404, "unknown_card")
    assert_problem(api.get("/lookup/", {"barcode": "KARTKA:"}), 404, "unknown_card")
    assert_problem(api.get("/lookup/", {"phone": "+380509999999"}), 404, "unknown_member")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "non_field_errors"),
        ({"card_number": "1", "phone": "+380501234567"}, "non_field_errors"),
        ({"phone": "not a phone"}, "phone"),
        ({"phone": "+1 555"}, "phone"),
        ({"card_number": "x" * 65}, "card_number"),
        ({"card_number": "12\x0034"}, "card_number"),
    ],
)
def test_invalid_lookups_are_400_with_field_errors(api, card, params, field):
    body = assert_problem(api.get("/lookup/", params), 400, "invalid_input")

    assert field in body["errors"]


def test_another_programs_card_and_phone_are_not_found(api, card, other):
    assert_problem(api.get("/lookup/", {"card_number": other.card.number}), 404, "unknown_card")
    assert_problem(api.get("/lookup/", {"phone": "+380679998877"}), 404, "unknown_member")


def test_queries_do_not_grow_with_cards(api, program, cashback_type, django_assert_max_num_queries):
    coffee = CardTypeFactory(program=program, name="Coffee", stamps=True)
    discount = CardTypeFactory(program=program, name="Friends", discount=True)
    member = member_create(program=program, phone="+380931112233", card_types=[cashback_type, coffee, discount])
    for card in member.cards.all():
        unit = Unit.STAMPS if card.card_type_id == coffee.pk else Unit.POINTS
        card_adjust(card=card, amount=D(3), unit=unit, reason="gift", actor=SYSTEM)

    # key (1) + last use (1) + member by phone (1) + cards (1) + balances (<= 3)
    with django_assert_max_num_queries(8):  # with the key's rate count
        response = api.get("/lookup/", {"phone": "+380931112233"})

    assert len(response.json()["cards"]) == 3


def test_lookup_answers_the_tier_progress_in_the_tills_language(api, program, card):
    program.downgrade_policy = "grace"
    program.save()
    TierFactory(program=program, name="Standard", threshold=D(0))
    TierFactory(program=program, name="Gold", threshold=D(20000))
    purchase_record(card=card, store=program.stores.get(), receipt_id="R-1", total=D(50))

    body = api.get("/lookup/", {"card_number": card.number}, headers={"Accept-Language": "uk"}).json()

    assert body["tier_progress"] == {
        "tier": {"id": body["member"]["tier"]["id"], "name": "Standard"},
        "next_tier": {"id": body["tier_progress"]["next_tier"]["id"], "name": "Gold"},
        "basis": "spend",
        "value": "50.00",
        "remaining": "19950.00",
        "percent": 1,  # a quarter of a per cent is on the way, not 0
        "downgrade_at": None,
        "downgrade_to": None,
        "text": body["tier_progress"]["text"],
    }
    # In the till's language: Ukrainian grouping and decimal mark, the hryvnia after the amount.
    assert "19\u00a0950,00\u00a0₴" in body["tier_progress"]["text"]
    assert "Gold" in body["tier_progress"]["text"]
    assert "1 %" in body["tier_progress"]["text"]


def test_lookup_without_tiers_has_no_tier_progress(api, card):
    assert api.get("/lookup/", {"card_number": card.number}).json()["tier_progress"] is None
