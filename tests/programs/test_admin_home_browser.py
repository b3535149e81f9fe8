"""The owner's admin home in a real browser, on a phone and a desktop, in English and Ukrainian."""

from decimal import Decimal

import pytest

from programs.factories import BusinessFactory, ProgramFactory, StoreFactory
from programs.services.purchases import purchase_record
from tests.browser import DESKTOP, PHONE, admin_login, screenshots
from tests.programs.admin_support import build_tenant

# The live server answers from another thread, so the data must be committed; serialized_rollback restores what
# the data migrations wrote (groups, collections) after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEXTS = {
    "en": ("Your loyalty programs", "Purchases today", "API key for the till", "missing", "₴1,250.00"),
    "uk": ("Ваші програми лояльності", "Покупки сьогодні", "API-ключ для каси", "бракує", "1 250,00 ₴"),
}


@pytest.mark.parametrize("language", ["en", "uk"])
def test_owner_sees_their_programs_checklist_and_figures(page, live_server, language):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    purchase_record(card=tenant.card, store=tenant.store, receipt_id="r-1", total=Decimal("1250.00"))
    ProgramFactory(business=tenant.business, slug="kvitka-coffee", name="Kvitka Coffee Stamps")
    StoreFactory(program=ProgramFactory(business=BusinessFactory(slug="rival"), slug="rival-club", name="Rival"))

    admin_login(page, live_server, tenant.owner, language=language)
    # Each size loaded afresh (Wagtail lays the sidebar out on load), tall enough to show the whole home: the
    # admin scrolls inside its main element, which a full-page screenshot doesn't reach.
    for label, viewport in (("phone", {**PHONE, "height": 2200}), ("desktop", {**DESKTOP, "height": 1300})):
        page.set_viewport_size(viewport)
        page.reload()
        screenshots(page, f"admin-home-{language}", sizes=[(label, viewport)])

    body = page.locator("main").inner_text().replace("\xa0", " ")
    heading, purchases, api_key, missing, sales = TEXTS[language]
    assert heading in body and purchases in body and api_key in body and missing in body
    assert sales.replace("\xa0", " ") in body
    assert "Kvitka Club" in body and "Kvitka Coffee Stamps" in body
    assert "Rival" not in body
    club = page.locator('[data-program="kvitka-club"]')
    assert club.locator('[data-figure="members"] dd').inner_text() == "1"
    # Following a "Set up" link lands on the screen that fixes it.
    club.locator('[data-check="programs.api_key"] a').click()
    page.wait_for_url(f"{live_server.url}/admin/loyalty/api-keys/new/")


def test_owner_adds_a_co_owner_from_the_home(page, live_server):
    from django.core import mail

    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    admin_login(page, live_server, tenant.owner)

    page.locator('[data-business="kvitka"] a').click()
    page.wait_for_url(f"{live_server.url}/admin/loyalty/business-owners/{tenant.business.pk}/add/")
    screenshots(page, "admin-add-owner-en")
    page.fill("input[name=email]", "petro@example.com")
    page.fill("input[name=first_name]", "Petro")
    page.click("form#w-editor-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    assert "Petro is an owner of Kvitka Ltd now" in page.locator(".messages").inner_text()
    assert tenant.business.staff.filter(email="petro@example.com").exists()
    (message,) = mail.outbox
    assert message.to == ["petro@example.com"] and f"{live_server.url}/admin/password_reset/confirm/" in message.body
