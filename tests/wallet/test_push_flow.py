"""The whole way from a till to a phone: a purchase commits, the outbox consumer finds the pass changed, the push
leaves for the registered device, and the pass the device then fetches carries the new balance. Everything is real
but Apple and Google, faked at the HTTP boundary."""

import json
from decimal import Decimal

import httpx
import pytest
from django.test import Client

from programs.services.cards import card_block
from programs.services.members import member_update
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tests.portal.conftest import sign_in
from tests.wallet import google_fake
from tests.wallet.apns_fake import fake_apns
from tests.wallet.kit import field_values, pass_json
from tests.wallet.pki import PASS_TYPE_ID
from themes.services import theme_create, theme_program_assign, theme_publish, theme_save_draft
from wallet import google
from wallet.apns import provider_tokens_forget
from wallet.demo_ca import key_pem
from wallet.models import AppleRegistration, WalletPass
from wallet.services import wallet_pass_ensure

pytestmark = pytest.mark.django_db
D = Decimal
DEVICE = "0123456789abcdef0123456789abcdef"
TOKEN = "ab" * 32


@pytest.fixture
def pushing(apple_settings, apns_key):
    apple_settings.KARTKA_WALLET_APNS_KEY_ID = "KEY1234567"
    apple_settings.KARTKA_WALLET_APNS_KEY = key_pem(apns_key).decode()
    provider_tokens_forget()
    with fake_apns() as apns:
        yield apns
    provider_tokens_forget()


@pytest.fixture
def phone_with_pass(pushing, alpha):
    wallet_pass = wallet_pass_ensure(card=alpha.card)
    phone = Client()
    response = phone.post(
        f"/wallet/apple/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}",
        data=json.dumps({"pushToken": TOKEN}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApplePass {wallet_pass.authentication_token}",
    )
    assert response.status_code == 201
    return phone, wallet_pass


def test_a_purchase_pushes_the_phone_which_then_fetches_the_new_balance(
    phone_with_pass, pushing, alpha, django_capture_on_commit_callbacks
):
    phone, wallet_pass = phone_with_pass
    with django_capture_on_commit_callbacks(execute=True):
        purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-1", total=D(200))

    [push] = pushing.requests
    assert push.url.path == f"/3/device/{TOKEN}"
    assert push.headers["apns-topic"] == PASS_TYPE_ID
    assert json.loads(push.content) == {}
    registration = AppleRegistration.objects.get()
    assert registration.push_due_at is None and registration.last_push_status == 200

    listed = phone.get(f"/wallet/apple/v1/devices/{DEVICE}/registrations/{PASS_TYPE_ID}")
    assert listed.json()["serialNumbers"] == [wallet_pass.serial]
    fetched = phone.get(
        f"/wallet/apple/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}",
        HTTP_AUTHORIZATION=f"ApplePass {wallet_pass.authentication_token}",
    )
    assert field_values(pass_json(fetched.content))["balance"] == 75  # 65 + 5 % of 200


def test_a_blocked_card_pushes_a_voided_pass(phone_with_pass, pushing, alpha, django_capture_on_commit_callbacks):
    phone, wallet_pass = phone_with_pass
    with django_capture_on_commit_callbacks(execute=True):
        card_block(card=alpha.card, reason="lost", actor=Actor.staff(alpha.owner))
    assert len(pushing.requests) == 1
    fetched = phone.get(
        f"/wallet/apple/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}",
        HTTP_AUTHORIZATION=f"ApplePass {wallet_pass.authentication_token}",
    )
    assert pass_json(fetched.content)["voided"] is True


def test_a_change_the_pass_does_not_show_pushes_nothing(
    phone_with_pass, pushing, alpha, django_capture_on_commit_callbacks
):
    member = alpha.member
    with django_capture_on_commit_callbacks(execute=True):
        member_update(member=member, actor=Actor.staff(alpha.owner), email="anna@example.com")
    assert pushing.requests == []


def test_the_google_object_is_patched_with_a_notification_after_a_purchase(
    settings, alpha, django_capture_on_commit_callbacks
):
    settings.KARTKA_WALLET_GOOGLE_ISSUER_ID = google_fake.ISSUER_ID
    settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT = json.dumps(google_fake.service_account())
    fake = google_fake.FakeGoogle()
    google.class_cache_clear()
    with google.transport_override(fake.transport()):
        anna = Client(HTTP_HOST="alpha.localhost")
        settings.KARTKA_OTP_BACKEND = "memory"
        sign_in(anna, "+380501000001")
        saved = anna.get(f"/account/card/{alpha.card.pk}/google-wallet/")
        assert saved.status_code == 302 and saved["Location"].startswith("https://pay.google.com/gp/v/save/")
        wallet_pass = WalletPass.objects.get(card=alpha.card)
        assert wallet_pass.google_object_id == f"{google_fake.ISSUER_ID}.kartka-{wallet_pass.serial}"
        before = len(fake.api_calls())
        with django_capture_on_commit_callbacks(execute=True):
            purchase_record(card=alpha.card, store=alpha.store, receipt_id="R-2", total=D(200))
        [patch] = [call for call in fake.api_calls()[before:] if call.method == "PATCH"]
        assert patch.body["notifyPreference"] == "NOTIFY_ON_UPDATE"
        assert patch.body["loyaltyPoints"]["balance"] == {"int": 75}
    wallet_pass.refresh_from_db()
    assert wallet_pass.google_due_at is None and len(wallet_pass.google_notified) == 1


def test_google_unreachable_sends_the_customer_back_to_the_card_with_a_message(settings, alpha):
    settings.KARTKA_WALLET_GOOGLE_ISSUER_ID = google_fake.ISSUER_ID
    settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT = json.dumps(google_fake.service_account())
    google.class_cache_clear()

    def down(request):
        raise httpx.ConnectError("no route")

    with google.transport_override(httpx.MockTransport(down)):
        anna = Client(HTTP_HOST="alpha.localhost")
        settings.KARTKA_OTP_BACKEND = "memory"
        sign_in(anna, "+380501000001")
        response = anna.get(f"/account/card/{alpha.card.pk}/google-wallet/")
        assert response["Location"] == "/account/card/?wallet=google-unavailable"
        assert "Google Wallet did not answer" in anna.get(response["Location"]).content.decode()


def test_publishing_the_programs_theme_pushes_its_passes_in_the_new_colours(
    phone_with_pass, pushing, alpha, django_capture_on_commit_callbacks
):
    phone, wallet_pass = phone_with_pass
    owner = Actor.staff(alpha.owner)
    theme = theme_create(business=alpha.business, actor=owner, name="Alpha Night", publish=True)
    with django_capture_on_commit_callbacks(execute=True):
        theme_program_assign(program=alpha.program, theme=theme, actor=owner)
    assert len(pushing.requests) == 1  # drawn in another theme now
    with django_capture_on_commit_callbacks(execute=True):
        theme_program_assign(program=alpha.program, theme=theme, actor=owner)
    assert len(pushing.requests) == 1  # the same theme again: nothing changed, nothing sent
    with django_capture_on_commit_callbacks(execute=True):
        theme_save_draft(
            theme=theme, actor=owner, background_colour="#101820", text_colour="#f5f5f5", label_colour="#c8c8c8"
        )
        theme_publish(theme=theme, actor=owner)
    assert len(pushing.requests) == 2
    fetched = phone.get(
        f"/wallet/apple/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}",
        HTTP_AUTHORIZATION=f"ApplePass {wallet_pass.authentication_token}",
    )
    assert pass_json(fetched.content)["backgroundColor"] == "rgb(16, 24, 32)"
