"""Enrolment at the till and profile updates: through member_create / member_update, answered with the member
and their cards; duplicates, invalid profiles and other programs' members are refused."""

import pytest

from programs.choices import Bucket, RuleKind
from programs.factories import CardTypeFactory, EarningRuleFactory
from programs.models import AuditEvent, Member
from tests.programs.api.conftest import D, assert_problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def bonuses(program):
    EarningRuleFactory(
        program=program,
        name="Welcome",
        kind=RuleKind.REGISTRATION,
        bonus_points=D(50),
        multiplier=D(1),
        bucket=Bucket.PROMO,
        expiry_days=30,
    )
    EarningRuleFactory(
        program=program, name="Profile", kind=RuleKind.PROFILE_COMPLETED, bonus_points=D(20), multiplier=D(1)
    )


def test_enrol_issues_a_card_with_the_joining_bonus(api, cashback_type, bonuses, store_key):
    response = api.post(
        "/members/",
        {"phone": "067 555 12 34", "first_name": "Iryna", "last_name": "Shevchenko", "consent_sms": True},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["member"]["phone"] == "+380675551234"
    assert body["member"]["consent_sms"] is True
    assert body["member"]["consent_email"] is False
    [card] = body["cards"]
    assert card["card_type"]["name"] == "Bonus card"
    assert card["balances"]["promo"] == "50.00"
    assert card["next_expiry"]["amount"] == "50.00"
    member = Member.objects.get(phone="+380675551234")
    assert member.first_name == "Iryna"
    created = AuditEvent.objects.get(action="member.create", object_id=str(member.pk))
    issued = AuditEvent.objects.get(action="card.issue", object_id=str(member.cards.get().pk))
    assert created.api_key == issued.api_key == store_key.api_key  # the till that enrolled them


def test_enrol_with_a_complete_profile_grants_that_bonus_too(api, cashback_type, bonuses):
    response = api.post(
        "/members/",
        {
            "phone": "+380675551234",
            "first_name": "Iryna",
            "last_name": "Shevchenko",
            "email": "iryna@example.com",
            "birth_date": "1991-03-08",
            "gender": "f",
        },
    )

    assert response.status_code == 201
    assert response.json()["cards"][0]["balances"] == {
        "points": "70.00",
        "cashback": "20.00",
        "promo": "50.00",
        "stamps": "0.00",
        "points_debt": "0.00",
        "stamps_debt": "0.00",
    }


def test_enrol_chooses_card_types(api, program, cashback_type):
    coffee = CardTypeFactory(program=program, name="Coffee", stamps=True)

    body = api.post("/members/", {"phone": "+380675551234", "card_types": [coffee.pk]}).json()

    assert [card["card_type"]["name"] for card in body["cards"]] == ["Coffee"]


def test_enrol_refuses_a_card_type_of_another_program(api, cashback_type, other):
    foreign = other.card.card_type_id

    body = assert_problem(
        api.post("/members/", {"phone": "+380675551234", "card_types": [foreign]}), 400, "invalid_input"
    )

    assert "card_types" in body["errors"]
    assert not Member.objects.filter(phone="+380675551234").exists()


def test_enrolling_a_known_phone_is_409(api, card):
    assert_problem(api.post("/members/", {"phone": "050 123 45 67"}), 409, "member_exists")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+380675551234", "email": "not-mail"}, "email"),
        ({"phone": "+380675551234", "birth_date": "2999-01-01"}, "birth_date"),
        ({"phone": "+380675551234", "birth_date": "31.12.1990"}, "birth_date"),
        ({"phone": "+380675551234", "gender": "q"}, "gender"),
        ({"phone": "+380675551234", "first_name": "x" * 101}, "first_name"),
        ({"phone": "+380675551234", "consent_sms": "maybe"}, "consent_sms"),
        ({"phone": "+380675551234", "card_types": "all"}, "card_types"),
    ],
)
def test_invalid_enrolments_are_400_and_save_nothing(api, cashback_type, body, field):
    problem = assert_problem(api.post("/members/", body), 400, "invalid_input")

    assert field in problem["errors"]
    assert not Member.objects.exists()


def test_get_a_member(api, card):
    response = api.get(f"/members/{card.member_id}/")

    assert response.status_code == 200
    assert response.json()["member"]["first_name"] == "Olena"
    assert response.json()["cards"][0]["balances"]["points"] == "100.00"


def test_update_changes_only_the_fields_sent_and_grants_the_profile_bonus_once(api, card, bonuses, store_key):
    url = f"/members/{card.member_id}/"
    complete = {"last_name": "Kovalenko", "email": "olena@example.com", "birth_date": "1990-05-17", "gender": "f"}

    first = api.patch(url, complete)
    again = api.patch(url, {"email": "olena.k@example.com", "consent_email": True})

    assert first.status_code == 200
    assert first.json()["cards"][0]["balances"]["cashback"] == "120.00"
    body = again.json()
    assert body["member"]["email"] == "olena.k@example.com"
    assert body["member"]["consent_email"] is True
    assert body["member"]["first_name"] == "Olena"  # not sent, not changed
    assert body["cards"][0]["balances"]["cashback"] == "120.00"  # the bonus came once
    updates = AuditEvent.objects.filter(action="member.update", object_id=str(card.member_id))
    assert [event.api_key for event in updates] == [store_key.api_key] * 2


def test_update_can_clear_the_birthday(api, card):
    api.patch(f"/members/{card.member_id}/", {"birth_date": "1990-05-17"})

    body = api.patch(f"/members/{card.member_id}/", {"birth_date": None}).json()

    assert body["member"]["birth_date"] is None


def test_invalid_update_is_400_and_changes_nothing(api, card):
    problem = assert_problem(api.patch(f"/members/{card.member_id}/", {"email": "@"}), 400, "invalid_input")

    assert "email" in problem["errors"]
    assert Member.objects.get(pk=card.member_id).email == ""


def test_another_programs_member_is_not_found(api, card, other):
    foreign = other.card.member_id

    assert_problem(api.get(f"/members/{foreign}/"), 404, "unknown_member")
    assert_problem(api.patch(f"/members/{foreign}/", {"first_name": "Hacked"}), 404, "unknown_member")
    assert Member.objects.get(pk=foreign).first_name == "Petro"
    assert_problem(api.get("/members/999999999999999999/"), 404, "unknown_member")
    assert_problem(api.get("/members/9999999999999999999999/"), 404, "not_found")
