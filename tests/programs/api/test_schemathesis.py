"""Schemathesis over the generated schema, inside the suite: every operation gets the schema's examples, boundary
values and fuzzed requests (valid and invalid) with a valid API key, against a live tenant whose rows match the
examples. No answer may be a 5xx, and every answer must match the schema (status, content type, body, headers).

Bounded so the suite stays quick: a dozen generated requests per operation and mode, no shrinking.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from programs.api import schema as doc
from programs.factories import TierFactory
from programs.pricing import Line
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust, card_issue
from programs.services.members import member_create
from programs.services.purchases import purchase_record
from tenancy.actors import SYSTEM
from tests.programs.api.conftest import D

CONFIG = schemathesis.Config.from_dict({"generation": {"max-examples": 12, "no-shrink": True}})
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application, config=CONFIG)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture
def in_test_transaction():
    """Serve requests inside the test's transaction, as Django's test client does: the real WSGI handler would
    close the connection at each request's start and end (it is not in autocommit), losing the test data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def key(program, store, cashback_type, in_test_transaction):
    """The world of the schema's examples: store "main", card 2000000000018 of +380501234567 with 250 points, and
    receipt R-1000 to refund (the purchase example records R-1001)."""
    TierFactory(program=program, name="Standard", threshold=D(0))
    member = member_create(program=program, phone=doc.MEMBER["phone"], first_name="Olena", card_types=[])
    card = card_issue(member=member, card_type=cashback_type, number=doc.CARD)
    card_adjust(card=card, amount=D(250), reason="opening", actor=SYSTEM)
    lines = [Line(amount=D(1200), sku="DRS-001", category="dresses"), Line(amount=D(300), quantity=D(2), sku="BLT-7")]
    purchase_record(card=card, store=store, receipt_id="R-1000", lines=lines)
    return api_key_create(program=program, store=store, name="Schemathesis", actor=SYSTEM).plaintext


@pytest.mark.django_db
@SCHEMA.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case, key):
    case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)
