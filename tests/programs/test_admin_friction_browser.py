"""The builder's forms in a real browser: the earning-rule form shows the fields of the chosen kind only, and a new
store's name fills its code as the owner types."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser import admin_login, screenshots
from tests.programs.admin_support import build_tenant

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_earning_rule_form_follows_the_kind(page, live_server):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    admin_login(page, live_server, tenant.owner)
    page.goto(f"{live_server.url}{reverse('loyalty_earning_rules:add')}")
    multiplier = page.get_by_label("Multiplier", exact=False).first
    bonus = page.locator("input[name=bonus_points]")

    page.select_option("select[name=kind]", "registration")
    page.wait_for_timeout(200)
    assert bonus.is_visible() and not multiplier.is_visible()
    screenshots(page, "earning-rule-form-bonus")

    page.select_option("select[name=kind]", "multiplier")
    page.wait_for_timeout(200)
    assert multiplier.is_visible() and not bonus.is_visible()
    screenshots(page, "earning-rule-form-multiplier")


def test_a_new_stores_name_fills_its_code_before_saving(page, live_server):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    admin_login(page, live_server, tenant.owner)
    page.goto(f"{live_server.url}{reverse('loyalty_stores:add')}")

    page.fill("input[name=name]", "Квітка на Подолі")
    page.locator("input[name=name]").blur()

    expect(page.locator("input[name=code]")).to_have_value("kvitka-na-podoli")
    screenshots(page, "store-form-code-from-name", sizes=(("phone", {"width": 390, "height": 844}),))
