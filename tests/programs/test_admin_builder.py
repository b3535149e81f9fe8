"""The no-code builder over HTTP: a business owner creates and edits programs, card types (with discount steps and
a redemption rule inline), tiers, earning rules and stores; mistakes come back as field errors; every change
leaves an audit row with old → new values."""

from datetime import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from programs.choices import Bucket, CardKind, RuleKind
from programs.factories import (
    BusinessFactory,
    CardTypeFactory,
    EarningRuleFactory,
    ProgramFactory,
    RedemptionRuleFactory,
    StoreFactory,
    TierFactory,
    UserFactory,
)
from programs.models import (
    AuditEvent,
    Business,
    CardType,
    DiscountThreshold,
    EarningRule,
    Program,
    RedemptionRule,
    Store,
    Tier,
)
from programs.services.members import member_create
from tenancy.services import BUSINESS_OWNERS_GROUP, business_staff_add
from tests.programs.admin_support import D, admin_url, field_errors, form_data, form_errors, page_text, soup

pytestmark = pytest.mark.django_db


@pytest.fixture
def business():
    return BusinessFactory(slug="brew", name="Brew & Co")


@pytest.fixture
def owner(business):
    user = UserFactory(username="olena")
    business_staff_add(business=business, user=user)
    return user


@pytest.fixture
def program(business):
    return ProgramFactory(business=business, slug="brew-club", name="Brew Club")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def card_type_data(program, **overrides):
    data = {
        "program": program.pk,
        "name": "Bonus card",
        "kind": CardKind.CASHBACK,
        "description": "",
        "is_active": "on",
        "valid_from": "",
        "valid_until": "",
        "earn_min_purchase": "0",
        "spend_basis": "before_discount",
        "spend_counts_points": "on",
        "discount_percent": "0",
        "cashback_percent": "5",
        "rounding": "down",
        "points_expiry_days": "",
        "stamp_goal": "",
        "stamp_basis": "purchase",
        "stamp_categories": "",
        "stamp_expiry_days": "",
        "reward_description": "",
        "thresholds": inline_formset([]),
        "redemption_rules": inline_formset([]),
    }
    data.update(overrides)
    return nested_form_data(data)


def rule_data(program, **overrides):
    data = {
        "program": program.pk,
        "card_type": "",
        "name": "Double points",
        "kind": RuleKind.MULTIPLIER,
        "is_active": "on",
        "multiplier": "2",
        "min_purchase": "0",
        "categories": "",
        "skus": "",
        "bonus_points": "0",
        "valid_from": "",
        "valid_until": "",
        "time_from": "",
        "time_until": "",
        "bucket": Bucket.CASHBACK,
        "expiry_days": "",
        "expires_on": "",
    }
    data.update(overrides)
    return data


def tier_data(program, **overrides):
    data = {
        "program": program.pk,
        "name": "Gold",
        "threshold": "1000",
        "discount_percent": "0",
        "cashback_percent": "",
        "multiplier": "1.5",
        "color": "#c9a227",
        "icon": "crown",
        "description": "",
    }
    data.update(overrides)
    return data


def last_audit(action):
    return AuditEvent.objects.filter(action=action).order_by("-pk").first()


# --- Creating things ------------------------------------------------------------------------------------------


def test_owner_creates_a_program_in_their_business(owner_client, business, owner):
    response = owner_client.post(
        admin_url("loyalty_programs:add"),
        {
            "business": business.pk,
            "name": "Coffee Lovers",
            "slug": "coffee-lovers",
            "description": "Every 10th cup free",
            "is_active": "on",
            "currency": "UAH",
            "timezone": "Europe/Kyiv",
            "tier_basis": "spend",
            "tier_window_days": "",
            "downgrade_policy": "never",
            "downgrade_grace_days": "30",
            "tier_crossing_rate": "old",
        },
        follow=True,
    )

    program = Program.objects.get(slug="coffee-lovers")
    assert program.business == business
    assert "Coffee Lovers" in page_text(response)  # back on the listing, with the new program in it
    event = last_audit("program.create")
    assert event.actor == owner
    assert event.business == business
    assert event.program == program
    assert event.changes["name"] == [None, "Coffee Lovers"]
    assert event.changes["timezone"] == [None, "Europe/Kyiv"]


