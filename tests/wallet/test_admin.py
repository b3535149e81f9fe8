"""The Wallet admin over HTTP as an owner uses it: every program's status, a program's page and "Check now", the
credentials form (PEM and .p12 uploads stored sealed, every refusal a field error that saves nothing, secrets never
shown again, every change audited without them), the member page's wallet panel; and around it the tenancy (another
business's program is a 404 on every URL), the permission, CSRF and a listing whose query count doesn't grow."""

import datetime as dt
import json

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from programs.factories import ProgramFactory, UserFactory
from programs.models import AuditEvent
from tests.programs.admin_support import admin_url, build_tenant, field_errors, form_errors, page_text, soup
from tests.test_translations import compiled_catalogs  # noqa: F401  (fixture)
from tests.wallet import google_fake
from tests.wallet.pki import APNS_KEY_ID, PASS_TYPE_ID, TEAM_ID
from wallet.credentials import apple_credentials, google_credentials
from wallet.demo_ca import certificate_pem, key_pem, rsa_key_new
from wallet.models import AppleDevice, AppleRegistration, WalletConfig, WalletPass
from wallet.secrets import secret_open

pytestmark = pytest.mark.django_db

DEVICE_ID = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
PUSH_TOKEN = "f" * 64


@pytest.fixture(autouse=True)
def secrets_key(settings):
    settings.KARTKA_WALLET_SECRETS_KEY = Fernet.generate_key().decode()
    return settings


@pytest.fixture
def beta(db):
    return build_tenant("beta", phone="+380672000002", first_name="Bohdan")


@pytest.fixture
def owner(client, alpha, beta):
    client.force_login(alpha.owner)
    return client


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)


def pem_uploads(apple_pki, apns_key, *, certificate=None, key=None) -> dict:
    """A full set of PEM uploads: the test chain's pass certificate and key, the WWDR, the APNs key, Google's JSON."""
    return {
        "apple_pass_type_identifier": PASS_TYPE_ID,
        "apple_team_identifier": TEAM_ID,
        "apple_certificate": upload("pass.cer", certificate_pem(certificate or apple_pki.ca.certificate)),
        "apple_key": upload("pass.pem", key_pem(key or apple_pki.ca.key)),
        "apple_wwdr": upload("AppleWWDRCAG4.cer", certificate_pem(apple_pki.wwdr)),
        "apns_key_id": APNS_KEY_ID,
        "apns_key": upload(f"AuthKey_{APNS_KEY_ID}.p8", key_pem(apns_key)),
        "google_issuer_id": google_fake.ISSUER_ID,
        "google_service_account": upload("kartka.json", json.dumps(google_fake.service_account())),
    }


def credentials_url(tenant) -> str:
    return admin_url("wallet_admin:credentials", tenant.program.pk)


def nothing_saved(tenant) -> None:
    assert not WalletConfig.objects.filter(program=tenant.program).exists()
    assert not AuditEvent.objects.filter(action__startswith="walletconfig").exists()


def registered(card, *, pushed_at=None, status=None, reason="", device_id=DEVICE_ID) -> AppleRegistration:
    wallet_pass, _created = WalletPass.objects.get_or_create(program=card.program, card=card)
    device = AppleDevice.objects.create(library_identifier=device_id, push_token=PUSH_TOKEN)
    return AppleRegistration.objects.create(
        device=device,
        wallet_pass=wallet_pass,
        last_push_at=pushed_at,
        last_push_status=status,
        last_push_reason=reason,
    )


# --- Status ------------------------------------------------------------------------------------------------------


def test_the_listing_shows_each_wallet_and_the_passes(owner, alpha, beta, apple_settings):
    pushed = timezone.now() - dt.timedelta(hours=2)
    registered(alpha.card, pushed_at=pushed, status=200)
    WalletPass.objects.filter(card=alpha.card).update(google_saved_at=timezone.now())

    response = owner.get(admin_url("wallet_admin:index"))

    assert response.status_code == 200
    row = " ".join(soup(response).select_one("main table tbody tr").get_text(" ").split())
    assert alpha.program.name in row
    assert "From the environment · not checked yet" in row  # Apple, from the test chain set install-wide
    assert "Not configured" in row  # Google
    cells = [cell.get_text(strip=True) for cell in soup(response).select("main table tbody tr td")]
    assert cells[4:7] == ["1", "1", "1"]  # passes, Apple devices, saved to Google
    assert beta.program.name not in page_text(response)


