"""The wallet's test kit for tests over HTTP: a program with its portal at ``alpha.localhost``, Apple credentials
from the test PKI set install-wide (as the environment would), the member signed in to the cabinet, and helpers to
read a served pass."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from pages.cache import portal_cache_invalidate
from pages.services import portal_site_create
from portal.models import ConsentKind, ConsentRecord
from tenancy.actors import Actor
from tests.portal.conftest import sign_in
from tests.programs.admin_support import build_tenant
from tests.wallet.pki import PASS_TYPE_ID, TEAM_ID, pkpass_files

HOST = "alpha.localhost"
PUBLIC_URL = "https://wallet.kartka.example"


@pytest.fixture
def apple_settings(settings, apple_pki_files):
    """Install-wide Apple credentials (the test chain's files), and an https origin phones can reach."""
    settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID = PASS_TYPE_ID
    settings.KARTKA_WALLET_APPLE_TEAM_ID = TEAM_ID
    settings.KARTKA_WALLET_APPLE_CERTIFICATE = str(apple_pki_files["pass.pem"])
    settings.KARTKA_WALLET_APPLE_KEY = str(apple_pki_files["pass.key"])
    settings.KARTKA_WALLET_APPLE_WWDR = str(apple_pki_files["wwdr.pem"])
    settings.KARTKA_WALLET_PUBLIC_URL = PUBLIC_URL
    return settings


@pytest.fixture
def alpha(db):
    """Alpha's program with its portal; Anna (65 points) has accepted the terms."""
    portal_cache_invalidate()
    cache.clear()
    tenant = build_tenant("alpha", phone="+380501000001", first_name="Anna")
    portal_site_create(program=tenant.program, hostname=HOST, actor=Actor.system("test"), language="en")
    ConsentRecord.objects.create(program=tenant.program, member=tenant.member, kind=ConsentKind.TERMS, granted=True)
    return tenant


@pytest.fixture
def anna(alpha, settings):
    """Anna's browser, signed in to Alpha's cabinet."""
    settings.KARTKA_OTP_BACKEND = "memory"
    browser = Client(HTTP_HOST=HOST, REMOTE_ADDR="198.51.100.7")
    sign_in(browser, "+380501000001")
    return browser


def pass_json(data: bytes) -> dict:
    return json.loads(pkpass_files(data)["pass.json"])


def field_values(data: dict) -> dict:
    card = data["storeCard"]
    return {
        field["key"]: field["value"]
        for group in ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
        for field in card.get(group, [])
    }