def test_program_form_offers_a_time_zone_list_and_rejects_an_unknown_one(owner_client, business):
    page = soup(owner_client.get(admin_url("loyalty_programs:add")))
    zone_options = [option["value"] for option in page.select('select[name="timezone"] option')]
    assert "Europe/Kyiv" in zone_options
    assert "America/New_York" in zone_options

    response = owner_client.post(
        admin_url("loyalty_programs:add"),
        {"business": business.pk, "name": "X", "slug": "x", "currency": "UAH", "timezone": "Mars/Olympus"},
    )

    assert response.status_code == 200
    assert field_errors(response, "timezone")
    assert not Program.objects.filter(slug="x").exists()


def test_owner_creates_a_card_type_with_discount_steps_and_a_redemption_rule(owner_client, program, owner):
    data = card_type_data(
        program,
        name="Accumulative",
        kind=CardKind.ACCUMULATIVE,
        cashback_percent="0",
        thresholds=inline_formset(
            [
                {"min_spend": "0", "percent": "5"},
                {"min_spend": "500", "percent": "7"},
                {"min_spend": "2000", "percent": "10"},
            ]
        ),
        redemption_rules=inline_formset(
            [{"point_value": "0.5", "max_share_percent": "30", "min_check": "100", "paid_part_earns": "on"}],
            max=1,
        ),
    )

    response = owner_client.post(admin_url("loyalty_card_types:add"), data)

    assert response.status_code == 302, form_errors(response)
    card_type = CardType.objects.get(name="Accumulative")
    assert card_type.program == program
    steps = [(step.min_spend, step.percent) for step in card_type.thresholds.order_by("min_spend")]
    assert steps == [(D(0), D(5)), (D(500), D(7)), (D(2000), D(10))]
    rule = RedemptionRule.objects.get(card_type=card_type)
    assert (rule.point_value, rule.max_share_percent, rule.min_check, rule.paid_part_earns) == (
        D("0.5"),
        D(30),
        D(100),
        True,
    )
    event = last_audit("cardtype.create")
    assert event.actor == owner
    assert event.changes["kind"] == [None, "accumulative"]
    assert event.changes["thresholds"][1] == [
        "min_spend=0.00, percent=5.00",
        "min_spend=500.00, percent=7.00",
        "min_spend=2000.00, percent=10.00",
    ]
    assert "point_value=0.5000" in event.changes["redemption_rules"][1][0]


def test_card_type_form_is_grouped_in_tabs(owner_client, program):
    page = soup(owner_client.get(admin_url("loyalty_card_types:add")))

    tabs = [" ".join(tab.get_text(" ").split()).removesuffix(" ( )") for tab in page.select('[role="tab"]')]
    assert tabs[:4] == ["General", "Discount", "Cashback & redemption", "Stamps"]
    assert page.select_one('input[name="thresholds-TOTAL_FORMS"]') is not None
    assert page.select_one('input[name="redemption_rules-MAX_NUM_FORMS"]')["value"] == "1"
    # help_text from the model reaches the editor
    assert "Cashback cards: share of the paid amount credited as points." in page_text_of(page)


def page_text_of(page) -> str:
    return " ".join(page.get_text(" ").split())