def test_check_now_stores_what_is_wrong_and_the_page_says_it(owner, alpha, apple_settings):
    page = owner.get(admin_url("wallet_admin:program", alpha.program.pk))
    assert "Not checked yet" in page_text(page)
    form = soup(page).select_one(f'form[action="{admin_url("wallet_admin:check", alpha.program.pk)}"]')
    assert form is not None and form.select_one('input[name="csrfmiddlewaretoken"]')

    response = owner.post(admin_url("wallet_admin:check", alpha.program.pk), follow=True)

    config = WalletConfig.objects.get(program=alpha.program)
    assert config.checked_at is not None
    # The install-wide credentials have no APNs key: signing works, pushes are off, which the check says.
    assert config.apple_problems and all("APNs" in problem for problem in config.apple_problems)
    assert config.google_problems == []
    assert config.apple_pass_type_identifier == ""  # the row holds findings only: still the environment's
    text = page_text(response)
    for problem in config.apple_problems:
        assert problem in text
    assert "From the environment" in text and PASS_TYPE_ID in text
    event = AuditEvent.objects.get(action="walletconfig.check")
    assert (event.actor, event.program) == (alpha.owner, alpha.program)
    assert owner.get(admin_url("wallet_admin:check", alpha.program.pk)).status_code == 405


def test_unreadable_credentials_are_a_problem_in_words(owner, alpha, settings, apple_pki_files):
    settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.KARTKA_WALLET_APPLE_CERTIFICATE = str(apple_pki_files["pass.pem"])
    settings.KARTKA_WALLET_APPLE_KEY = str(apple_pki_files["pass.pem"])  # a certificate where the key should be

    owner.post(admin_url("wallet_admin:check", alpha.program.pk))

    (problem,) = WalletConfig.objects.get(program=alpha.program).apple_problems
    assert problem == (
        "The credentials cannot be read: the certificate key is not a PEM private key, or its password is wrong."
    )


def test_the_last_pushes_show_no_push_token(owner, alpha):
    pushed = timezone.now() - dt.timedelta(minutes=5)
    registered(alpha.card, pushed_at=pushed, status=410, reason="Unregistered")

    response = owner.get(admin_url("wallet_admin:program", alpha.program.pk))

    (row,) = soup(response).select("[data-pushes] tbody tr")
    assert alpha.card.number in row.get_text()
    assert DEVICE_ID[:8] in row.get_text() and DEVICE_ID not in response.content.decode()
    assert row.select_one("[data-answer]").get_text(strip=True) == "410 Unregistered"
    assert PUSH_TOKEN not in response.content.decode()
    assert soup(response).select_one("[data-apple-devices]").get_text(strip=True) == "1"


# --- Credentials ---------------------------------------------------------------------------------------------


def test_pem_uploads_are_stored_sealed_and_checked(owner, alpha, apple_pki, apns_key):
    response = owner.post(credentials_url(alpha), pem_uploads(apple_pki, apns_key))

    assert response.status_code == 302, form_errors(response)
    assert response["Location"] == admin_url("wallet_admin:program", alpha.program.pk)
    config = WalletConfig.objects.get(program=alpha.program)
    assert (config.apple_pass_type_identifier, config.apple_team_identifier) == (PASS_TYPE_ID, TEAM_ID)
    assert (config.apns_key_id, config.google_issuer_id) == (APNS_KEY_ID, google_fake.ISSUER_ID)
    assert config.apple_certificate == certificate_pem(apple_pki.ca.certificate).decode()
    for column, plain in (
        ("apple_key_sealed", key_pem(apple_pki.ca.key)),
        ("apns_key_sealed", key_pem(apns_key)),
        ("google_service_account_sealed", json.dumps(google_fake.service_account()).encode()),
    ):
        sealed = getattr(config, column)
        assert sealed and b"PRIVATE KEY" not in sealed.encode() and "client_email" not in sealed
        assert secret_open(sealed) == plain
    loaded = apple_credentials(alpha.program)
    assert (loaded.source, loaded.can_push) == ("program", True)
    assert google_credentials(alpha.program).email == google_fake.CLIENT_EMAIL
    assert (config.apple_problems, config.google_problems) == ([], [])
    assert config.checked_at is not None

    page = owner.get(response["Location"])
    assert "Credentials saved and checked: no problems found." in page_text(page)
    assert "From the program · healthy" in page_text(owner.get(admin_url("wallet_admin:index")))
    event = AuditEvent.objects.get(action="walletconfig.update")
    assert event.actor == alpha.owner
    assert event.changes["apple_pass_type_identifier"] == ["", PASS_TYPE_ID]
    assert event.changes["apple_key_sealed"][0] == "" and event.changes["apple_key_sealed"][1].startswith("SHA-256")
    logged = json.dumps(event.changes)
    assert "PRIVATE KEY" not in logged and "private_key" not in logged and sealed not in logged


