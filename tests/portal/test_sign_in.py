"""The seven ways in, over HTTP, as a customer's visitor goes through them. Each ends with the right member holding
the right card, and none makes a second member for a phone."""

import pytest

from portal import delivery
from portal.models import ConsentKind, ConsentRecord, MemberSession, OneTimeCode
from programs.choices import CardStatus
from programs.factories import CardTypeFactory
from programs.models import Card, Member
from programs.services.cards import card_issue
from programs.services.members import member_create
from tests.portal.conftest import ask_code, last_code, sign_in
from tests.programs.admin_support import page_text

pytestmark = pytest.mark.django_db


def signed_in_member(visitor) -> Member:
    response = visitor.get("/account/")
    assert response.status_code == 200, response.get("Location")
    return response.wsgi_request.portal.member


def test_1_existing_customer_signs_in_by_phone(alpha, visitor):
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    response = sign_in(visitor, "050 100 00 01", accept_terms=False)
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert signed_in_member(visitor) == alpha.member
    assert Member.objects.filter(program=alpha.program).count() == 1


def test_2_new_customer_registers_by_phone_and_gets_a_virtual_card(alpha, visitor):
    response = sign_in(visitor, "+380 67 555 12 34", first_name="Olha")
    assert response["Location"] == "/account/"
    member = signed_in_member(visitor)
    assert str(member.phone) == "+380675551234" and member.first_name == "Olha"
    card = member.cards.get()
    assert card.card_type == alpha.card_type and card.status == CardStatus.ACTIVE
    consent = ConsentRecord.objects.get(member=member, kind=ConsentKind.TERMS)
    assert consent.granted and consent.page_url == "/#how"
    page = page_text(visitor.get("/account/"))
    assert "Hello, Olha!" in page and alpha.card_type.name in page


def test_3_plastic_card_from_the_till_first_portal_sign_in_by_phone(alpha, visitor):
    plastic = CardTypeFactory(program=alpha.program, name="Plastic", cashback_percent=3)
    member = member_create(program=alpha.program, phone="+380931112233", card_types=[])
    card_issue(member=member, card_type=plastic, number="4000123412341234")
    response = ask_code(visitor, "093 111 22 33")
    response = visitor.post("/account/code/", {"code": last_code("+380931112233")})
    assert response["Location"] == "/account/welcome/"
    assert "We found your card" in page_text(visitor.get("/account/welcome/"))
    response = visitor.post("/account/welcome/", {"accept_terms": "on"})
    assert response["Location"] == "/account/"
    assert signed_in_member(visitor) == member
    assert "4000123412341234" in visitor.get("/account/card/").content.decode()
    assert Member.objects.filter(program=alpha.program, phone="+380931112233").count() == 1


def test_4_new_customer_without_a_card_gets_one_of_each_active_card_type(alpha, visitor):
    second = CardTypeFactory(program=alpha.program, name="Discount", discount=True, discount_percent=5)
    sign_in(visitor, "+380991234567")
    member = signed_in_member(visitor)
    assert set(member.cards.values_list("card_type", flat=True)) == {alpha.card_type.pk, second.pk}


def test_5_existing_customer_signs_in_by_card_number(alpha, visitor):
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    number = alpha.card.number
    response = visitor.post("/account/sign-in/card/", {"number": f"{number[:4]} {number[4:8]} {number[8:]}"})
    assert response["Location"] == "/account/code/"
    assert delivery.sent[-1][0].phone == "+380501000001"
    page = visitor.get("/account/code/").content.decode()
    assert "•• 01" in page and "+380501000001" not in page
    response = visitor.post("/account/code/", {"code": last_code()})
    assert response["Location"] == "/account/"
    assert signed_in_member(visitor) == alpha.member


def test_6_visitor_takes_over_a_card_found_in_the_database_by_confirming_its_phone(alpha, visitor):
    response = visitor.post("/account/sign-in/card/", {"number": f"KARTKA:{alpha.card.number}"})
    assert response["Location"] == "/account/code/"
    response = visitor.post("/account/code/", {"code": last_code("+380501000001")})
    assert response["Location"] == "/account/welcome/"
    response = visitor.post("/account/welcome/", {"accept_terms": "on"})
    assert signed_in_member(visitor) == alpha.member
    assert ConsentRecord.objects.filter(member=alpha.member, kind=ConsentKind.TERMS).count() == 1


def test_7_visitor_without_a_card_registers_from_the_card_entry_point(alpha, visitor):
    response = visitor.post("/account/sign-in/card/", {"number": "9999 0000 1111"})
    assert response.status_code == 400
    assert "We can't find a card with this number" in page_text(response)
    assert 'href="/account/sign-in/"' in response.content.decode()
    assert not delivery.sent
    sign_in(visitor, "+380661234567")
    member = signed_in_member(visitor)
    assert member.cards.count() == 1 and Member.objects.filter(program=alpha.program).count() == 2


def test_a_phone_that_signed_up_meanwhile_at_the_till_is_the_same_member(alpha, visitor):
    ask_code(visitor, "+380681234567")
    visitor.post("/account/code/", {"code": last_code()})
    # While the customer reads the terms, a cashier enrols the same phone.
    member = member_create(program=alpha.program, phone="+380681234567")
    visitor.post("/account/welcome/", {"accept_terms": "on"})
    assert signed_in_member(visitor) == member
    assert Member.objects.filter(program=alpha.program, phone="+380681234567").count() == 1
    assert Card.objects.filter(member=member).count() == 1


def test_the_answer_is_the_same_for_a_registered_and_an_unknown_phone(alpha, visitor):
    known = ask_code(visitor, "+380501000001")
    unknown = ask_code(visitor, "+380501000002")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/account/code/"
    known_page = visitor.get("/account/code/").content.decode().replace("01", "XX")
    assert len(delivery.sent) == 2
    assert "welcome" not in known_page.lower()


def test_terms_must_be_accepted_to_join(alpha, visitor):
    sign_in(visitor, "+380671110000", accept_terms=False)
    response = visitor.post("/account/welcome/", {"first_name": "Ivan"})
    assert response.status_code == 400
    assert "Please accept the program's terms to continue." in page_text(response)
    assert not Member.objects.filter(phone="+380671110000").exists()
    assert visitor.get("/account/").status_code == 302


def test_an_invalid_phone_is_refused_in_the_customers_language(alpha, visitor):
    visitor.cookies["kartka_language"] = "uk"
    response = visitor.post("/account/sign-in/", {"phone": "12345"})
    assert response.status_code == 400
    assert response["Content-Language"] == "uk"
    assert not OneTimeCode.objects.exists()


def test_the_code_is_bound_to_the_browser_that_asked(alpha, visitor, client):
    ask_code(visitor, "+380501000001")
    other = type(visitor)(HTTP_HOST="alpha.localhost")
    response = other.post("/account/code/", {"code": last_code()})
    assert response.status_code == 302 and response["Location"] == "/account/sign-in/"
    assert not MemberSession.objects.exists()


def test_the_code_is_stored_hashed(alpha, visitor):
    ask_code(visitor, "+380501000001")
    row = OneTimeCode.objects.get()
    assert last_code() not in row.code_hash and len(row.code_hash) == 64
    assert row.expires_at - row.created_at == __import__("datetime").timedelta(minutes=5)