def test_editing_a_card_type_records_old_and_new_values(owner_client, program, owner):
    card_type = CardTypeFactory(program=program, name="Bonus", cashback_percent=D(5))
    edit_url = admin_url("loyalty_card_types:edit", card_type.pk)
    data = form_data(owner_client.get(edit_url))
    data["cashback_percent"] = "7.5"
    data["name"] = "Bonus plus"
    data.update(nested_form_data({"thresholds": inline_formset([{"min_spend": "100", "percent": "2"}])}))

    response = owner_client.post(edit_url, data)

    assert response.status_code == 302, form_errors(response)
    card_type.refresh_from_db()
    assert (card_type.name, card_type.cashback_percent) == ("Bonus plus", D("7.5"))
    event = last_audit("cardtype.update")
    assert event.actor == owner
    assert event.changes["cashback_percent"] == ["5.00", "7.50"]
    assert event.changes["name"] == ["Bonus", "Bonus plus"]
    assert event.changes["thresholds"] == [[], ["min_spend=100.00, percent=2.00"]]
    assert "program" not in event.changes
    # The card type's history page tells the same story.
    history = page_text(owner_client.get(admin_url("loyalty_card_types:history", card_type.pk)))
    assert "Card type changed" in history
    assert "5.00 → 7.50" in history
    assert "Thresholds: — → min_spend=100.00, percent=2.00" in history
    for stored in ("cardtype.update", "cashback_percent", "['"):
        assert stored not in history


def test_saving_without_changes_writes_no_audit_row(owner_client, program):
    card_type = CardTypeFactory(program=program)
    edit_url = admin_url("loyalty_card_types:edit", card_type.pk)
    data = form_data(owner_client.get(edit_url))

    response = owner_client.post(edit_url, data)

    assert response.status_code == 302, form_errors(response)
    assert list(AuditEvent.objects.filter(action="cardtype.update").values_list("changes", flat=True)) == []


def test_owner_creates_a_tier(owner_client, program, owner):
    response = owner_client.post(admin_url("loyalty_tiers:add"), tier_data(program))

    assert response.status_code == 302, form_errors(response)
    tier = Tier.objects.get(program=program, name="Gold")
    assert (tier.threshold, tier.multiplier, tier.color) == (D(1000), D("1.5"), "#c9a227")
    assert last_audit("tier.create").changes["threshold"] == [None, "1000.00"]


def test_owner_creates_an_earning_rule_with_weekday_checkboxes(owner_client, program, owner):
    page = soup(owner_client.get(admin_url("loyalty_earning_rules:add")))
    weekday_boxes = page.select('input[type="checkbox"][name="weekdays"]')
    assert [box["value"] for box in weekday_boxes] == ["0", "1", "2", "3", "4", "5", "6"]

    data = rule_data(program, name="Happy hours", time_from="10:00", time_until="12:00")
    data["weekdays"] = ["0", "4"]
    response = owner_client.post(admin_url("loyalty_earning_rules:add"), data)

    assert response.status_code == 302, form_errors(response)
    rule = EarningRule.objects.get(name="Happy hours")
    assert rule.weekdays == [0, 4]
    assert (rule.time_from, rule.time_until) == (time(10), time(12))
    assert last_audit("earningrule.create").changes["weekdays"] == [None, [0, 4]]
    edit_page = soup(owner_client.get(admin_url("loyalty_earning_rules:edit", rule.pk)))
    ticked = [box["value"] for box in edit_page.select('input[name="weekdays"][checked]')]
    assert ticked == ["0", "4"]


def test_owner_creates_a_store(owner_client, program, owner):
    response = owner_client.post(
        admin_url("loyalty_stores:add"),
        {"program": program.pk, "name": "Podil", "code": "podil", "address": "Sahaidachnoho 1", "is_active": "on"},
    )

    assert response.status_code == 302, form_errors(response)
    store = Store.objects.get(program=program, code="podil")
    assert store.name == "Podil"
    event = last_audit("store.create")
    assert (event.actor, event.program, event.object_id) == (owner, program, str(store.pk))


def test_the_only_program_is_preselected(owner_client, program):
    page = soup(owner_client.get(admin_url("loyalty_stores:add")))

    selected = page.select_one('select[name="program"] option[selected]')
    assert selected["value"] == str(program.pk)


