"""The owner's Wallet screens in a real browser, in Ukrainian, on a phone and a desktop: every program's status, a
program's page with its problems and last pushes, "Check now", and the credentials form refusing a file that is not a
certificate."""

import datetime as dt

import pytest
from cryptography.fernet import Fernet
from django.utils import timezone

from programs.factories import BusinessFactory, ProgramFactory
from tenancy.actors import Actor
from tests.browser import DESKTOP, PHONE, admin_login, screenshots
from tests.programs.admin_support import build_tenant
from tests.wallet.pki import PASS_TYPE_ID, TEAM_ID
from wallet import services
from wallet.demo_ca import certificate_pem, key_pem
from wallet.models import AppleDevice, AppleRegistration, WalletPass

# The live server answers from another thread, so the data must be committed; serialized_rollback restores what
# the data migrations wrote (groups, collections) after the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def shoot(page, name: str) -> None:
    """Each size loaded afresh (Wagtail lays the sidebar out on load), tall enough for the whole screen: the admin
    scrolls inside its main element, which a full-page screenshot doesn't reach."""
    for label, viewport in (("phone", {**PHONE, "height": 1900}), ("desktop", {**DESKTOP, "height": 1200})):
        page.set_viewport_size(viewport)
        page.reload()
        screenshots(page, name, sizes=[(label, viewport)])


def main_text(page) -> str:
    return " ".join(page.locator("main").inner_text().replace("\xa0", " ").split())


def test_owner_checks_the_wallet_and_its_credentials_in_ukrainian(page, live_server, settings, apple_pki):
    settings.KARTKA_WALLET_SECRETS_KEY = Fernet.generate_key().decode()
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    ProgramFactory(business=tenant.business, slug="kvitka-coffee", name="Kvitka Coffee")
    ProgramFactory(business=BusinessFactory(slug="rival"), slug="rival-club", name="Rival Club")
    owner = Actor.staff(tenant.owner)
    values = services.WalletConfigInput(
        apple_pass_type_identifier=PASS_TYPE_ID,
        apple_team_identifier=TEAM_ID,
        apple_certificate=certificate_pem(apple_pki.ca.certificate).decode(),
        apple_wwdr=certificate_pem(apple_pki.wwdr).decode(),
        apple_key=key_pem(apple_pki.ca.key),
    )
    services.wallet_config_save(program=tenant.program, values=values, actor=owner)
    wallet_pass = WalletPass.objects.create(program=tenant.program, card=tenant.card)
    device = AppleDevice.objects.create(library_identifier="0f9e8d7c6b5a49382716", push_token="t" * 64)
    AppleRegistration.objects.create(
        device=device,
        wallet_pass=wallet_pass,
        last_push_at=timezone.now() - dt.timedelta(minutes=20),
        last_push_status=200,
    )

    admin_login(page, live_server, tenant.owner, language="uk")
    page.goto(f"{live_server.url}/admin/loyalty/wallet/")
    shoot(page, "wallet-admin-index-uk")
    listing = main_text(page)
    assert "Kvitka Club" in listing and "Kvitka Coffee" in listing and "Rival" not in listing
    assert "З програми · ще не перевірено" in listing
    assert "Не налаштовано" in listing

    page.get_by_role("link", name="Kvitka Club").click()
    page.get_by_role("button", name="Перевірити зараз").click()
    page.wait_for_url(f"{live_server.url}/admin/loyalty/wallet/{tenant.program.pk}/")
    # No APNs key: pushes are off, and the page says so (the message shows once, before the screenshots reload).
    assert "Перевірено: 1 проблема" in page.locator(".messages").inner_text()
    shoot(page, "wallet-admin-program-uk")
    program = main_text(page)
    assert "Попередження: не задано ключ APNs" in program
    assert tenant.card.number in program and "0f9e8d7c…" in program
    assert "t" * 64 not in page.content()

    page.get_by_role("link", name="Облікові дані").first.click()
    page.wait_for_url(f"{live_server.url}/admin/loyalty/wallet/{tenant.program.pk}/credentials/")
    shoot(page, "wallet-admin-credentials-uk")
    form = main_text(page)
    assert "Ключ збережено — завантажте новий, щоб замінити його." in form
    assert "PRIVATE KEY" not in page.content()

    page.set_input_files(
        "input[name=apple_certificate]", files=[{"name": "pass.cer", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.get_by_role("button", name="Зберегти й перевірити").click()
    page.wait_for_load_state()
    assert "Це не сертифікат (.cer або .pem)." in main_text(page)
    screenshots(page, "wallet-admin-credentials-error-uk", sizes=[("phone", {**PHONE, "height": 1900})])
