"""What a stranger, a script or a careless phone can't do: guess codes, pump SMS, reuse or plant sessions, reach
another member's card or another program's account. And no phone number or code in any log."""

import logging
from datetime import timedelta

import pytest
from django.test import Client

from portal import delivery
from portal.models import ConsentKind, ConsentRecord, MemberSession, OneTimeCode
from programs import clock
from programs.services.members import member_create
from tests.portal.conftest import HOST, ask_code, last_code, sign_in
from tests.programs.admin_support import page_text

pytestmark = pytest.mark.django_db


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_then_even_the_right_one_is_refused(alpha, visitor):
    ask_code(visitor, "+380501000001")
    code = last_code()
    for left in (4, 3, 2, 1):
        response = visitor.post("/account/code/", {"code": wrong(code)})
        assert response.status_code == 400
        expected = f"Wrong code. {left} tries left." if left > 1 else "Wrong code. 1 try left."
        assert expected in page_text(response)
    response = visitor.post("/account/code/", {"code": wrong(code)})
    assert "Too many wrong codes. Ask for a new one." in page_text(response)
    response = visitor.post("/account/code/", {"code": code})  # the 6th try, right this time
    assert response.status_code == 400
    assert "Too many wrong codes. Ask for a new one." in page_text(response)
    assert not MemberSession.objects.exists()
    assert OneTimeCode.objects.get().attempts == 5


def test_an_expired_code_is_refused(alpha, visitor):
    ask_code(visitor, "+380501000001")
    code = last_code()
    with clock.travel(clock.now() + timedelta(minutes=5, seconds=1)):
        response = visitor.post("/account/code/", {"code": code})
    assert "The code has expired. Ask for a new one." in page_text(response)
    assert not MemberSession.objects.exists()


def test_resend_waits_60_seconds_then_twice_as_long_each_time(alpha, visitor):
    start = clock.now()
    with clock.travel(start):
        ask_code(visitor, "+380501000001")
        first = last_code()
        response = visitor.post("/account/code/", {"action": "resend"})
        assert response.status_code == 400
        assert "You can ask for a new one in 60 seconds." in page_text(response)
    with clock.travel(start + timedelta(seconds=61)):
        response = visitor.post("/account/code/", {"action": "resend"})
        assert response.status_code == 302
        second = last_code()
    with clock.travel(start + timedelta(seconds=61 + 90)):
        response = visitor.post("/account/code/", {"action": "resend"})
        assert "You can ask for a new one in 30 seconds." in page_text(response)
    with clock.travel(start + timedelta(seconds=61 + 121)):
        assert visitor.post("/account/code/", {"action": "resend"}).status_code == 302
    assert len(delivery.sent) == 3
    # Only the newest code counts.
    newest = last_code()
    with clock.travel(start + timedelta(seconds=61 + 122)):
        for old in {first, second} - {newest}:
            assert visitor.post("/account/code/", {"code": old}).status_code == 400
        assert visitor.post("/account/code/", {"code": newest})["Location"] == "/account/welcome/"


def test_at_most_five_codes_an_hour_to_one_number(alpha, settings):
    settings.KARTKA_PORTAL_RESEND_SECONDS = 0
    start = clock.now()
    for minute in range(5):
        with clock.travel(start + timedelta(minutes=minute)):
            assert (
                ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR=f"203.0.113.{minute}"), "+380501000001").status_code == 302
            )
    with clock.travel(start + timedelta(minutes=10)):
        response = ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR="203.0.113.99"), "+380501000001")
    assert response.status_code == 400
    assert "Too many codes were sent to this number. Try again in 50 minutes." in page_text(response)
    assert len(delivery.sent) == 5
    with clock.travel(start + timedelta(minutes=61)):
        assert ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR="203.0.113.99"), "+380501000001").status_code == 302


def test_one_ip_address_asks_at_most_twenty_codes_an_hour(alpha, settings):
    settings.KARTKA_PORTAL_LIMIT_IP = 3
    for number in range(3):
        assert ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.1"), f"+38067100000{number}").status_code == 302
    response = ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.1"), "+380671000009")
    assert "Too many codes were asked for from your network." in page_text(response)
    # Behind a proxy, the client's address is read from X-Forwarded-For.
    settings.KARTKA_TRUSTED_PROXIES = 1
    proxied = Client(HTTP_HOST=HOST, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert ask_code(proxied, "+380671000009").status_code == 302
    assert OneTimeCode.objects.filter(ip="198.51.100.2").count() == 1


def test_a_number_range_is_limited_across_addresses(alpha, settings):
    settings.KARTKA_PORTAL_LIMIT_PREFIX = 2
    for number in range(2):
        assert (
            ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR=f"192.0.2.{number}"), f"+38067200000{number}").status_code
            == 302
        )
    response = ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR="192.0.2.50"), "+380672000005")
    assert "We are sending too many codes to numbers like this one." in page_text(response)
    assert ask_code(Client(HTTP_HOST=HOST, REMOTE_ADDR="192.0.2.51"), "+380931000005").status_code == 302


def test_wrong_codes_from_one_address_are_limited_across_codes(alpha, settings):
    settings.KARTKA_PORTAL_LIMIT_IP_FAILURES = 3
    settings.KARTKA_PORTAL_RESEND_SECONDS = 0
    visitor = Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.9")
    for number in range(3):
        ask_code(visitor, f"+38050300000{number}")
        visitor.post("/account/code/", {"code": wrong(last_code())})
    ask_code(visitor, "+380503000009")
    response = visitor.post("/account/code/", {"code": last_code()})
    assert "Too many wrong codes from your network." in page_text(response)


