"""The PassKit web service over HTTP, as an iPhone calls it: register, list what changed, fetch the latest pass,
unregister, log; and the cabinet's download of a pass for the signed-in member only."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from programs.models import Card, Event
from programs.services.members import member_create
from programs.services.purchases import purchase_record
from tests.wallet.kit import PUBLIC_URL, field_values, pass_json
from tests.wallet.pki import PASS_TYPE_ID, needs_openssl, openssl_verify, pkpass_files
from wallet.models import AppleDevice, AppleRegistration, WalletPass
from wallet.receivers import passes_from_events
from wallet.services import passes_refresh, wallet_pass_ensure

pytestmark = pytest.mark.django_db
D = Decimal
DEVICE = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
PUSH_TOKEN = "f" * 64


@pytest.fixture
def phone():
    """The device: Django's test client on any host (devices call the webServiceURL baked into the pass)."""
    return Client()


@pytest.fixture
def wallet_pass(apple_settings, alpha):
    return wallet_pass_ensure(card=alpha.card)


def auth(wallet_pass, token=None) -> dict:
    return {"HTTP_AUTHORIZATION": f"ApplePass {token or wallet_pass.authentication_token}"}


def register(phone, wallet_pass, device=DEVICE, token=None):
    return phone.post(
        f"/wallet/apple/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}",
        data=json.dumps({"pushToken": PUSH_TOKEN}),
        content_type="application/json",
        **auth(wallet_pass, token),
    )


def serials(phone, since=None, device=DEVICE):
    query = f"?passesUpdatedSince={since}" if since is not None else ""
    return phone.get(f"/wallet/apple/v1/devices/{device}/registrations/{PASS_TYPE_ID}{query}")


def latest(phone, wallet_pass, **headers):
    return phone.get(f"/wallet/apple/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}", **headers)


def test_register_then_again_then_unregister(phone, wallet_pass):
    assert register(phone, wallet_pass).status_code == 201
    assert register(phone, wallet_pass).status_code == 200
    registration = AppleRegistration.objects.get()
    assert registration.device.push_token == PUSH_TOKEN and registration.wallet_pass == wallet_pass
    url = f"/wallet/apple/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}"
    assert phone.delete(url, **auth(wallet_pass, "wrong-token-wrong-token")).status_code == 401
    assert AppleRegistration.objects.count() == 1
    assert phone.delete(url, **auth(wallet_pass)).status_code == 200
    assert AppleRegistration.objects.count() == 0


def test_a_new_push_token_replaces_the_old_one(phone, wallet_pass):
    register(phone, wallet_pass)
    phone.post(
        f"/wallet/apple/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}",
        data=json.dumps({"pushToken": "e" * 64}),
        content_type="application/json",
        **auth(wallet_pass),
    )
    assert AppleDevice.objects.get().push_token == "e" * 64