def test_a_p12_with_its_password_gives_the_certificate_key_and_wwdr(owner, alpha, apple_pki):
    certificate, key = apple_pki.pass_certificate()
    p12 = pkcs12.serialize_key_and_certificates(
        b"Pass Type ID", key, certificate, [apple_pki.wwdr], BestAvailableEncryption(b"s3cret")
    )

    response = owner.post(
        credentials_url(alpha),
        {"apple_certificate": upload("Certificates.p12", p12), "apple_p12_password": "s3cret"},
    )

    assert response.status_code == 302, form_errors(response)
    config = WalletConfig.objects.get(program=alpha.program)
    assert (config.apple_pass_type_identifier, config.apple_team_identifier) == (PASS_TYPE_ID, TEAM_ID)  # read
    assert config.apple_wwdr == certificate_pem(apple_pki.wwdr).decode()
    assert b"s3cret" not in config.apple_key_sealed.encode()
    loaded = apple_credentials(alpha.program)
    assert loaded.certificate == certificate
    assert loaded.key.private_numbers() == key.private_numbers()
    # No APNs key: a warning, saved all the same.
    assert config.apple_problems and all("APNs" in problem for problem in config.apple_problems)


def test_a_p12_with_a_wrong_password_is_a_field_error(owner, alpha, apple_pki):
    certificate, key = apple_pki.pass_certificate()
    p12 = pkcs12.serialize_key_and_certificates(b"x", key, certificate, None, BestAvailableEncryption(b"right"))

    response = owner.post(
        credentials_url(alpha), {"apple_certificate": upload("c.p12", p12), "apple_p12_password": "wrong"}
    )

    assert field_errors(response, "apple_certificate") == [
        "This .p12 file cannot be opened: is it one, and is the password right?"
    ]
    nothing_saved(alpha)


def _expired(apple_pki):
    now = dt.datetime.now(dt.UTC)
    return apple_pki.pass_certificate(not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=2))


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("key of another certificate", "apple_key", "This key does not belong to the certificate."),
        ("wrong pass type id", "apple_pass_type_identifier", f"issued for the pass type ID {PASS_TYPE_ID}, not"),
        ("wrong team id", "apple_team_identifier", f"issued for the team ID {TEAM_ID}, not this one"),
        ("expired certificate", "apple_certificate", "This certificate expired on"),
        ("not a certificate", "apple_certificate", "This is not a certificate (.cer or .pem)."),
        ("google not json", "google_service_account", "This is not a JSON file."),
        ("google without key", "google_service_account", "The key lacks private_key"),
        ("google bad key", "google_service_account", "The key's private_key cannot be read."),
        ("google issuer letters", "google_issuer_id", "Digits only"),
    ],
)
def test_bad_credentials_are_field_errors_and_save_nothing(owner, alpha, apple_pki, apns_key, case, field, message):
    data = pem_uploads(apple_pki, apns_key)
    if case == "key of another certificate":
        data["apple_key"] = upload("other.pem", key_pem(rsa_key_new()))
    elif case == "wrong pass type id":
        data["apple_pass_type_identifier"] = "pass.com.example.other"
    elif case == "wrong team id":
        data["apple_team_identifier"] = "ZZZZZ99999"
    elif case == "expired certificate":
        certificate, key = _expired(apple_pki)
        data.update(pem_uploads(apple_pki, apns_key, certificate=certificate, key=key))
    elif case == "not a certificate":
        data["apple_certificate"] = upload("pass.cer", b"hello")
    elif case == "google not json":
        data["google_service_account"] = upload("key.json", b"{not json")
    elif case == "google without key":
        data["google_service_account"] = upload("key.json", json.dumps(google_fake.service_account(private_key=None)))
    elif case == "google bad key":
        data["google_service_account"] = upload(
            "key.json", json.dumps(google_fake.service_account(private_key="-----BEGIN PRIVATE KEY-----\nxx\n"))
        )
    elif case == "google issuer letters":
        data["google_issuer_id"] = "issuer-abc"

    response = owner.post(credentials_url(alpha), data)

    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(message in error for error in errors), errors
    nothing_saved(alpha)


def test_without_a_secrets_key_nothing_is_saved(owner, alpha, apple_pki, apns_key, settings):
    settings.KARTKA_WALLET_SECRETS_KEY = ""

    response = owner.post(credentials_url(alpha), pem_uploads(apple_pki, apns_key))

    assert response.status_code == 200
    assert "Set WALLET_SECRETS_KEY on the server first" in " ".join(form_errors(response))
    nothing_saved(alpha)


