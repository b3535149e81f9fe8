"""The API tested over HTTP: a tenant with a store key, a member with points, and a client that speaks JSON."""

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache

from programs.api.authentication import api_keys_forget
from programs.factories import CardTypeFactory, ProgramFactory, RedemptionRuleFactory, StoreFactory
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust
from programs.services.members import member_create
from tenancy.actors import SYSTEM

PROBLEM = "application/problem+json"


@dataclass
class Api:
    """The Django test client with an API key: ``api.post("/purchases/", {...})`` under ``/api/v1``."""

    client: object
    key: str

    def headers(self, extra: dict | None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        headers.update(extra or {})
        return headers

    def get(self, path, params=None, *, headers=None):
        return self.client.get(f"/api/v1{path}", params or {}, headers=self.headers(headers))

    def post(self, path, body=None, *, headers=None, raw: str | None = None, content_type="application/json"):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(f"/api/v1{path}", data, content_type=content_type, headers=self.headers(headers))

    def patch(self, path, body=None, *, headers=None):
        data = json.dumps(body if body is not None else {})
        return self.client.patch(f"/api/v1{path}", data, content_type="application/json", headers=self.headers(headers))


def assert_problem(response, status: int, code: str) -> dict:
    """The response is a problem with this status and code; returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["type"] == f"urn:kartka:problem:{code}"
    assert body["title"] and body["detail"]
    return body


def D(value) -> Decimal:
    return Decimal(str(value))


@pytest.fixture(autouse=True)
def _throttle_state(settings):
    """Throttle counts live in the cache and key ids repeat between tests, and each process keeps the keys it
    authenticated: start every test clean and generous."""
    settings.KARTKA_API_RATE = "100000/min"
    cache.clear()
    api_keys_forget()
    yield
    cache.clear()
    api_keys_forget()


@pytest.fixture
def store_key(program, store):
    return api_key_create(program=program, store=store, name="Till 1", actor=SYSTEM)


@pytest.fixture
def program_key(program):
    return api_key_create(program=program, name="CRM", actor=SYSTEM)


@pytest.fixture
def api(client, store_key) -> Api:
    return Api(client, store_key.plaintext)


@pytest.fixture
def crm(client, program_key) -> Api:
    return Api(client, program_key.plaintext)


@pytest.fixture
def card(cashback_type):
    """A member of the program (Olena) with a 5 % cashback card holding 100 points."""
    member = member_create(
        program=cashback_type.program, phone="+380501234567", first_name="Olena", card_types=[cashback_type]
    )
    card = member.cards.get()
    card_adjust(card=card, amount=D(100), reason="opening balance", actor=SYSTEM)
    card.refresh_from_db()
    return card


@dataclass
class Other:
    program: object
    store: object
    card: object
    key: str


@pytest.fixture
def other(db):
    """A second tenant: its own program, store (with the same code "main"), member and card."""
    program = ProgramFactory(slug="other-shop", name="Other shop")
    store = StoreFactory(program=program, code="main")
    card_type = CardTypeFactory(program=program, name="Other card", cashback_percent=D(10))
    RedemptionRuleFactory(card_type=card_type)
    member = member_create(program=program, phone="+380679998877", first_name="Petro", card_types=[card_type])
    card = member.cards.get()
    card_adjust(card=card, amount=D(500), reason="other opening", actor=SYSTEM)
    key = api_key_create(program=program, store=store, name="Other till", actor=SYSTEM).plaintext
    return Other(program=program, store=store, card=card, key=key)