def test_a_code_that_only_looks_numeric_is_audited_as_changed(owner_client, program):
    owner_client.post(admin_url("loyalty_stores:add"), {"program": program.pk, "name": "Podil", "code": "001"})
    store = Store.objects.get(code="001")
    edit_url = admin_url("loyalty_stores:edit", store.pk)
    data = form_data(owner_client.get(edit_url))
    data["code"] = "1"

    owner_client.post(edit_url, data)

    assert last_audit("store.update").changes == {"code": ["001", "1"]}


def test_a_card_type_cannot_be_moved_to_another_program(owner_client, program, business):
    other_program = ProgramFactory(business=business, slug="brew-two")
    card_type = CardTypeFactory(program=program)
    edit_url = admin_url("loyalty_card_types:edit", card_type.pk)
    data = form_data(owner_client.get(edit_url))
    data["program"] = str(other_program.pk)
    data["name"] = "Renamed"

    owner_client.post(edit_url, data)

    card_type.refresh_from_db()
    assert card_type.name == "Renamed"
    assert card_type.program == program


# --- Validation shows as field errors ------------------------------------------------------------------------


def test_overlapping_tier_threshold_is_a_field_error(owner_client, program):
    TierFactory(program=program, name="Silver", threshold=D(500))

    response = owner_client.post(admin_url("loyalty_tiers:add"), tier_data(program, name="Gold", threshold="500"))

    assert response.status_code == 200
    assert field_errors(response, "threshold") == ["Another tier of this program already starts at this threshold."]
    assert list(Tier.objects.filter(program=program).values_list("name", flat=True)) == ["Silver"]


def test_percent_above_100_is_a_field_error(owner_client, program):
    data = card_type_data(program, kind=CardKind.DISCOUNT, discount_percent="150", cashback_percent="0")

    response = owner_client.post(admin_url("loyalty_card_types:add"), data)

    assert response.status_code == 200
    assert field_errors(response, "discount_percent") == ["Ensure this value is less than or equal to 100."]
    assert not CardType.objects.exists()


def test_stamp_goal_below_one_is_a_field_error(owner_client, program):
    data = card_type_data(program, kind=CardKind.STAMPS, cashback_percent="0", stamp_goal="0")

    response = owner_client.post(admin_url("loyalty_card_types:add"), data)

    assert response.status_code == 200
    assert field_errors(response, "stamp_goal") == ["A stamp card needs a goal of at least one stamp."]
    assert not CardType.objects.exists()


def test_promo_rule_without_expiry_is_a_field_error(owner_client, program):
    data = rule_data(program, kind=RuleKind.BIRTHDAY, multiplier="1", bonus_points="100", bucket=Bucket.PROMO)

    response = owner_client.post(admin_url("loyalty_earning_rules:add"), data)

    assert response.status_code == 200
    assert field_errors(response, "expires_on") == ["Promo bonuses need an expiry: a day or a number of days."]
    assert not EarningRule.objects.exists()


def test_happy_hours_without_an_end_is_a_field_error(owner_client, program):
    response = owner_client.post(admin_url("loyalty_earning_rules:add"), rule_data(program, time_from="10:00"))

    assert response.status_code == 200
    assert field_errors(response, "time_until") == ["Happy hours need both a start and an end."]


def test_program_downgrading_at_period_end_needs_a_window(owner_client, program):
    edit_url = admin_url("loyalty_programs:edit", program.pk)
    data = form_data(owner_client.get(edit_url))
    data["downgrade_policy"] = "period_end"
    data["tier_window_days"] = ""

    response = owner_client.post(edit_url, data)

    assert response.status_code == 200
    assert field_errors(response, "tier_window_days") == [
        "Downgrading at the end of a period needs a qualification window."
    ]


def test_duplicate_discount_steps_are_an_error_not_a_crash(owner_client, program):
    data = card_type_data(
        program,
        kind=CardKind.ACCUMULATIVE,
        cashback_percent="0",
        thresholds=inline_formset([{"min_spend": "500", "percent": "5"}, {"min_spend": "500", "percent": "7"}]),
    )

    response = owner_client.post(admin_url("loyalty_card_types:add"), data)

    assert response.status_code == 200
    assert any("duplicate" in error for error in form_errors(response))
    assert not CardType.objects.exists()
    assert not DiscountThreshold.objects.exists()