@pytest.mark.usefixtures("compiled_catalogs")
def test_the_secrets_key_error_speaks_the_owners_language(owner, alpha, apple_pki, apns_key, settings):
    from wagtail.users.models import UserProfile

    settings.KARTKA_WALLET_SECRETS_KEY = ""
    profile = UserProfile.get_for_user(alpha.owner)
    profile.preferred_language = "uk"
    profile.save()

    response = owner.post(credentials_url(alpha), pem_uploads(apple_pki, apns_key))

    assert "Спершу задайте WALLET_SECRETS_KEY на сервері" in " ".join(form_errors(response))
    nothing_saved(alpha)


def test_stored_secrets_are_never_shown_and_can_be_kept_replaced_or_removed(owner, alpha, apple_pki, apns_key):
    assert owner.post(credentials_url(alpha), pem_uploads(apple_pki, apns_key)).status_code == 302
    before = WalletConfig.objects.get(program=alpha.program)

    form = owner.get(credentials_url(alpha))
    html = form.content.decode()
    assert "PRIVATE KEY" not in html and before.apple_key_sealed not in html and "client_email" not in html
    assert "no-store" in form["Cache-Control"]
    assert "A key is stored — upload a new one to replace it." in page_text(form)
    assert soup(form).select_one('input[name="apple_pass_type_identifier"]')["value"] == PASS_TYPE_ID
    assert soup(form).select_one('form[enctype="multipart/form-data"]')

    # Only the ids again: everything stored is kept.
    ids = {"apple_pass_type_identifier": PASS_TYPE_ID, "apns_key_id": APNS_KEY_ID}
    kept = owner.post(credentials_url(alpha), {**ids, "google_issuer_id": google_fake.ISSUER_ID})
    assert kept.status_code == 302, form_errors(kept)
    config = WalletConfig.objects.get(program=alpha.program)
    assert (config.apple_key_sealed, config.apns_key_sealed) == (before.apple_key_sealed, before.apns_key_sealed)
    assert config.apple_team_identifier == TEAM_ID

    removed = owner.post(
        credentials_url(alpha),
        {"apple_pass_type_identifier": PASS_TYPE_ID, "apns_key_remove": "on", "google_remove": "on"},
    )
    assert removed.status_code == 302, form_errors(removed)
    config.refresh_from_db()
    assert (config.apns_key_sealed, config.apns_key_id, config.google_service_account_sealed) == ("", "", "")
    assert config.apple_key_sealed == before.apple_key_sealed
    assert google_credentials(alpha.program) is None
    last = AuditEvent.objects.filter(action="walletconfig.update").order_by("-pk").first()
    assert last.changes["apns_key_sealed"][1] == "" and last.changes["google_issuer_id"][1] == ""


def test_stopping_the_programs_own_apple_credentials(owner, alpha, apple_pki, apns_key):
    owner.post(credentials_url(alpha), pem_uploads(apple_pki, apns_key))

    response = owner.post(credentials_url(alpha), {"apple_remove": "on", "google_issuer_id": google_fake.ISSUER_ID})

    assert response.status_code == 302, form_errors(response)
    config = WalletConfig.objects.get(program=alpha.program)
    assert (config.apple_pass_type_identifier, config.apple_certificate, config.apple_key_sealed) == ("", "", "")
    assert apple_credentials(alpha.program) is None
    assert google_credentials(alpha.program) is not None


# --- Member page ---------------------------------------------------------------------------------------------


def test_the_member_page_shows_each_cards_wallet(owner, alpha):
    pushed = timezone.now() - dt.timedelta(hours=1)
    registration = registered(alpha.card, pushed_at=pushed, status=200)
    WalletPass.objects.filter(pk=registration.wallet_pass_id).update(
        apple_fetched_at=pushed, google_synced_at=pushed, google_status="200", google_object_id="338.kartka-x"
    )

    response = owner.get(admin_url("loyalty_members:detail", alpha.member.pk))

    panel = soup(response).select_one("[data-member-wallet]")
    row = panel.select_one(f'[data-wallet-card="{alpha.card.number}"]')
    devices = row.select("[data-device]")
    assert len(devices) == 1
    assert DEVICE_ID[:8] in devices[0].get_text() and "answer 200" in devices[0].get_text()
    assert row.select_one("[data-fetched]").get_text(strip=True) != "—"
    assert "Sent, not saved by the customer yet" in row.select_one("[data-google]").get_text()
    assert PUSH_TOKEN not in response.content.decode()


