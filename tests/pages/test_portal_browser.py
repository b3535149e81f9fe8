"""The portal as customers and owners see it, in a real browser: an owner adds and publishes a promo page in the
admin, then the program's portal host (``kvitka.localhost``, which Chromium resolves to 127.0.0.1) shows the
home and the promo in the program's brand. Screenshots: ``portal-home``, ``promo-page``, ``page-editor``."""

from urllib.parse import urlparse

import pytest

from pages.demo import demo_promo_kvitka
from pages.models import PromoPage
from programs.choices import StampBasis
from programs.factories import StoreFactory, TierFactory
from tests.browser import admin_login, policy_watch, screenshots
from tests.conftest import D
from tests.pages.conftest import portal_for
from tests.programs.admin_support import build_tenant

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ACCENT = "rgb(31, 111, 235)"  # Kartka's default accent (themes.tokens), until the program has a theme


def test_owner_publishes_a_promo_and_customers_see_the_portal(page, live_server):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    stamps = tenant.stamp_type
    stamps.is_active, stamps.stamp_goal, stamps.stamp_basis = True, 9, StampBasis.ITEM
    stamps.stamp_categories, stamps.reward_description = "coffee", "A free coffee"
    stamps.save()
    TierFactory(program=tenant.program, name="Kvitka Gold", threshold=D(30000), cashback_percent=D(7), color="#c9a227")
    StoreFactory(program=tenant.program, name="Kvitka Podil", code="podil", address="12 Sahaidachnoho St, Kyiv")
    port = urlparse(live_server.url).port
    site = portal_for(tenant, hostname="kvitka.localhost", port=port)
    home = site.root_page.specific
    portal = f"http://kvitka.localhost:{port}"
    blocked, elsewhere = policy_watch(page, live_server.url, portal)  # config.csp's policies block nothing

    # The owner adds a promo page under their portal home and publishes it.
    admin_login(page, live_server, tenant.owner)
    page.goto(f"{live_server.url}/admin/pages/add/pages/promopage/{home.pk}/")
    page.fill("#id_title", "Double points on accessories")
    page.get_by_role("button", name="Insert a block").first.click()
    # The block picker previews each block (its description and an example rendering) from its eye button.
    page.locator(".w-combobox__option-row", has_text="Tier table").locator(".w-combobox__option-preview").click()
    page.wait_for_timeout(1500)  # the preview iframe loads
    screenshots(page, "page-editor", sizes=(("desktop", {"width": 1440, "height": 900}),), full_page=False)
    page.get_by_role("option", name="Tier table").click()
    page.locator("input[name='body-0-value-heading']").fill("Our tiers")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"{live_server.url}/admin/pages/{home.pk}/")
    promo = PromoPage.objects.get(title="Double points on accessories")
    assert promo.live

    # Customers open the portal's own host name.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{portal}/")
    assert page.title() == home.title
    body = page.locator("main").inner_text().replace("\xa0", " ")  # amounts keep together with NBSPs
    for text in ("How it works", "5 % of every purchase comes back to you as points.", "Kvitka Gold", "₴30,000"):
        assert text in body, text
    assert "Collect 9 stamps and get: A free coffee." in body
    assert "Double points on accessories" in body  # the new promo is listed
    assert "Kvitka Podil" in body
    join = page.locator(".k-hero .k-button").first
    assert join.evaluate("e => getComputedStyle(e).color") == ACCENT
    hero = page.locator(".k-hero").first
    assert ACCENT in hero.evaluate("e => getComputedStyle(e).backgroundImage")
    stamp = page.locator(".k-stamp--reward").first
    assert stamp.evaluate("e => getComputedStyle(e).backgroundColor") == ACCENT
    gold = page.locator(".k-tier", has_text="Kvitka Gold")
    assert gold.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(201, 162, 39)"
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(page, "portal-home")

    page.goto(f"{portal}/{promo.slug}/")
    assert "Our tiers" in page.locator("main").inner_text()
    assert page.locator(".k-tier").count() == 2

    # A promo built from every kind of block (the demo's): hero, countdown, offers, tiers, join, FAQ.
    full = home.add_child(instance=demo_promo_kvitka(tenant.program))
    full.save_revision().publish()
    page.goto(f"{portal}/{full.slug}/")
    clock = page.locator(".k-countdown__clock")
    clock.wait_for(state="visible")  # the script took over from the server-rendered date
    assert int(clock.locator("[data-unit=days]").inner_text()) in (29, 30)
    page.locator("summary", has_text="Які товари вважаються аксесуарами?").click()
    assert page.locator("details[open]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header where a reader first sees it
    screenshots(page, "promo-page")
    assert blocked == [] and elsewhere == []