def test_a_second_redemption_rule_is_refused(owner_client, program):
    rule = {"point_value": "1", "max_share_percent": "50", "min_check": "0"}
    data = card_type_data(program, redemption_rules=inline_formset([rule, rule], max=1))

    response = owner_client.post(admin_url("loyalty_card_types:add"), data)

    assert response.status_code == 200
    assert any("at most 1" in error for error in form_errors(response))
    assert not RedemptionRule.objects.exists()


def test_a_hand_made_second_redemption_rule_is_an_error_not_a_crash(owner_client, program):
    card_type = CardTypeFactory(program=program)
    RedemptionRuleFactory(card_type=card_type, point_value=D(1))
    edit_url = admin_url("loyalty_card_types:edit", card_type.pk)
    data = form_data(owner_client.get(edit_url))
    for key in [key for key in data if key.startswith("redemption_rules-")]:
        del data[key]
    # Posted as if the existing rule weren't there: the database constraint is what catches it.
    rule = {"point_value": "2", "max_share_percent": "10", "min_check": "0"}
    data.update(nested_form_data({"redemption_rules": inline_formset([rule], max=1)}))

    response = owner_client.post(edit_url, data)

    assert response.status_code == 200
    assert any("Nothing was saved" in error for error in form_errors(response))
    assert list(RedemptionRule.objects.filter(card_type=card_type).values_list("point_value", flat=True)) == [D(1)]
    assert not AuditEvent.objects.filter(action="cardtype.update").exists()


def test_duplicate_store_code_is_a_field_error(owner_client, program):
    owner_client.post(admin_url("loyalty_stores:add"), {"program": program.pk, "name": "A", "code": "main"})

    response = owner_client.post(admin_url("loyalty_stores:add"), {"program": program.pk, "name": "B", "code": "main"})

    assert response.status_code == 200
    assert "already exists" in " ".join(form_errors(response))
    assert Store.objects.filter(program=program).count() == 1


# --- Deleting ------------------------------------------------------------------------------------------------


def test_deleting_a_tier_is_audited(owner_client, program, owner):
    tier = TierFactory(program=program, name="Bronze", threshold=D(100))

    response = owner_client.post(admin_url("loyalty_tiers:delete", tier.pk))

    assert response.status_code == 302
    assert not Tier.objects.filter(pk=tier.pk).exists()
    event = last_audit("tier.delete")
    assert (event.actor, event.object_repr, event.program) == (owner, "Bronze", program)
    assert event.changes["threshold"] == ["100.00", None]


def test_a_card_type_with_cards_cannot_be_deleted(owner_client, program):
    card_type = CardTypeFactory(program=program, name="In use")
    member_create(program=program, phone="+380501112233", card_types=[card_type])

    response = owner_client.post(admin_url("loyalty_card_types:delete", card_type.pk), follow=True)

    assert CardType.objects.filter(pk=card_type.pk).exists()
    assert "cannot be deleted" in page_text(response)
    assert not AuditEvent.objects.filter(action="cardtype.delete").exists()


# --- Businesses (superusers) and business owners -------------------------------------------------------------


def test_superuser_creates_a_business_and_gives_an_owner_access(client):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    newcomer = UserFactory(username="taras")
    client.force_login(admin)

    response = client.post(
        admin_url("loyalty_businesses:add"), {"name": "Bakery", "slug": "bakery", "staff": [newcomer.pk]}
    )

    assert response.status_code == 302, form_errors(response)
    business = Business.objects.get(slug="bakery")
    assert list(business.staff.all()) == [newcomer]
    assert newcomer.groups.filter(name=BUSINESS_OWNERS_GROUP).exists()
    assert last_audit("business.create").actor == admin
    assert last_audit("business.staff_add").changes == {"staff": [None, "taras"]}

    # The new owner can now use the builder for their business.
    client.force_login(newcomer)
    program_form = soup(client.get(admin_url("loyalty_programs:add")))
    options = [option.get_text(strip=True) for option in program_form.select('select[name="business"] option')]
    assert [option for option in options if option != "---------"] == ["Bakery"]


