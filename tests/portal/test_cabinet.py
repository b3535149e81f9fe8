"""The cabinet as a signed-in member reads it: the balance in money first, the tier, the stamps, the history with
reasons, the card for the till, the profile and channel preferences, a lost card replaced."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import ConsentKind, ConsentRecord
from programs import clock
from programs.choices import DowngradePolicy, StampBasis
from programs.factories import TierFactory
from programs.models import Card
from programs.services.cards import card_block
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import Actor
from tests.portal.conftest import sign_in
from tests.programs.admin_support import page_text, soup

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def anna(alpha, visitor):
    """Anna (65 points: 50 cashback, 15 promo expiring in 30 days), signed in."""
    ConsentRecord.objects.create(program=alpha.program, member=alpha.member, kind=ConsentKind.TERMS, granted=True)
    sign_in(visitor, "+380501000001")
    return alpha


def test_the_balance_comes_first_in_money_with_cashback_promo_and_expiry(anna, visitor):
    page = page_text(visitor.get("/account/"))
    assert page.index("₴65") < page.index("Your tier")
    assert "65 points" in page and "Cashback 50" in page and "Promo bonuses 15" in page
    assert "Expiring soon 15 points (₴15)" in page
    assert "You can pay up to ₴65 of your next check with points (at most 50 % of a check)." in page


def test_money_and_dates_follow_the_customers_language(anna, visitor):
    visitor.cookies["kartka_language"] = "uk"
    response = visitor.get("/account/")
    assert response["Content-Language"] == "uk"
    html = soup(response)
    assert html.html["lang"] == "uk"
    assert "65\xa0₴" in html.select_one(".k-balance__money").get_text()


def test_the_language_switcher_keeps_the_page_and_works_without_javascript(anna, visitor):
    response = visitor.post("/account/language/", {"language": "ru", "next": "/account/history/"})
    assert response["Location"] == "/account/history/"
    assert visitor.get("/account/history/")["Content-Language"] == "ru"
    response = visitor.post("/account/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/account/"


def test_tier_progress_with_what_the_next_tier_unlocks_and_the_downgrade_date(anna, visitor):
    program = anna.program
    TierFactory(program=program, name="Alpha Gold", threshold=D(1000), cashback_percent=D(7))
    program.downgrade_policy = DowngradePolicy.GRACE
    program.downgrade_grace_days = 30
    program.save()
    purchase_record(card=anna.card, store=anna.store, receipt_id="R-1", total=D(250))
    page = page_text(visitor.get("/account/"))
    assert "Your tier: Alpha Silver" in page
    assert "Spend ₴750 more to reach Alpha Gold." in page
    assert "7 % back in points" in page
    progress = soup(visitor.get("/account/")).select_one("[role=progressbar]")
    assert progress["aria-valuenow"] == "25"
    member = anna.member
    member.tier = program.tiers.get(name="Alpha Gold")
    member.tier_below_since = clock.now()
    member.save()
    page = page_text(visitor.get("/account/"))
    due = (clock.now() + timedelta(days=30)).strftime("%-d")
    assert "without more purchases you move to Alpha Silver on" in page and due in page


def test_a_stamp_card_shows_its_grid_and_the_rewards_ready(anna, visitor):
    stamps = anna.stamp_type
    stamps.is_active, stamps.stamp_goal, stamps.stamp_basis = True, 3, StampBasis.PURCHASE
    stamps.reward_description = "A free coffee"
    stamps.save()
    from programs.services.cards import card_issue

    coffee = card_issue(member=anna.member, card_type=stamps)
    for number in range(4):
        purchase_record(card=coffee, store=anna.store, receipt_id=f"C-{number}", total=D(60))
    html = soup(visitor.get("/account/"))
    grid = html.select_one(".k-stamps--cabinet")
    assert len(grid.select(".k-stamp--filled")) == 1 and len(grid.select(".k-stamp:not(.k-stamp--reward)")) == 3
    assert "1 reward ready: A free coffee." in page_text(visitor.get("/account/"))


def test_history_says_why_with_filters_and_pages(anna, visitor):
    result = purchase_record(card=anna.card, store=anna.store, receipt_id="R-77", total=D(400), redeem_points=D(20))
    purchase_refund(purchase=result.purchase, refund_id="RF-1", amount=D(100))
    page = page_text(visitor.get("/account/history/"))
    assert "Purchase, receipt R-77 · Alpha Main Street" in page
    assert "Paid with points, receipt R-77 · Alpha Main Street" in page
    assert "Taken back: refund RF-1 of receipt R-77" in page
    assert "Correction by the program: alpha goodwill" in page
    assert "owner-alpha" not in page  # staff are not named to customers
    earned = page_text(visitor.get("/account/history/?show=earned"))
    spent = page_text(visitor.get("/account/history/?show=spent"))
    assert "Paid with points" not in earned and "Paid with points" in spent
    assert "alpha goodwill" in earned and "alpha goodwill" not in spent
    for number in range(25):
        purchase_record(card=anna.card, store=anna.store, receipt_id=f"P-{number}", total=D(100))
    first = page_text(visitor.get("/account/history/"))
    assert "Page 1 of 2" in first and "receipt P-24" in first and "receipt P-0 " not in first
    assert "receipt R-77" in page_text(visitor.get("/account/history/?page=2"))


def test_history_says_which_reward_was_used_and_what_a_refund_left_owing(anna, visitor):
    from programs.pricing import Line
    from programs.services.cards import card_issue

    stamps = anna.stamp_type
    stamps.is_active, stamps.stamp_categories = True, "coffee"
    stamps.save(update_fields=["is_active", "stamp_categories"])
    card = card_issue(member=anna.member, card_type=stamps)
    coffees = [Line(amount=D(450), quantity=D(9), category="coffee")]
    earning = purchase_record(card=card, store=anna.store, receipt_id="C-1", lines=coffees).purchase
    free = [Line(amount=D(0), category="coffee")]
    purchase_record(card=card, store=anna.store, receipt_id="C-2", lines=free, redeem_reward=True)
    purchase_refund(purchase=earning, refund_id="RF-9")

    html = soup(visitor.get("/account/history/"))
    rows = [" ".join(item.get_text(" ").split()) for item in html.select(".k-history__item")]

    used = next(row for row in rows if row.startswith("Reward used"))
    owed = next(row for row in rows if row.startswith("Owed after refund RF-9 of receipt C-1"))
    assert "A free coffee" in used and "Alpha Main Street" in used and "0" not in used.split("·")[-1]
    assert owed.endswith("9 stamps owed")


def test_the_card_screen_has_the_qr_code_the_barcode_and_the_number(anna, visitor):
    html = soup(visitor.get("/account/card/"))
    assert html.select_one(".k-show-card svg.k-qr") and html.select_one(".k-show-card svg.k-barcode")
    assert html.select_one(".k-show-card__number").get_text() == anna.card.number
    assert "brightness" in html.get_text()
    assert html.select_one('link[rel="manifest"]')["href"] == "/account/manifest.webmanifest"


def test_the_installable_app_answers_on_the_portal_host(anna, visitor):
    manifest = visitor.get("/account/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.json()["start_url"] == "/account/card/"
    assert visitor.get("/account/icon-192.png")["Content-Type"] == "image/png"
    worker = visitor.get("/account/sw.js")
    assert worker["Service-Worker-Allowed"] == "/account/"


def test_cabinet_pages_are_private_and_need_a_session(anna, visitor):
    assert visitor.get("/account/")["Cache-Control"] == "private, no-store"
    visitor.post("/account/sign-out/")
    for path in ("/account/", "/account/card/", "/account/history/", "/account/profile/"):
        response = visitor.get(path)
        assert response.status_code == 302 and response["Location"] == "/account/sign-in/"


def test_profile_is_saved_and_the_birthday_is_set_once(anna, visitor):
    response = visitor.post(
        "/account/profile/",
        {
            "form": "profile",
            "first_name": "Anna",
            "last_name": "Koval",
            "email": "anna@example.com",
            "birth_date": "1990-05-17",
            "gender": "f",
        },
    )
    assert response["Location"] == "/account/profile/?saved=profile"
    member = anna.member
    member.refresh_from_db()
    assert (member.last_name, member.email, str(member.birth_date)) == ("Koval", "anna@example.com", "1990-05-17")
    visitor.post("/account/profile/", {"form": "profile", "first_name": "Anna", "birth_date": "2001-01-01"})
    member.refresh_from_db()
    assert str(member.birth_date) == "1990-05-17"
    assert soup(visitor.get("/account/profile/")).select_one("#id_birth_date").has_attr("disabled")


def test_a_bad_email_is_a_form_error_in_the_customers_language(anna, visitor):
    visitor.cookies["kartka_language"] = "uk"
    response = visitor.post("/account/profile/", {"form": "profile", "email": "not-an-email"})
    assert response.status_code == 400
    assert soup(response).select_one(".k-field__error")


def test_channel_preferences_are_recorded_with_their_time(anna, visitor):
    response = visitor.post("/account/profile/", {"form": "channels", "channels-sms": "on", "channels-telegram": "on"})
    assert response["Location"] == "/account/profile/?saved=channels"
    member = anna.member
    member.refresh_from_db()
    assert (member.consent_email, member.consent_sms, member.consent_push, member.consent_telegram) == (
        False,
        True,
        False,
        True,
    )
    records = {
        record.kind: record.granted for record in ConsentRecord.objects.filter(member=member).exclude(kind="terms")
    }
    assert records == {"sms": True, "telegram": True}
    assert "set on" in page_text(visitor.get("/account/profile/"))


def test_a_lost_card_is_replaced_and_the_balance_moves(anna, visitor):
    old = anna.card
    response = visitor.post(f"/account/card/{old.pk}/replace/")
    assert response.status_code == 400  # not confirmed
    response = visitor.post(f"/account/card/{old.pk}/replace/", {"confirm": "yes"})
    assert response["Location"] == "/account/card/?replaced=1"
    old.refresh_from_db()
    new = Card.objects.get(replaces=old)
    assert old.status == "replaced" and new.points_balance == D(65)
    assert new.number in page_text(visitor.get("/account/card/?replaced=1"))
    assert "₴65" in page_text(visitor.get("/account/"))


def test_a_blocked_card_says_so(anna, visitor):
    card_block(card=anna.card, reason="fraud check", actor=Actor.system("test"))
    assert "This card is blocked" in page_text(visitor.get("/account/"))


def test_the_cabinet_home_takes_few_queries(anna, visitor):
    visitor.get("/account/")  # warms the site entry, the theme tokens, the rule snapshot and the offers
    with CaptureQueriesContext(connection) as queries:
        assert visitor.get("/account/").status_code == 200
    assert len(queries) == 3, [query["sql"] for query in queries]  # session with member and program; cards; lots
    assert not any("programs_cardtype" in query["sql"] for query in queries)  # from the engine's rule snapshot


def test_a_renamed_card_type_shows_at_once(anna, visitor):
    visitor.get("/account/")
    card_type = anna.card_type
    card_type.name = "Alpha Gold Card"
    card_type.save()  # bumps the program's config version: the snapshot is read again
    assert "Alpha Gold Card" in page_text(visitor.get("/account/"))
