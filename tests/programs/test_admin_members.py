"""Members in the admin over HTTP: search, the member's page (balances by bucket, tier progress, ledger with
reasons), staff actions through the card services, enrolment and profile edits through the member services,
and the audit log. Query counts are pinned so the pages stay flat as data grows."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.users.models import UserProfile

from programs import clock
from programs.choices import Bucket, CardStatus, EntryKind, RuleKind
from programs.factories import CardTypeFactory, EarningRuleFactory, TierFactory, UserFactory
from programs.models import AuditEvent, Card, LedgerEntry, Member
from programs.pricing import Line
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust, card_block
from programs.services.members import member_create
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import SYSTEM, Actor
from tenancy.services import business_staff_add
from tests.programs.admin_support import D, admin_url, field_errors, form_errors, page_text, soup, warm_get
from tests.programs.invariants import assert_ledger_consistent
from tests.test_translations import compiled_catalogs  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(program):
    user = UserFactory(username="olena")
    business_staff_add(business=program.business, user=user)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def welcome_rule(program):
    return EarningRuleFactory(
        program=program, name="Welcome bonus", kind=RuleKind.REGISTRATION, bonus_points=D(10), multiplier=D(1)
    )


@pytest.fixture
def olena(program, cashback_type, welcome_rule):
    return member_create(
        program=program, phone="+380501234567", first_name="Olena", last_name="Shevchenko", card_types=[cashback_type]
    )


@pytest.fixture
def card(olena, owner):
    card = olena.cards.get()
    card_adjust(card=card, amount=D(40), reason="Lost receipt goodwill", actor=Actor.staff(owner))
    card_adjust(
        card=card,
        amount=D(15),
        reason="Autumn promo",
        actor=Actor.staff(owner),
        bucket=Bucket.PROMO,
        expires_at=clock.now() + timedelta(days=30),
    )
    card.refresh_from_db()
    return card


def detail_url(member, **query):
    url = admin_url("loyalty_members:detail", member.pk)
    return url + ("?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else "")


def card_row(response, card):
    row = soup(response).select_one(f'tr[data-card="{card.number}"]')
    assert row is not None, f"card {card.number} is not on the page"
    return {
        name: " ".join(row.select_one(f"[data-{name}]").get_text(" ").split())
        for name in ("status", "cashback", "promo", "next-expiry", "stamps", "rewards")
    }


def ledger_rows(response):
    return [
        [" ".join(cell.get_text(" ").split()) for cell in row.select("td")]
        for row in soup(response).select("table[data-ledger] tbody tr")
    ]


def action_url(name, card):
    return admin_url(f"loyalty_members:{name}", card.member_id, card.pk)


def snapshot(card):
    card.refresh_from_db()
    return (
        card.points_balance,
        card.stamps_balance,
        card.status,
        LedgerEntry.objects.filter(card=card).count(),
        AuditEvent.objects.count(),
    )


# --- Search --------------------------------------------------------------------------------------------------


@pytest.fixture
def members(program, cashback_type, olena):
    taras = member_create(
        program=program, phone="+380671112233", first_name="Taras", last_name="Bondar", card_types=[cashback_type]
    )
    return olena, taras


def listed_names(response):
    return [" ".join(link.get_text(" ").split()) for link in soup(response).select("table.listing tbody td a")]


def test_member_list_shows_the_programs_members(owner_client, members):
    response = owner_client.get(admin_url("loyalty_members:index"))

    assert set(listed_names(response)) == {"Olena Shevchenko", "Taras Bondar"}
    assert "+380501234567" in page_text(response)


@pytest.mark.parametrize(
    "query",
    ["050 123 45", "0501234567", "+38 (050) 123-45-67", "shevch", "OLENA"],
)
def test_member_search_by_phone_digits_and_name(owner_client, members, query):
    response = owner_client.get(admin_url("loyalty_members:index"), {"q": query})

    assert listed_names(response) == ["Olena Shevchenko"]


def test_member_search_by_card_number(owner_client, members):
    _olena, taras = members
    number = taras.cards.get().number

    response = owner_client.get(admin_url("loyalty_members:index"), {"q": number})

    assert listed_names(response) == ["Taras Bondar"]


def test_member_search_with_no_match_says_so(owner_client, members):
    response = owner_client.get(admin_url("loyalty_members:index"), {"q": "Zzyzx"})

    assert listed_names(response) == []
    assert "No members match your query" in page_text(response)


# --- The member's page ---------------------------------------------------------------------------------------


def test_member_page_splits_cashback_and_promo_with_the_next_expiry(owner_client, olena, card):
    response = owner_client.get(detail_url(olena))

    row = card_row(response, card)
    assert row["cashback"] == "50.00"  # 10 welcome bonus + 40 goodwill
    assert row["promo"] == "15.00"
    assert row["next-expiry"].startswith("15.00 on ")
    assert row["status"] == "Active"
    text = page_text(response)
    assert "Olena Shevchenko" in text
    assert "+380501234567" in text


def test_member_page_shows_the_ledger_with_reasons(owner_client, olena, card):
    response = owner_client.get(detail_url(olena))

    rows = ledger_rows(response)
    # newest first: time, entry, amount, bucket, balance after, reason, expires
    assert [row[1:6] for row in rows] == [
        ["Staff adjustment", "+15 points", "Promo", "65.00", "Autumn promo · by olena"],
        ["Staff adjustment", "+40 points", "Cashback", "50.00", "Lost receipt goodwill · by olena"],
        ["Accrual", "+10 points", "Cashback", "10.00", "rule “Welcome bonus”"],
    ]
    assert rows[0][6] != "—"  # the promo lot's expiry is shown
    assert rows[1][6] == "—"


def test_member_page_shows_tier_and_progress(owner_client, program, cashback_type, welcome_rule):
    TierFactory(program=program, name="Standard", threshold=D(0))
    TierFactory(program=program, name="Gold", threshold=D(1000))
    member = member_create(program=program, phone="+380509998877", card_types=[cashback_type])
    Member.objects.filter(pk=member.pk).update(lifetime_spend=D(250))

    response = owner_client.get(detail_url(member))

    page = soup(response)
    assert "Current tier: Standard" in page.select_one("[data-tier]").get_text()
    assert " ".join(page.select_one("[data-tier-progress]").get_text().split()) == (
        "₴750.00 left to Gold (25 % of the way)"
    )


def test_member_tier_progress_is_worded_in_the_staff_users_language(owner_client, owner, program, cashback_type):
    TierFactory(program=program, name="Standard", threshold=D(0))
    TierFactory(program=program, name="Gold", threshold=D(20000))
    member = member_create(program=program, phone="+380509998878", card_types=[cashback_type])
    Member.objects.filter(pk=member.pk).update(lifetime_spend=D(50))

    profile = UserProfile.get_for_user(owner)
    profile.preferred_language = "ru"
    profile.save()

    response = owner_client.get(detail_url(member))

    text = soup(response).select_one("[data-tier-progress]").get_text().strip()
    assert "19\u00a0950,00\u00a0₴" in text  # not "19950.00"
    assert "Gold" in text
    assert "1 %" in text  # a quarter of a per cent is on the way, not 0


def test_member_page_shows_stamps_and_rewards(owner_client, program, owner):
    stamps = CardTypeFactory(program=program, name="Coffee", stamps=True)
    member = member_create(program=program, phone="+380505550000", card_types=[stamps])
    card = member.cards.get()
    card_adjust(card=card, amount=D(4), unit="stamps", reason="Paper card carried over", actor=Actor.staff(owner))

    row = card_row(owner_client.get(detail_url(member)), card)

    assert row["stamps"] == "4 / 9"
    assert row["rewards"] == "0"


def test_member_page_shows_a_refund_debt_and_what_settles_it(owner_client, program, store):
    stamps = CardTypeFactory(program=program, name="Coffee", stamps=True, stamp_goal=5, stamp_basis="item")
    member = member_create(program=program, phone="+380505550001", card_types=[stamps])
    card = member.cards.get()
    coffee = [Line(amount=D(250), quantity=D(5), category="coffee")]
    earning = purchase_record(card=card, store=store, receipt_id="R-1", lines=coffee)
    free = [Line(amount=D(0), category="coffee")]
    purchase_record(card=card, store=store, receipt_id="R-2", lines=free, redeem_reward=True)
    purchase_refund(purchase=earning.purchase, refund_id="RF-1")  # the reward is used: 5 stamps owed

    response = owner_client.get(detail_url(member))

    debt = soup(response).select_one(f'tr[data-card="{card.number}"] [data-debt="stamps"]')
    assert " ".join(debt.get_text().split()) == "Owes 5 stamps from refunds"
    rows = ledger_rows(response)
    assert rows[0][1:3] == ["Refund debt", "debt +5 stamps"]
    assert rows[0][5].startswith("receipt R-1 (") and rows[0][5].endswith(" · refund RF-1")

    purchase_record(card=card, store=store, receipt_id="R-3", lines=coffee[:1])
    rows = ledger_rows(owner_client.get(detail_url(member)))
    assert rows[0][1:3] == ["Refund debt settled", "-5 stamps debt -5 stamps"]
    assert rows[0][5].endswith(" · Settles refund RF-1 of receipt R-1")


def test_ledger_is_paginated(owner_client, olena, card, owner):
    for index in range(25):
        card_adjust(card=card, amount=D(1), reason=f"bulk {index}", actor=Actor.staff(owner))

    first = owner_client.get(detail_url(olena))
    second = owner_client.get(detail_url(olena, card=card.pk, p=2))

    assert len(ledger_rows(first)) == 20
    assert "Page 1 of 2" in page_text(first)
    assert ledger_rows(first)[0][5] == "bulk 24 · by olena"
    assert len(ledger_rows(second)) == 8  # 28 entries in all
    assert ledger_rows(second)[-1][5] == "rule “Welcome bonus”"


def test_a_card_of_another_member_is_not_found(owner_client, olena, card, program, cashback_type):
    other = member_create(program=program, phone="+380501110000", card_types=[cashback_type])

    assert owner_client.get(detail_url(other, card=card.pk)).status_code == 404
    assert owner_client.get(admin_url("loyalty_members:card_block", other.pk, card.pk)).status_code == 404


# --- Staff actions -------------------------------------------------------------------------------------------


def test_adjusting_points_adds_a_ledger_entry_and_an_audit_row(owner_client, owner, olena, card):
    response = owner_client.post(
        action_url("card_adjust", card),
        {"amount": "25", "unit": "points", "bucket": "cashback", "expires_at": "", "reason": "Birthday cake"},
        follow=True,
    )

    assert "Balance of card" in page_text(response)
    card.refresh_from_db()
    assert card.points_balance == D(90)
    entry = LedgerEntry.objects.filter(card=card).order_by("-pk").first()
    assert (entry.kind, entry.amount, entry.reason, entry.actor) == (
        EntryKind.ADJUSTMENT,
        D(25),
        "Birthday cake",
        owner,
    )
    event = AuditEvent.objects.filter(action="card.adjust").order_by("-pk").first()
    assert (event.actor, event.reason) == (owner, "Birthday cake")
    assert event.changes == {"points_balance": ["65.00", "90.00"]}
    assert ledger_rows(response)[0][5] == "Birthday cake · by olena"
    assert_ledger_consistent(card)


def test_taking_away_more_than_the_balance_is_a_form_error_and_changes_nothing(owner_client, card):
    before = snapshot(card)

    response = owner_client.post(
        action_url("card_adjust", card),
        {"amount": "-1000", "unit": "points", "bucket": "cashback", "reason": "Typo"},
    )

    assert response.status_code == 200
    assert field_errors(response, "amount") == ["Not enough points: 65.00 available, 1000.00 requested."]
    assert snapshot(card) == before
    assert_ledger_consistent(card)


def test_an_adjustment_without_a_reason_is_a_form_error(owner_client, card):
    before = snapshot(card)

    response = owner_client.post(
        action_url("card_adjust", card), {"amount": "10", "unit": "points", "bucket": "cashback", "reason": ""}
    )

    assert response.status_code == 200
    assert field_errors(response, "reason") == ["This field is required."]
    assert snapshot(card) == before


def test_promo_points_without_expiry_are_refused(owner_client, card):
    before = snapshot(card)

    response = owner_client.post(
        action_url("card_adjust", card), {"amount": "10", "unit": "points", "bucket": "promo", "reason": "Promo"}
    )

    assert response.status_code == 200
    assert "Promo points need an expiry date." in form_errors(response)
    assert snapshot(card) == before


def test_promo_points_with_an_expiry_land_in_the_promo_bucket(owner_client, olena, card):
    expires = (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%d %H:%M")

    response = owner_client.post(
        action_url("card_adjust", card),
        {"amount": "5", "unit": "points", "bucket": "promo", "expires_at": expires, "reason": "Rainy day"},
        follow=True,
    )

    assert card_row(response, card)["promo"] == "20.00"


def test_blocking_and_unblocking_a_card(owner_client, owner, olena, card):
    response = owner_client.post(action_url("card_block", card), {"reason": "Reported stolen"}, follow=True)

    card.refresh_from_db()
    assert card.status == CardStatus.BLOCKED
    assert card_row(response, card)["status"] == "Blocked Reported stolen"
    block = AuditEvent.objects.get(action="card.block")
    assert (block.actor, block.reason, block.changes) == (owner, "Reported stolen", {"status": ["active", "blocked"]})

    response = owner_client.post(action_url("card_unblock", card), {"reason": "Found it"}, follow=True)

    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE
    assert AuditEvent.objects.get(action="card.unblock").reason == "Found it"


def test_block_needs_a_reason(owner_client, card):
    before = snapshot(card)

    response = owner_client.post(action_url("card_block", card), {"reason": "  "})

    assert response.status_code == 200
    assert field_errors(response, "reason") == ["This field is required."]
    assert snapshot(card) == before


def test_replacing_a_card_moves_the_balance_to_the_new_card(owner_client, owner, olena, card):
    response = owner_client.post(
        action_url("card_replace", card), {"reason": "Plastic card broken", "number": "2999000000017"}, follow=True
    )

    card.refresh_from_db()
    new = Card.objects.get(number="2999000000017")
    assert card.status == CardStatus.REPLACED
    assert card.replaced_by == new
    assert (new.points_balance, card.points_balance) == (D(65), D(0))
    row = card_row(response, new)
    assert (row["cashback"], row["promo"]) == ("50.00", "15.00")
    assert card_row(response, card)["status"].startswith("Replaced")
    event = AuditEvent.objects.get(action="card.replace")
    assert (event.actor, event.reason) == (owner, "Plastic card broken")
    assert_ledger_consistent(card)
    assert_ledger_consistent(new)


def test_replacing_with_a_number_in_use_is_a_form_error(owner_client, program, cashback_type, card):
    taken = member_create(program=program, phone="+380671230000", card_types=[cashback_type]).cards.get()
    before = snapshot(card)

    response = owner_client.post(action_url("card_replace", card), {"reason": "Swap", "number": taken.number})

    assert response.status_code == 200
    assert f"Card number {taken.number} is already in use." in form_errors(response)
    assert snapshot(card) == before


def test_a_replaced_card_takes_no_more_actions(owner_client, card, owner):
    owner_client.post(action_url("card_replace", card), {"reason": "Lost"})
    before = snapshot(card)

    response = owner_client.post(
        action_url("card_adjust", card), {"amount": "5", "unit": "points", "bucket": "cashback", "reason": "Late"}
    )

    assert response.status_code == 200
    assert "This card was replaced by a new one." in form_errors(response)
    assert snapshot(card) == before


def test_a_blocked_card_still_shows_unblock_not_block(owner_client, olena, card, owner):
    card_block(card=card, reason="Fraud check", actor=Actor.staff(owner))

    page = soup(owner_client.get(detail_url(olena)))

    labels = [link.get_text(strip=True) for link in page.select(f'tr[data-card="{card.number}"] a.button')]
    assert labels == ["Adjust points or stamps", "Unblock", "Replace"]


# --- Enrolment and profile -----------------------------------------------------------------------------------


def test_enrolling_a_member_goes_through_member_create(owner_client, owner, program, cashback_type, welcome_rule):
    response = owner_client.post(
        admin_url("loyalty_members:add"),
        {"program": program.pk, "phone": "+380931234567", "first_name": "Iryna", "gender": ""},
        follow=True,
    )

    member = Member.objects.get(program=program, phone="+380931234567")
    assert member.first_name == "Iryna"
    card = member.cards.get()
    assert card.points_balance == D(10)  # the joining bonus: member_create issued the card and granted it
    assert AuditEvent.objects.get(action="member.create").actor == owner
    assert "Iryna" in page_text(response)


def test_enrolling_a_known_phone_is_a_field_error(owner_client, program, olena):
    response = owner_client.post(admin_url("loyalty_members:add"), {"program": program.pk, "phone": "+380501234567"})

    assert response.status_code == 200
    assert field_errors(response, "phone") == ["A member with this phone already exists in the program."]
    assert Member.objects.filter(program=program).count() == 1


def test_enrolling_reads_a_local_number_in_the_programs_country(owner_client, program, cashback_type):
    """One install serves a Ukrainian and a Russian brand: "8 (999) …" is a Russian number for a program in RU."""
    program.country = "RU"
    program.save(update_fields=["country"])

    owner_client.post(admin_url("loyalty_members:add"), {"program": program.pk, "phone": "8 (999) 123-45-67"})
    response = owner_client.post(admin_url("loyalty_members:add"), {"program": program.pk, "phone": "067 123 45 67"})

    assert Member.objects.get(program=program).phone == "+79991234567"
    assert field_errors(response, "phone") == ["Enter a valid phone number."]


def test_editing_a_profile_goes_through_member_update(owner_client, owner, olena):
    url = admin_url("loyalty_members:edit", olena.pk)
    page = soup(owner_client.get(url))
    assert page.select_one('input[name="first_name"]')["value"] == "Olena"

    response = owner_client.post(
        url, {"first_name": "Olena", "last_name": "Kovalenko", "email": "olena@example.com", "gender": "f"}
    )

    assert response.status_code == 302
    olena.refresh_from_db()
    assert (olena.last_name, olena.email, olena.gender) == ("Kovalenko", "olena@example.com", "f")
    event = AuditEvent.objects.get(action="member.update")
    assert event.actor == owner
    assert event.changes["last_name"] == ["Shevchenko", "Kovalenko"]


# --- Audit log -----------------------------------------------------------------------------------------------


def test_audit_log_lists_the_business_events(owner_client, card):
    owner_client.post(action_url("card_block", card), {"reason": "Reported stolen"})

    response = owner_client.get(admin_url("loyalty_audit:index"))

    text = page_text(response)
    # The action, who did it and the change in words (tenancy.describe).
    assert "Card blocked" in text and "Status: Active → Blocked" in text
    assert "Reported stolen" in text
    # The card leads to its member's page with the card selected.
    links = [a["href"] for a in soup(response).select("a") if a.get_text(strip=True) == str(card)]
    assert f"{admin_url('loyalty_members:detail', card.member_id)}?card={card.pk}" in links
    assert "status: active" not in text  # not the stored field name
    event = AuditEvent.objects.get(action="card.block")
    inspect = page_text(owner_client.get(admin_url("loyalty_audit:inspect", event.pk)))
    assert "Reported stolen" in inspect
    assert "Status: Active → Blocked" in inspect


def test_audit_log_names_the_api_key_that_acted(owner_client, program, card):
    till = api_key_create(program=program, name="Till at the door", actor=SYSTEM).api_key
    card_block(card=card, reason="Customer called the till", actor=Actor.api(till))
    event = AuditEvent.objects.get(action="card.block")

    listing = page_text(owner_client.get(admin_url("loyalty_audit:index")))
    inspect = page_text(owner_client.get(admin_url("loyalty_audit:inspect", event.pk)))

    assert "Till at the door" in listing
    assert "API key" in inspect and "Till at the door" in inspect


def test_audit_log_is_read_only(owner_client, card):
    event = AuditEvent.objects.first()
    page = soup(owner_client.get(admin_url("loyalty_audit:index")))

    assert not page.select('a[href*="/edit/"], a[href*="/delete/"]')
    assert owner_client.post(f"/admin/loyalty/audit/delete/{event.pk}/").status_code == 404
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- Query counts --------------------------------------------------------------------------------------------


def count_queries(client, url):
    """The queries a warm request to ``url`` makes (``warm_get``)."""
    response, queries = warm_get(client, url)
    assert response.status_code == 200
    return len(queries)


def test_member_list_queries_do_not_grow_with_members(
    owner_client, program, cashback_type, django_assert_max_num_queries
):
    tier = TierFactory(program=program, name="Standard", threshold=D(0))
    for index in range(3):
        member_create(program=program, phone=f"+38050000{index:04d}", card_types=[cashback_type])
    few = count_queries(owner_client, admin_url("loyalty_members:index"))
    for index in range(3, 24):
        member_create(program=program, phone=f"+38050000{index:04d}", card_types=[cashback_type])
    assert Member.objects.filter(tier=tier).count() == 24

    many = count_queries(owner_client, admin_url("loyalty_members:index"))

    assert many == few
    # 14: the page, its filters, the rows with their users and keys, and two for the member/card links.
    with django_assert_max_num_queries(14):
        owner_client.get(admin_url("loyalty_members:index"))
    with django_assert_max_num_queries(12):
        owner_client.get(admin_url("loyalty_members:index"), {"q": "0500"})


def test_member_page_queries_do_not_grow_with_the_ledger(
    owner_client, olena, card, owner, django_assert_max_num_queries
):
    few = count_queries(owner_client, detail_url(olena))
    for index in range(30):
        card_adjust(card=card, amount=D(1), reason=f"bulk {index}", actor=Actor.staff(owner))

    many = count_queries(owner_client, detail_url(olena))

    assert many == few
    with django_assert_max_num_queries(17):  # with the programs' time zone (programs.admin.timezones)
        owner_client.get(detail_url(olena))


def test_audit_log_queries_do_not_grow_with_events(owner_client, card, django_assert_max_num_queries):
    few = count_queries(owner_client, admin_url("loyalty_audit:index"))
    for index in range(15):
        other = UserFactory(username=f"clerk{index}")
        card_adjust(card=card, amount=D(1), reason=f"bulk {index}", actor=Actor.staff(other))

    many = count_queries(owner_client, admin_url("loyalty_audit:index"))

    assert many == few
    # 15: the page, its filters, the rows with their users and keys, two for the member/card links, and the
    # programs' time zone (programs.admin.timezones).
    with django_assert_max_num_queries(15):
        owner_client.get(admin_url("loyalty_audit:index"))


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["+12.50 points", "+12 points", "+1 point"]),
        ("ru", ["+12,50 балла", "+12 баллов", "+1 балл"]),
        ("uk", ["+12,50 бала", "+12 балів", "+1 бал"]),
    ],
)
def test_ledger_amounts_take_the_grammatical_number_of_the_figure(owner_client, owner, olena, language, expected):
    card = olena.cards.get()
    for amount in ("1", "12", "12.50"):
        card_adjust(card=card, amount=D(amount), reason="goodwill", actor=Actor.staff(owner))
    profile = UserProfile.get_for_user(owner)
    profile.preferred_language = language
    profile.save()

    rows = ledger_rows(owner_client.get(detail_url(olena)))

    assert [row[2] for row in rows[:3]] == expected