def test_the_member_page_says_when_a_card_has_no_pass(owner, alpha):
    response = owner.get(admin_url("loyalty_members:detail", alpha.member.pk))

    row = soup(response).select_one(f'[data-wallet-card="{alpha.card.number}"]')
    assert "No pass yet" in row.get_text()


# --- Who may --------------------------------------------------------------------------------------------------


def wallet_patterns():
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace == "wallet_admin":
                found.append((entry.name, sorted(entry.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def test_every_wallet_url_with_another_business_program_is_not_found(owner, alpha, beta, apple_pki, apns_key):
    config = WalletConfig.objects.create(program=beta.program, google_issuer_id="1", apple_problems=["Beta problem"])
    registered(beta.card, pushed_at=timezone.now(), status=200)
    before = list(WalletConfig.objects.filter(pk=config.pk).values())
    walked = []

    for name, params in wallet_patterns():
        if not params:
            continue
        url = admin_url(f"wallet_admin:{name}", *[beta.program.pk for _ in params])
        get = owner.get(url)
        post = owner.post(url, pem_uploads(apple_pki, apns_key))
        assert get.status_code == 404, f"GET {url} -> {get.status_code}"
        assert post.status_code == 404, f"POST {url} -> {post.status_code}"
        assert "Beta problem" not in get.content.decode() + post.content.decode()
        walked.append(name)

    assert sorted(walked) == ["check", "credentials", "program"]
    assert list(WalletConfig.objects.filter(pk=config.pk).values()) == before
    assert not AuditEvent.objects.filter(action__startswith="walletconfig").exists()
    listing = page_text(owner.get(admin_url("wallet_admin:index")))
    results = page_text(owner.get(admin_url("wallet_admin:index_results")))
    assert beta.program.name not in listing and beta.program.name not in results


def test_staff_without_the_permission_are_refused(client, alpha, apple_pki, apns_key):
    clerk = UserFactory(username="clerk")
    alpha.business.staff.add(clerk)  # on the business, but not in the Business owners group
    clerk.user_permissions.add(
        Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="view_member")
    )
    client.force_login(clerk)
    registered(alpha.card, pushed_at=timezone.now(), status=200)

    for url in (
        admin_url("wallet_admin:index"),
        admin_url("wallet_admin:program", alpha.program.pk),
        admin_url("wallet_admin:check", alpha.program.pk),
        admin_url("wallet_admin:credentials", alpha.program.pk),
    ):
        # 403, or Wagtail's "no permission" redirect to the dashboard (its listing views answer so).
        assert client.get(url).status_code in (302, 403), url
        assert client.post(url, pem_uploads(apple_pki, apns_key)).status_code in (302, 403), url
    nothing_saved(alpha)
    assert "Wallet" not in page_text(client.get(admin_url("wagtailadmin_home")))


def test_business_owners_have_the_permission(alpha):
    assert alpha.owner.has_perm("wallet.manage_wallet")


def test_check_now_and_saving_need_the_csrf_token(alpha, apple_pki, apns_key):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alpha.owner)

    assert strict.post(admin_url("wallet_admin:check", alpha.program.pk)).status_code == 403
    assert strict.post(credentials_url(alpha), pem_uploads(apple_pki, apns_key)).status_code == 403
    nothing_saved(alpha)


def test_a_superuser_sees_every_business(client, alpha, beta):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    listing = page_text(client.get(admin_url("wallet_admin:index")))

    assert alpha.program.name in listing and beta.program.name in listing
    assert client.get(admin_url("wallet_admin:program", beta.program.pk)).status_code == 200


def test_the_listing_reads_a_fixed_number_of_queries(owner, alpha):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get(admin_url("wallet_admin:index")).status_code == 200
        return len(captured)

    queries()  # warm: the first request of a process fills per-process caches
    few = queries()
    for number in range(5):
        program = ProgramFactory(business=alpha.business, slug=f"more-{number}", name=f"More {number}")
        WalletConfig.objects.create(program=program, google_issuer_id="1", checked_at=timezone.now())
    registered(alpha.card, pushed_at=timezone.now(), status=200)
    assert queries() == few


def test_the_wallet_is_in_the_loyalty_menu_after_the_webhooks(owner):
    from tests.webhooks.test_admin import sidebar_groups

    loyalty = sidebar_groups(owner.get(admin_url("wagtailadmin_home")))["Loyalty"]

    assert loyalty[loyalty.index("Webhook deliveries") + 1] == "Wallet"
    assert loyalty[loyalty.index("Wallet") + 1] == "Audit log"
