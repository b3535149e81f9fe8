"""The cabinet's wallet buttons: shown per card for what the program has set up, "open" once the card is there,
none for a card that no longer works; and how they look on a phone, in Ukrainian, in a real browser."""

import json
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from pages.services import portal_site_create
from portal.models import ConsentKind, ConsentRecord
from portal.services import session_start
from programs import clock
from programs.services.cards import card_block
from tenancy.actors import Actor
from tests.browser import PHONE, screenshots
from tests.programs.admin_support import build_tenant, soup
from tests.wallet import google_fake
from tests.wallet.pki import PASS_TYPE_ID, TEAM_ID
from wallet.models import AppleDevice, AppleRegistration, WalletPass
from wallet.services import wallet_pass_ensure


def buttons(browser) -> dict[str, str]:
    page = soup(browser.get("/account/card/"))
    return {link["data-wallet"]: " ".join(link.get_text().split()) for link in page.select(".k-wallet a")}


@pytest.fixture
def google_settings(settings):
    settings.KARTKA_WALLET_GOOGLE_ISSUER_ID = google_fake.ISSUER_ID
    settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT = json.dumps(google_fake.service_account())
    return settings


@pytest.mark.django_db
def test_no_credentials_no_buttons(alpha, anna):
    assert buttons(anna) == {}


@pytest.mark.django_db
def test_apple_alone_then_open_once_a_phone_registered_the_pass(apple_settings, alpha, anna):
    assert buttons(anna) == {"apple": "Add to Apple Wallet"}
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    device = AppleDevice.objects.create(library_identifier="d" * 32, push_token="a" * 64)
    AppleRegistration.objects.create(device=device, wallet_pass=wallet_pass)
    assert buttons(anna) == {"apple": "Open in Apple Wallet"}


@pytest.mark.django_db
def test_both_wallets_and_google_open_once_saved(apple_settings, google_settings, alpha, anna):
    assert buttons(anna) == {"apple": "Add to Apple Wallet", "google": "Save to Google Wallet"}
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    WalletPass.objects.filter(pk=wallet_pass.pk).update(google_saved_at=clock.now())
    assert buttons(anna)["google"] == "Open in Google Wallet"


@pytest.mark.django_db
def test_a_blocked_card_offers_no_wallet(apple_settings, google_settings, alpha, anna):
    card_block(card=alpha.card, reason="lost", actor=Actor.staff(alpha.owner))
    assert buttons(anna) == {}


@pytest.mark.django_db
def test_unreadable_credentials_hide_the_button_instead_of_failing(apple_settings, alpha, anna):
    apple_settings.KARTKA_WALLET_APPLE_CERTIFICATE = "/nonexistent.pem"
    assert buttons(anna) == {}
    assert anna.get(f"/account/card/{alpha.card.pk}/apple-wallet/").status_code == 404


BUTTONS = {
    "uk": ("Додати в Apple Wallet", "Зберегти в Google Wallet"),
    "ru": ("Добавить в Apple Wallet", "Сохранить в Google Wallet"),
}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["uk", "ru"])
def test_the_card_page_with_its_wallet_buttons_on_a_phone(page, live_server, settings, apple_pki_files, language):
    settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.KARTKA_WALLET_APPLE_TEAM_ID = TEAM_ID
    settings.KARTKA_WALLET_APPLE_CERTIFICATE = str(apple_pki_files["pass.pem"])
    settings.KARTKA_WALLET_APPLE_KEY = str(apple_pki_files["pass.key"])
    settings.KARTKA_WALLET_APPLE_WWDR = str(apple_pki_files["wwdr.pem"])
    settings.KARTKA_WALLET_GOOGLE_ISSUER_ID = google_fake.ISSUER_ID
    settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT = json.dumps(google_fake.service_account())
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    port = urlparse(live_server.url).port
    portal_site_create(
        program=tenant.program, hostname="kvitka.localhost", port=port, actor=Actor.system("test"), language="uk"
    )
    ConsentRecord.objects.create(program=tenant.program, member=tenant.member, kind=ConsentKind.TERMS, granted=True)
    key = session_start(member=tenant.member, user_agent="playwright")
    page.context.add_cookies(
        [
            {"name": "kartka_member", "value": key, "domain": "kvitka.localhost", "path": "/"},
            {"name": "kartka_language", "value": language, "domain": "kvitka.localhost", "path": "/"},
        ]
    )
    page.set_viewport_size(PHONE)
    page.goto(f"http://kvitka.localhost:{port}/account/card/")
    apple = page.locator("a[data-wallet=apple]")
    google = page.locator("a[data-wallet=google]")
    assert (apple.inner_text().strip(), google.inner_text().strip()) == BUTTONS[language]
    box = apple.bounding_box()
    assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    screenshots(page, f"wallet-card-{language}")
    with page.expect_download() as download:
        apple.click()
    assert download.value.suggested_filename.endswith(".pkpass")
    assert WalletPass.objects.filter(card=tenant.card, created_at__gte=clock.now() - timedelta(minutes=5)).exists()
