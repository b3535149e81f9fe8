"""``manage.py wallet_check`` against real test certificates: healthy, unset, and each way they go wrong."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.wallet import google_fake
from tests.wallet.pki import pem_write

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("wallet_check", *args, stdout=out)
    return out.getvalue()


def test_nothing_configured_is_said_and_is_not_a_failure():
    text = run()
    assert "Apple Wallet: not configured" in text and "Google Wallet: not configured" in text


def test_healthy_apple_credentials_pass_with_the_pushes_warning(apple_settings):
    text = run()
    assert "Apple Wallet: warnings (from the environment)" in text
    assert "no APNs key" in text


def test_an_expired_certificate_fails_and_says_when_it_expired(apple_settings, apple_pki, tmp_path):
    now = dt.datetime.now(dt.UTC)
    certificate, key = apple_pki.pass_certificate(
        not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=3)
    )
    apple_settings.KARTKA_WALLET_APPLE_CERTIFICATE = str(pem_write(tmp_path / "old.pem", certificate))
    apple_settings.KARTKA_WALLET_APPLE_KEY = str(pem_write(tmp_path / "old.key", key))
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("wallet_check", stdout=out)
    assert failure.value.returncode == 1
    assert "expired" in out.getvalue()


def test_a_key_that_is_not_the_certificates_is_named(apple_settings, apple_pki, tmp_path):
    _certificate, other_key = apple_pki.pass_certificate()
    apple_settings.KARTKA_WALLET_APPLE_KEY = str(pem_write(tmp_path / "other.key", other_key))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("wallet_check", stdout=out)
    assert "The private key does not belong to" in out.getvalue()


def test_an_unreadable_file_is_said_in_plain_words(apple_settings):
    apple_settings.KARTKA_WALLET_APPLE_CERTIFICATE = "/nonexistent/pass.pem"
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("wallet_check", stdout=out)
    assert "cannot read /nonexistent/pass.pem" in out.getvalue()


def test_google_credentials_are_checked_too(settings, tmp_path):
    settings.KARTKA_WALLET_GOOGLE_ISSUER_ID = google_fake.ISSUER_ID
    account = tmp_path / "account.json"
    account.write_text(json.dumps(google_fake.service_account()))
    settings.KARTKA_WALLET_GOOGLE_SERVICE_ACCOUNT = str(account)
    assert "Google Wallet: OK (from the environment)" in run()
    settings.KARTKA_WALLET_GOOGLE_ISSUER_ID = "my-issuer"
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("wallet_check", stdout=out)
    assert "digits only" in out.getvalue()
