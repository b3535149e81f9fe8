"""The owner's admin home: each program with its checklist (what is set up, what is missing, where to fix it),
its links and its live figures, scoped to the owner's businesses, in a bounded number of queries."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from programs import checklist, clock, selectors
from programs.admin.home import HOME_PROGRAMS_LIMIT, money_display
from programs.choices import Bucket
from programs.factories import (
    BusinessFactory,
    CardTypeFactory,
    ProgramFactory,
    StoreFactory,
    TierFactory,
    UserFactory,
)
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust
from programs.services.members import member_create
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tenancy.services import business_staff_add
from tests.programs.admin_support import soup, warm_get
from themes.services import theme_create, theme_program_assign
from webhooks.models import WebhookEndpoint

KYIV = ZoneInfo("Europe/Kyiv")
HOME = "/admin/"


def D(value) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
def owner(db):
    business = BusinessFactory(slug="kvitka", name="Kvitka Ltd")
    user = UserFactory(username="olena")
    business_staff_add(business=business, user=user)
    user.business = business
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def program_card(response, slug):
    node = soup(response).select_one(f'[data-program="{slug}"]')
    assert node is not None, f"program {slug} not on the home"
    return node


def check_state(card, key) -> str:
    item = card.select_one(f'[data-check="{key}"]')
    assert item is not None, f"no checklist item {key}"
    for state in ("done", "missing", "optional"):
        if f"kartka-check--{state}" in item["class"]:
            return state
    raise AssertionError(item["class"])


def figure(card, name) -> str:
    return " ".join(card.select_one(f'[data-figure="{name}"] dd').get_text(" ").split())


# --- Checklist -----------------------------------------------------------------------------------------------


def test_a_new_program_shows_what_is_missing_with_links_to_fix_it(owner_client, owner):
    ProgramFactory(business=owner.business, slug="coffee", name="Coffee Club")

    card = program_card(owner_client.get(HOME), "coffee")

    assert check_state(card, "programs.card_type") == "missing"
    assert check_state(card, "programs.store") == "missing"
    assert check_state(card, "programs.api_key") == "missing"
    assert check_state(card, "programs.tiers") == "optional"
    assert check_state(card, "programs.earning_rules") == "optional"
    assert check_state(card, "webhooks.endpoint") == "optional"
    fix = card.select_one('[data-check="programs.store"] a')
    assert fix["href"] == reverse("loyalty_stores:add")
    assert "Setup: 0 of 3 steps done" in card.get_text(" ")


def test_the_checklist_follows_what_the_owner_sets_up(owner_client, owner):
    program = ProgramFactory(business=owner.business, slug="coffee", name="Coffee Club")
    StoreFactory(program=program, is_active=False)  # a closed store is no store
    assert check_state(program_card(owner_client.get(HOME), "coffee"), "programs.store") == "missing"

    store = StoreFactory(program=program)
    CardTypeFactory(program=program, stamps=True)
    card = program_card(owner_client.get(HOME), "coffee")
    assert check_state(card, "programs.store") == "done"
    assert check_state(card, "programs.card_type") == "done"
    assert card.select_one('[data-check="programs.store"] a') is None
    assert "Setup: 2 of 3 steps done" in card.get_text(" ")

    api_key_create(program=program, store=store, name="Till", actor=Actor.staff(owner))
    TierFactory(program=program)
    card = program_card(owner_client.get(HOME), "coffee")
    assert check_state(card, "programs.api_key") == "done"
    assert check_state(card, "programs.tiers") == "done"
    assert "Ready to take purchases" in card.get_text(" ")
    # The portal's items (theme, portal, promo page) are optional: a till does not wait for them.
    assert check_state(card, "themes.theme") == "optional"

    theme = theme_create(business=owner.business, actor=Actor.staff(owner), name="Coffee", publish=True)
    theme_program_assign(program=program, theme=theme, actor=Actor.staff(owner))
    assert check_state(program_card(owner_client.get(HOME), "coffee"), "themes.theme") == "done"


def test_another_app_adds_its_item_and_its_state(owner_client, owner):
    program = ProgramFactory(business=owner.business, slug="coffee", name="Coffee Club")
    # The webhooks app registered its item in its own AppConfig.ready.
    assert check_state(program_card(owner_client.get(HOME), "coffee"), "webhooks.endpoint") == "optional"

    WebhookEndpoint.objects.create(program=program, url="https://crm.example.com/hooks", events=["purchase.recorded"])
    assert check_state(program_card(owner_client.get(HOME), "coffee"), "webhooks.endpoint") == "done"


def test_a_registered_item_and_link_show_on_the_home(owner_client, owner):
    done = ProgramFactory(business=owner.business, slug="coffee", name="Coffee Club")
    ProgramFactory(business=owner.business, slug="tea", name="Tea Club")
    checklist.checklist_item_register(
        "tests.theme",
        label="Theme",
        check_many=lambda programs: {program.pk for program in programs if program.slug == "coffee"},
        url=lambda program: f"/admin/themes/{program.slug}/",
        order=5,
    )
    checklist.program_link_register(
        "tests.portal",
        label="Portal",
        links_many=lambda programs: {program.pk: f"https://{program.slug}.example.com/" for program in programs},
    )
    try:
        response = owner_client.get(HOME)
    finally:
        checklist.checklist_item_unregister("tests.theme")
        checklist.program_link_unregister("tests.portal")

    coffee, tea = program_card(response, "coffee"), program_card(response, "tea")
    assert check_state(coffee, "tests.theme") == "done"
    assert check_state(tea, "tests.theme") == "missing"
    assert tea.select_one('[data-check="tests.theme"] a')["href"] == "/admin/themes/tea/"
    assert "of 4 steps" in tea.get_text(" ")  # a required item counts towards the program being set up
    assert coffee.select_one('[data-link="tests.portal"]')["href"] == "https://coffee.example.com/"
    # Unregistered again: the registry is not left dirty for the next test.
    assert "tests.theme" not in [entry.key for entry in checklist.checklists_for([done])[done.pk].entries]


# --- Figures -------------------------------------------------------------------------------------------------


@pytest.fixture
def shop(owner):
    """A Kyiv program with three members and purchases on both sides of midnight, Kyiv time."""
    program = ProgramFactory(business=owner.business, slug="coffee", name="Coffee Club", timezone="Europe/Kyiv")
    store = StoreFactory(program=program, code="main")
    card_type = CardTypeFactory(program=program, cashback_percent=D(5))
    start = datetime(2026, 12, 5, 12, 0, tzinfo=KYIV)
    with clock.travel(start):
        members = [member_create(program=program, phone=f"+38050100000{n}", card_types=[card_type]) for n in range(3)]
    cards = [member.cards.get() for member in members]
    receipts = [
        # (card, total, Kyiv time): 23:30 on the 5th is yesterday; 00:10 on the 6th (22:10 UTC on the 5th) is today.
        (cards[0], "100.00", datetime(2026, 12, 5, 23, 30, tzinfo=KYIV)),
        (cards[1], "200.00", datetime(2026, 12, 6, 0, 10, tzinfo=KYIV)),
        (cards[2], "300.00", datetime(2026, 12, 6, 9, 0, tzinfo=KYIV)),
    ]
    for number, (card, total, at) in enumerate(receipts):
        with clock.travel(at):
            purchase_record(card=card, store=store, receipt_id=f"r{number}", total=D(total), purchased_at=at)
    with clock.travel(datetime(2026, 12, 6, 9, 30, tzinfo=KYIV)):
        card_adjust(
            card=cards[0],
            amount=D("7.50"),
            reason="sorry",
            actor=Actor.staff(owner),
            bucket=Bucket.PROMO,
            expires_at=datetime(2026, 12, 7, 0, 0, tzinfo=KYIV),
        )
    # A neighbour program of the same owner, in another zone, bought nothing today.
    other = ProgramFactory(business=owner.business, slug="tea", name="Tea Club", timezone="America/New_York")
    return program, other


def test_figures_count_today_in_the_program_time_zone(shop):
    program, other = shop
    now = datetime(2026, 12, 6, 10, 0, tzinfo=KYIV)

    figures = selectors.program_figures_list(programs=[program, other], at=now)

    coffee = figures[program.pk]
    assert coffee.members == 3
    assert coffee.purchases_today == 2  # 00:10 and 09:00 today; 23:30 was yesterday in Kyiv
    assert coffee.sales_today == D("500.00")
    assert coffee.points_cashback == D("30.00")  # 5 % of 100 + 200 + 300
    assert coffee.points_promo == D("7.50")
    assert coffee.points_outstanding == D("37.50")
    assert figures[other.pk] == selectors.ProgramFigures(0, 0, D(0), D(0), D(0))

    # At 01:00 UTC on the 6th it is still the 5th in New York but the 6th in Kyiv; a day later the promo expired.
    assert (
        selectors.program_figures_list(programs=[program], at=datetime(2026, 12, 5, 23, 0, tzinfo=KYIV))[
            program.pk
        ].purchases_today
        == 1
    )
    later = selectors.program_figures_list(programs=[program], at=now + timedelta(days=1))[program.pk]
    assert later.purchases_today == 0
    assert later.points_promo == D(0) and later.points_cashback == D("30.00")


def test_the_home_shows_the_figures_in_the_users_language(owner_client, owner, shop):
    del shop  # only its rows matter here
    with clock.travel(datetime(2026, 12, 6, 10, 0, tzinfo=KYIV)):
        card = program_card(owner_client.get(HOME), "coffee")
        assert figure(card, "members") == "3"
        assert figure(card, "purchases-today") == "2 ₴500.00"
        assert figure(card, "points") == "37.50 cashback 30 promo 7.50"

        profile = UserProfile.get_for_user(owner)
        profile.preferred_language = "uk"
        profile.save(update_fields=["preferred_language"])
        response = owner_client.get(HOME)
    with translation.override("uk"):
        expected = money_display(D("500.00"), "UAH")
    assert expected == "500,00\xa0₴"
    assert expected in figure(program_card(response, "coffee"), "purchases-today").replace(" ", "\xa0")


def test_money_is_written_as_each_language_writes_it():
    with translation.override("en"):
        assert money_display(D("12345.5"), "EUR") == "€12,345.50"
    with translation.override("uk"):
        assert money_display(D("12345.5"), "UAH") == "12\xa0345,50\xa0₴"
    with translation.override("ru"):
        assert money_display(D("0"), "KZT") == "0,00\xa0₸"


# --- Scoping and cost ----------------------------------------------------------------------------------------


def test_an_owner_never_sees_another_business_programs_or_figures(owner_client, owner, shop):
    rival = BusinessFactory(slug="rival", name="Rival Ltd")
    rival_program = ProgramFactory(business=rival, slug="rival-club", name="Rival Club")
    rival_store = StoreFactory(program=rival_program)
    rival_type = CardTypeFactory(program=rival_program)
    member = member_create(program=rival_program, phone="+380671234567", card_types=[rival_type])
    purchase_record(card=member.cards.get(), store=rival_store, receipt_id="x", total=D("999.00"))

    text = soup(owner_client.get(HOME)).get_text(" ")

    assert "Coffee Club" in text
    assert "Rival" not in text and "999" not in text


def test_a_superuser_sees_every_business_program(client, owner, shop):
    BusinessFactory(slug="rival", name="Rival Ltd")
    ProgramFactory(business__slug="rival", slug="rival-club", name="Rival Club")
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    page = soup(client.get(HOME))

    assert {node["data-program"] for node in page.select("[data-program]")} == {"coffee", "tea", "rival-club"}
    assert {node["data-business"] for node in page.select("[data-business]")} == {"kvitka", "rival"}


def test_the_home_costs_the_same_for_three_programs_or_eight(owner_client, owner):
    def add_program(n):
        program = ProgramFactory(business=owner.business, slug=f"p{n}", name=f"Program {n}")
        store = StoreFactory(program=program)
        card_type = CardTypeFactory(program=program)
        TierFactory(program=program)
        api_key_create(program=program, store=store, name="Till", actor=Actor.staff(owner))
        member = member_create(program=program, phone=f"+38050200000{n}", card_types=[card_type])
        purchase_record(card=member.cards.get(), store=store, receipt_id=f"r{n}", total=D("10.00"))

    for n in range(3):
        add_program(n)
    response, three = warm_get(owner_client, HOME)
    assert len(soup(response).select("[data-program]")) == 3
    for n in range(3, 8):
        add_program(n)
    response, eight = warm_get(owner_client, HOME)
    assert len(soup(response).select("[data-program]")) == 8
    assert len(eight) <= len(three), "\n".join(eight)
    assert len(three) <= 40


def test_many_programs_are_cut_with_a_link_to_all(owner_client, owner):
    for n in range(HOME_PROGRAMS_LIMIT + 2):
        ProgramFactory(business=owner.business, slug=f"p{n:02d}", name=f"Program {n:02d}")

    page = soup(owner_client.get(HOME))

    assert len(page.select("[data-program]")) == HOME_PROGRAMS_LIMIT
    more = page.select_one(".kartka-home__more a")
    assert more["href"] == reverse("loyalty_programs:index")
    assert f"All {HOME_PROGRAMS_LIMIT + 2} programs" in more.get_text()


def test_the_home_offers_a_new_program_and_drops_the_page_search(owner_client, owner):
    page = soup(owner_client.get(HOME))

    new = page.select_one(f'.kartka-home a[href="{reverse("pages_program_launch")}"]')
    assert new is not None and "New loyalty program" in new.get_text()
    assert page.select_one('form[role="search"]') is None
    assert "You have no loyalty programs yet." in page.get_text(" ")