def test_unknown_card_numbers_from_one_address_are_limited(alpha, settings):
    settings.KARTKA_PORTAL_LIMIT_IP_CARDS = 2
    visitor = Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.77")
    for number in ("1111", "2222"):
        assert visitor.post("/account/sign-in/card/", {"number": number}).status_code == 400
    response = visitor.post("/account/sign-in/card/", {"number": alpha.card.number})
    assert "Too many unknown card numbers" in page_text(response)
    assert not delivery.sent


def test_the_session_key_is_new_at_sign_in_and_a_planted_one_is_worthless(alpha, visitor):
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    visitor.cookies["kartka_member"] = "planted-by-an-attacker"
    sign_in(visitor, "+380501000001")
    key = visitor.cookies["kartka_member"].value
    assert key != "planted-by-an-attacker" and len(key) >= 40
    assert visitor.cookies["kartka_member"]["httponly"]
    attacker = Client(HTTP_HOST=HOST)
    attacker.cookies["kartka_member"] = "planted-by-an-attacker"
    assert attacker.get("/account/").status_code == 302


def test_a_signed_in_browser_signs_in_again_only_after_signing_out(alpha, visitor, settings):
    settings.KARTKA_PORTAL_RESEND_SECONDS = 0
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    sign_in(visitor, "+380501000001")
    first = visitor.cookies["kartka_member"].value
    assert visitor.get("/account/sign-in/")["Location"] == "/account/"
    visitor.post("/account/sign-out/")
    with clock.travel(clock.now() + timedelta(minutes=3)):
        sign_in(visitor, "+380501000001")
    second = visitor.cookies["kartka_member"].value
    assert first != second
    old = Client(HTTP_HOST=HOST)
    old.cookies["kartka_member"] = first
    assert old.get("/account/").status_code == 302


def test_another_programs_session_is_not_valid_here(alpha, beta):
    ConsentRecord.objects.create(program=beta.program, member=beta.member, kind=ConsentKind.TERMS, granted=True)
    at_beta = Client(HTTP_HOST="beta.localhost")
    sign_in(at_beta, "+380672000002")
    assert at_beta.get("/account/").status_code == 200
    at_alpha = Client(HTTP_HOST=HOST)
    at_alpha.cookies["kartka_member"] = at_beta.cookies["kartka_member"].value
    response = at_alpha.get("/account/")
    assert response.status_code == 302 and response["Location"] == "/account/sign-in/"


def test_another_members_card_is_never_reachable(alpha, visitor):
    stranger = member_create(program=alpha.program, phone="+380501112299")
    their_card = stranger.cards.get()
    sign_in(visitor, "+380671234500")
    assert visitor.get(f"/account/card/{their_card.pk}/replace/").status_code == 404
    assert visitor.post(f"/account/card/{their_card.pk}/replace/", {"confirm": "yes"}).status_code == 404
    assert their_card.number not in visitor.get("/account/card/").content.decode()
    assert their_card.number not in visitor.get("/account/history/").content.decode()
    their_card.refresh_from_db()
    assert their_card.status == "active"


def test_no_account_pages_on_a_host_that_is_no_portal(alpha):
    assert Client(HTTP_HOST="localhost").get("/account/sign-in/").status_code == 404


def test_every_form_needs_the_csrf_token(alpha):
    strict = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    assert strict.post("/account/sign-in/", {"phone": "+380501000001"}).status_code == 403
    page = strict.get("/account/sign-in/")
    token = page.cookies["csrftoken"].value
    response = strict.post("/account/sign-in/", {"phone": "+380501000001", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_sign_out_and_sign_out_everywhere(alpha, settings):
    settings.KARTKA_PORTAL_RESEND_SECONDS = 0
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    phone, laptop = Client(HTTP_HOST=HOST), Client(HTTP_HOST=HOST, REMOTE_ADDR="192.0.2.8")
    sign_in(phone, "+380501000001")
    with clock.travel(clock.now() + timedelta(minutes=2)):
        sign_in(laptop, "+380501000001")
    response = phone.post("/account/sign-out/")
    assert response.status_code == 302 and "cache" in response["Clear-Site-Data"]
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 200
    response = laptop.post("/account/sign-out/everywhere/")
    assert laptop.get("/account/").status_code == 302
    assert not MemberSession.objects.filter(member=alpha.member, revoked_at__isnull=True).exists()


def test_a_session_lasts_months_on_a_phone_and_slides(alpha, visitor):
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    sign_in(visitor, "+380501000001")
    assert visitor.cookies["kartka_member"]["max-age"] == 180 * 24 * 3600
    with clock.travel(clock.now() + timedelta(days=170)):
        assert visitor.get("/account/").status_code == 200
    with clock.travel(clock.now() + timedelta(days=300)):
        assert visitor.get("/account/").status_code == 200
    with clock.travel(clock.now() + timedelta(days=700)):
        assert visitor.get("/account/").status_code == 302


def test_no_phone_or_code_in_any_log(alpha, visitor, caplog):
    caplog.set_level(logging.DEBUG)
    ask_code(visitor, "+380501000001")
    code = last_code()
    visitor.post("/account/code/", {"code": wrong(code)})
    visitor.post("/account/code/", {"code": code})
    visitor.post("/account/welcome/", {"accept_terms": "on"})
    visitor.post("/account/sign-in/card/", {"number": "0000"})
    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("380501000001", "0501000001", code, alpha.card.number):
        assert secret not in text