def test_removing_an_owner_takes_the_group_away(client, business, owner):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)
    edit_url = admin_url("loyalty_businesses:edit", business.pk)
    data = form_data(client.get(edit_url))
    data.setlist("staff", [])

    response = client.post(edit_url, data)

    assert response.status_code == 302, form_errors(response)
    assert not business.staff.exists()
    assert not owner.groups.filter(name=BUSINESS_OWNERS_GROUP).exists()
    assert last_audit("business.staff_remove").changes == {"staff": ["olena", None]}


def test_business_owners_group_opens_the_loyalty_screens(owner):
    group = Group.objects.get(name=BUSINESS_OWNERS_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))

    assert {"access_admin", "add_program", "change_cardtype", "delete_tier", "view_member", "change_card"} <= codenames
    assert "add_business" not in codenames
    assert owner.has_perm("wagtailadmin.access_admin")
    assert owner.has_perm("programs.add_earningrule")


def test_loyalty_menu_groups_the_builder(owner_client):
    page = soup(owner_client.get(admin_url("wagtailadmin_home")))
    menu = page.select_one("#wagtail-sidebar-props") or page

    text = menu.get_text()
    for label in ("Loyalty", "Programs", "Card types", "Tiers", "Earning rules", "Stores", "Members", "Audit log"):
        assert label in text
    assert "Businesses" not in text


@pytest.mark.parametrize("language", ["ru", "uk"])
def test_builder_screens_work_in_russian_and_ukrainian(owner_client, program, language, settings):
    settings.LANGUAGE_CODE = language
    card_type = CardTypeFactory(program=program)
    member = member_create(program=program, phone="+380501112233", first_name="Olena", card_types=[card_type])
    card = member.cards.get()

    for url in (
        admin_url("loyalty_programs:index"),
        admin_url("loyalty_card_types:add"),
        admin_url("loyalty_card_types:edit", card_type.pk),
        admin_url("loyalty_earning_rules:add"),
        admin_url("loyalty_members:index"),
        admin_url("loyalty_members:detail", member.pk),
        admin_url("loyalty_members:card_adjust", member.pk, card.pk),
        admin_url("loyalty_audit:index"),
    ):
        response = owner_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == language


def test_superuser_can_grant_member_permissions_in_group_settings(client, business):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    group = Group.objects.get(name=BUSINESS_OWNERS_GROUP)

    page = soup(client.get(admin_url("wagtailusers_groups:edit", group.pk)))

    ticked = {box["value"] for box in page.select('input[name="permissions"][checked]')}
    for codename in ("view_member", "change_member", "change_card", "change_cardtype", "add_program"):
        permission = group.permissions.get(codename=codename)
        assert str(permission.pk) in ticked, codename


@pytest.mark.parametrize(
    ("namespace", "make"),
    [
        ("loyalty_programs", lambda program, n: ProgramFactory(business=program.business, slug=f"extra-{n}")),
        ("loyalty_card_types", lambda program, n: CardTypeFactory(program=program)),
        ("loyalty_tiers", lambda program, n: TierFactory(program=program, threshold=D(100 + n))),
        ("loyalty_earning_rules", lambda program, n: EarningRuleFactory(program=program)),
        ("loyalty_stores", lambda program, n: StoreFactory(program=program)),
    ],
)
def test_builder_listings_do_not_grow_queries_with_rows(owner_client, program, namespace, make):
    url = admin_url(f"{namespace}:index")
    make(program, 0)
    count_queries(owner_client, url)  # warm the caches (site root paths…) another test may have emptied
    few = count_queries(owner_client, url)
    for n in range(1, 12):
        make(program, n)

    assert count_queries(owner_client, url) == few


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context.captured_queries)
