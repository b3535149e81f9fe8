"""The customer's way in and around the cabinet in a real browser on a phone (390×844), in Ukrainian and English:
sign up by phone with the code from the SMS, then the balance, the card (kept for offline use by the service
worker), the history and the profile. Screenshots: ``cabinet-<step>-<language>-phone/desktop.png``."""

from datetime import timedelta
from urllib.parse import urlparse

import pytest

from pages.services import portal_site_create
from portal import delivery
from programs import clock
from programs.choices import Bucket
from programs.factories import TierFactory
from programs.models import Member
from programs.services.cards import card_adjust
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tests.browser import PHONE, policy_watch, screenshots
from tests.conftest import D
from tests.programs.admin_support import build_tenant

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

TEXTS = {
    "uk": {"balance": "Кешбек", "card": "Збільште яскравість", "history": "Покупка, чек K-2", "profile": "Профіль"},
    "en": {
        "balance": "Cashback",
        "card": "Turn your screen brightness up",
        "history": "Purchase, receipt K-2",
        "profile": "Profile",
    },
}


@pytest.mark.parametrize("language", ["uk", "en"])
def test_sign_up_by_phone_then_balance_card_history_and_profile(page, live_server, settings, language):
    settings.KARTKA_OTP_BACKEND = "memory"
    delivery.sent_clear()
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    TierFactory(program=tenant.program, name="Kvitka Gold", threshold=D(3000), cashback_percent=D(7), color="#c9a227")
    port = urlparse(live_server.url).port
    portal_site_create(program=tenant.program, hostname="kvitka.localhost", port=port, actor=Actor.system("test"))
    portal = f"http://kvitka.localhost:{port}"
    page.set_viewport_size(PHONE)
    blocked, elsewhere = policy_watch(page, portal)  # the customers' policy (config.csp) must block nothing

    page.goto(f"{portal}/account/")
    assert page.url == f"{portal}/account/sign-in/"
    if language != "en":
        page.locator(f"button[name=language][value={language}]").click()
        assert page.locator("html").get_attribute("lang") == language
    screenshots(page, f"cabinet-sign-in-{language}")
    page.locator("input[name=phone]").fill("067 555 12 34")
    page.locator("main button[type=submit]").click()
    assert page.url == f"{portal}/account/code/"
    code_input = page.locator("input[name=code]")
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    request, delivered, text = delivery.sent[-1]
    assert request.phone == "+380675551234" and text.splitlines()[-1] == f"@kvitka.localhost #{delivered.code}"
    screenshots(page, f"cabinet-code-{language}")
    code_input.fill(delivered.code)
    page.locator("button[value=verify]").click()
    assert page.url == f"{portal}/account/welcome/"
    page.locator("input[name=first_name]").fill("Oksana")
    page.locator("input[name=accept_terms]").check()
    screenshots(page, f"cabinet-welcome-{language}")
    page.locator("main button[type=submit]").click()
    assert page.url == f"{portal}/account/"

    # Some life on the card: purchases at the till, a promo gift that expires.
    member = Member.objects.get(phone="+380675551234")
    card = member.cards.get()
    for number, total in enumerate((1240, 860, 415), start=1):
        purchase_record(card=card, store=tenant.store, receipt_id=f"K-{number}", total=D(total))
    card_adjust(
        card=card,
        amount=D(100),
        reason="Spring gift",
        actor=Actor.system("test"),
        bucket=Bucket.PROMO,
        expires_at=clock.now() + timedelta(days=14),
    )
    page.reload()
    main = page.locator("main").inner_text()
    assert TEXTS[language]["balance"] in main and "Kvitka Gold" in main
    screenshots(page, f"cabinet-home-{language}")

    page.locator(".k-tabs a[href='/account/card/']").click()
    assert card.number in page.locator(".k-show-card__number").inner_text()
    assert TEXTS[language]["card"] in page.locator("main").inner_text()
    screenshots(page, f"cabinet-card-{language}")
    # The service worker keeps the card screen: offline, it still opens.
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker, which keeps a copy of the page
    page.wait_for_timeout(500)
    page.context.set_offline(True)
    page.reload()
    assert card.number in page.locator(".k-show-card__number").inner_text()
    page.context.set_offline(False)

    page.locator(".k-tabs a[href='/account/history/']").click()
    assert TEXTS[language]["history"] in page.locator("main").inner_text()
    screenshots(page, f"cabinet-history-{language}")

    page.locator(".k-tabs a[href='/account/profile/']").click()
    assert TEXTS[language]["profile"] in page.locator("h1").inner_text()
    page.locator("input[name=last_name]").fill("Koval")
    page.locator("form:has(input[name=form][value=profile]) button[type=submit]").click()
    assert page.url.endswith("/account/profile/?saved=profile")
    screenshots(page, f"cabinet-profile-{language}")
    member.refresh_from_db()
    assert member.last_name == "Koval"
    assert blocked == [] and elsewhere == []