@pytest.mark.parametrize(
    "change",
    ["token", "serial", "pass type", "no header"],
)
def test_registration_is_refused_without_the_passs_own_token(phone, wallet_pass, change):
    serial, pass_type, headers = wallet_pass.serial, PASS_TYPE_ID, auth(wallet_pass)
    if change == "token":
        headers = auth(wallet_pass, wallet_pass.authentication_token[:-1] + "x")
    elif change == "serial":
        serial = "00000000-0000-0000-0000-000000000000"
    elif change == "pass type":
        pass_type = "pass.com.example.other"
    else:
        headers = {}
    response = phone.post(
        f"/wallet/apple/v1/devices/{DEVICE}/registrations/{pass_type}/{serial}",
        data=json.dumps({"pushToken": PUSH_TOKEN}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert not AppleRegistration.objects.exists()


def test_a_registration_without_a_push_token_is_a_bad_request(phone, wallet_pass):
    response = phone.post(
        f"/wallet/apple/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}",
        data="{}",
        content_type="application/json",
        **auth(wallet_pass),
    )
    assert response.status_code == 400 and not AppleRegistration.objects.exists()


def test_after_a_purchase_the_serial_is_listed_and_the_served_pass_has_the_new_balance(phone, alpha, wallet_pass):
    register(phone, wallet_pass)
    listed = serials(phone)
    assert listed.status_code == 200 and listed.json()["serialNumbers"] == [wallet_pass.serial]
    tag = listed.json()["lastUpdated"]
    assert serials(phone, since=tag).status_code == 204

    first = latest(phone, wallet_pass, **auth(wallet_pass))
    assert field_values(pass_json(first.content))["balance"] == 65

    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-100", total=D(200))  # 5 % back: +10
    assert passes_refresh(card_ids={alpha.card.pk}) == [wallet_pass.pk]
    listed = serials(phone, since=tag)
    assert listed.status_code == 200 and listed.json()["serialNumbers"] == [wallet_pass.serial]
    assert int(listed.json()["lastUpdated"]) > int(tag)

    fresh = latest(phone, wallet_pass, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"], **auth(wallet_pass))
    assert fresh.status_code == 200
    assert field_values(pass_json(fresh.content))["balance"] == 75


def test_every_changed_pass_is_listed_not_only_the_newest(phone, apple_settings, alpha):
    second_card = Card.objects.get(
        pk=member_create(program=alpha.program, phone="+380501000009", card_types=[alpha.card_type]).cards.get().pk
    )
    first, second = wallet_pass_ensure(card=alpha.card), wallet_pass_ensure(card=second_card)
    register(phone, first)
    register(phone, second)
    tag = serials(phone).json()["lastUpdated"]
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-1", total=D(100))
    passes_refresh(card_ids={alpha.card.pk})
    purchase_record(card=second_card, store=alpha.store, receipt_id="R-2", total=D(100))
    passes_refresh(card_ids={second_card.pk})
    assert sorted(serials(phone, since=tag).json()["serialNumbers"]) == sorted([first.serial, second.serial])


def test_the_list_ignores_other_devices_and_foreign_tags(phone, wallet_pass):
    register(phone, wallet_pass)
    assert serials(phone, device="another-device").status_code == 204
    assert serials(phone, since="not-a-tag").json()["serialNumbers"] == [wallet_pass.serial]


def test_the_latest_pass_answers_304_until_it_changes_and_401_with_a_wrong_token(phone, alpha, wallet_pass):
    served = latest(phone, wallet_pass, **auth(wallet_pass))
    assert served.status_code == 200 and served["Content-Type"] == "application/vnd.apple.pkpass"
    modified = served["Last-Modified"]
    assert latest(phone, wallet_pass, HTTP_IF_MODIFIED_SINCE=modified, **auth(wallet_pass)).status_code == 304
    assert latest(phone, wallet_pass, **auth(wallet_pass, "x" * 43)).status_code == 401
    assert latest(phone, wallet_pass).status_code == 401
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-9", total=D(100))
    passes_refresh(card_ids={alpha.card.pk})
    assert latest(phone, wallet_pass, HTTP_IF_MODIFIED_SINCE=modified, **auth(wallet_pass)).status_code == 200


def test_head_and_wallets_that_never_register_can_pull(phone, wallet_pass):
    head = phone.head(f"/wallet/apple/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}", **auth(wallet_pass))
    assert head.status_code == 200 and head["Last-Modified"]
    assert not AppleRegistration.objects.exists()
    wallet_pass.refresh_from_db()
    assert wallet_pass.apple_fetched_at is not None


def test_an_unknown_serial_answers_like_a_wrong_token(phone, wallet_pass):
    response = phone.get(f"/wallet/apple/v1/passes/{PASS_TYPE_ID}/no-such-serial", **auth(wallet_pass))
    assert response.status_code == 401


def test_the_device_log_is_accepted_and_bounded(phone, caplog):
    response = phone.post(
        "/wallet/apple/v1/log",
        data=json.dumps({"logs": ["Could not verify pass " + "x" * 2000]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    [record] = [r for r in caplog.records if "Apple device says" in r.getMessage()]
    assert len(record.getMessage()) < 600
    assert phone.post("/wallet/apple/v1/log", data="nope", content_type="application/json").status_code == 400


@needs_openssl
def test_a_served_pass_verifies_with_openssl_and_points_devices_at_our_web_service(
    phone, wallet_pass, apple_pki_files, tmp_path
):
    files = pkpass_files(latest(phone, wallet_pass, **auth(wallet_pass)).content)
    data = json.loads(files["pass.json"])
    assert data["webServiceURL"] == f"{PUBLIC_URL}/wallet/apple"
    assert data["authenticationToken"] == wallet_pass.authentication_token
    assert data["serialNumber"] == wallet_pass.serial
    result = openssl_verify(files["signature"], files["manifest.json"], apple_pki_files["root.pem"], tmp_path)
    assert result.returncode == 0, result.stderr


def test_the_cabinet_serves_the_members_own_pass_only(apple_settings, alpha, anna):
    response = anna.get(f"/account/card/{alpha.card.pk}/apple-wallet/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.pkpass"
    assert "attachment" in response["Content-Disposition"]
    assert pass_json(response.content)["serialNumber"] == WalletPass.objects.get(card=alpha.card).serial
    stranger = member_create(program=alpha.program, phone="+380501000077", card_types=[alpha.card_type])
    assert anna.get(f"/account/card/{stranger.cards.get().pk}/apple-wallet/").status_code == 404
    signed_out = Client(HTTP_HOST="alpha.localhost")
    assert signed_out.get(f"/account/card/{alpha.card.pk}/apple-wallet/").status_code == 302


def test_without_credentials_there_is_no_pass_and_no_button(alpha, anna):
    assert anna.get(f"/account/card/{alpha.card.pk}/apple-wallet/").status_code == 404
    assert b"Apple Wallet" not in anna.get("/account/card/").content


def test_the_outbox_consumer_refreshes_the_pass_after_a_purchase(phone, alpha, wallet_pass):
    register(phone, wallet_pass)
    purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-7", total=D(100))
    events = list(Event.objects.filter(card_id=alpha.card.pk).order_by("pk"))
    passes_from_events(events)
    registration = AppleRegistration.objects.get()
    assert registration.push_due_at is not None


def test_the_list_reads_a_fixed_number_of_queries_whatever_the_passes(phone, apple_settings, alpha):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert serials(phone).status_code == 200
        return len(captured)

    register(phone, wallet_pass_ensure(card=alpha.card))
    queries()  # warm: the first request of a process fills per-process caches
    one = queries()
    for number in range(3):
        member = member_create(program=alpha.program, phone=f"+38050100010{number}", card_types=[alpha.card_type])
        register(phone, wallet_pass_ensure(card=member.cards.get()))
    assert queries() == one == 1
