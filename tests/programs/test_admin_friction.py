"""Small things owners tripped over in the builder: "Add …" in words each language can inflect, slugs and store
codes filled from names before saving (and left alone on existing rows), redemption rules in the menu."""

import pytest
from django.utils import translation

from programs.models import RedemptionRule
from tests.programs.admin_support import D, admin_url, page_text, soup

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_client(client, alpha, beta):
    client.force_login(alpha.owner)
    return client


ADD_LABELS = {
    "loyalty_programs:index": ("Add program", "Добавить программу", "Додати програму"),
    "loyalty_card_types:index": ("Add card type", "Добавить тип карты", "Додати тип картки"),
    "loyalty_stores:index": ("Add store", "Добавить магазин", "Додати магазин"),
    "loyalty_redemption_rules:index": (
        "Add redemption rule",
        "Добавить правило списания",
        "Додати правило списання",
    ),
}


@pytest.mark.parametrize("language", ["en", "ru", "uk"])
def test_add_buttons_read_as_whole_phrases(alpha_client, language):
    for name, labels in ADD_LABELS.items():
        with translation.override(language):
            response = alpha_client.get(admin_url(name), HTTP_ACCEPT_LANGUAGE=language)
        expected = labels[("en", "ru", "uk").index(language)]
        assert expected in page_text(response), (name, language)


def test_a_new_programs_name_fills_its_slug_and_an_existing_one_does_not(alpha_client, alpha):
    new = soup(alpha_client.get(admin_url("loyalty_programs:add")))
    edit = soup(alpha_client.get(admin_url("loyalty_programs:edit", alpha.program.pk)))

    name = new.select_one("input[name=name]")
    assert "w-sync" in name["data-controller"] and "w-sync#apply" in name["data-action"]
    assert name["data-w-sync-target-value"] == "#id_slug"
    assert new.select_one("input[name=slug]")["data-w-slug-allow-unicode-value"] == "false"
    assert "w-sync#apply" not in edit.select_one("input[name=name]").get("data-action", "")


def test_a_new_stores_name_fills_its_code(alpha_client):
    name = soup(alpha_client.get(admin_url("loyalty_stores:add"))).select_one("input[name=name]")
    assert name["data-w-sync-target-value"] == "#id_code"


def test_redemption_rules_are_listed_for_the_owners_card_types_only(alpha_client, alpha, beta):
    response = alpha_client.get(admin_url("loyalty_redemption_rules:index"))

    text = page_text(response)
    assert alpha.card.card_type.name in text
    assert beta.card.card_type.name not in text
    rule = RedemptionRule.objects.get(card_type=beta.card.card_type)
    assert alpha_client.get(admin_url("loyalty_redemption_rules:edit", rule.pk)).status_code in (302, 403, 404)


def test_a_redemption_rule_is_edited_from_its_listing(alpha_client, alpha):
    rule = RedemptionRule.objects.get(card_type=alpha.card.card_type)
    url = admin_url("loyalty_redemption_rules:edit", rule.pk)

    response = alpha_client.post(
        url,
        {"card_type": rule.card_type_id, "point_value": "0.50", "max_share_percent": "30", "min_check": "100"},
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.point_value, rule.max_share_percent, rule.min_check) == (D("0.50"), D(30), D(100))


def test_a_second_rule_for_one_card_type_is_a_form_error(alpha_client, alpha):
    response = alpha_client.post(
        admin_url("loyalty_redemption_rules:add"),
        {"card_type": alpha.card.card_type_id, "point_value": "1", "max_share_percent": "50", "min_check": "0"},
    )

    assert response.status_code == 200
    assert RedemptionRule.objects.filter(card_type=alpha.card.card_type).count() == 1


@pytest.fixture
def receipts(alpha, beta):
    from programs.services.purchases import purchase_record

    mine = purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-1042", total=D(500)).purchase
    theirs = purchase_record(card=beta.card, store=beta.store, receipt_id="R-1042", total=D(700)).purchase
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-2000", total=D(90))
    return mine, theirs


def test_purchases_are_found_by_receipt_id_in_the_owners_programs_only(alpha_client, alpha, receipts):
    mine, theirs = receipts

    found = soup(alpha_client.get(admin_url("loyalty_purchases:index"), {"q": "R-1042"}))
    rows = [" ".join(row.get_text(" ").split()) for row in found.select("tbody tr")]

    assert len(rows) == 1 and "R-1042" in rows[0] and "500" in rows[0]
    assert alpha_client.get(admin_url("loyalty_purchases:inspect", mine.pk)).status_code == 200
    assert alpha_client.get(admin_url("loyalty_purchases:inspect", theirs.pk)).status_code == 404


def test_purchases_are_found_by_card_number(alpha_client, alpha, receipts):
    found = soup(alpha_client.get(admin_url("loyalty_purchases:index"), {"q": alpha.card.number}))
    assert len(found.select("tbody tr")) == 2


def test_purchases_are_read_only(alpha_client, receipts):
    from django.urls import NoReverseMatch, reverse

    for name in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"loyalty_purchases:{name}", args=[receipts[0].pk] if name != "add" else [])


def test_admin_times_are_in_the_programs_time_zone_until_the_owner_chooses(alpha_client, alpha, receipts):
    from datetime import UTC, datetime

    from wagtail.users.models import UserProfile

    from programs.models import Purchase

    mine = receipts[0]
    Purchase.objects.filter(pk=mine.pk).update(purchased_at=datetime(2026, 12, 1, 12, 5, tzinfo=UTC))
    alpha.program.timezone = "Europe/Kyiv"
    alpha.program.save(update_fields=["timezone"])
    url = admin_url("loyalty_purchases:inspect", mine.pk)

    kyiv = page_text(alpha_client.get(url))
    profile = UserProfile.get_for_user(alpha.owner)
    profile.current_time_zone = "Asia/Tokyo"
    profile.save()
    tokyo = page_text(alpha_client.get(url))

    assert "Dec. 1, 2026, 2:05 p.m." in kyiv and "12:05" not in kyiv  # 12:05 UTC in Kyiv (UTC+2)
    assert "Dec. 1, 2026, 9:05 p.m." in tokyo  # the owner's own choice wins
    assert UserProfile.get_for_user(alpha.owner).current_time_zone == "Asia/Tokyo"
