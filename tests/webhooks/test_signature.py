"""A receiver can verify what Kartka sends with nothing but the secret, the headers and the raw body: checked with
the guide's own receiver snippet (docs/api.md), run verbatim, and by recomputing the HMAC from scratch."""

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from programs import clock
from programs.services.purchases import purchase_record
from tenancy.actors import SYSTEM
from tests.conftest import D
from webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookDelivery
from webhooks.services import endpoint_secret_rotate, endpoint_test_send

pytestmark = pytest.mark.django_db


def guide_verify():
    """The ``verify`` function of the guide's "Verifying the signature" snippet."""
    guide = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    section = guide[guide.index("### Verifying the signature") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace = {}
    exec(code, namespace)
    return namespace["verify"]


@pytest.fixture
def endpoint(program):
    return WebhookEndpointFactory(program=program, url="https://crm.example.com/hooks", events=["purchase.recorded"])


@pytest.fixture
def delivered(make_card, cashback_type, store, endpoint, receiver, committed):
    card = make_card(cashback_type, first_name="Ольга")  # non-ASCII in the body: the bytes are what counts
    with committed():
        purchase_record(card=card, store=store, receipt_id="R-Ü1", total=D(100))
    [request] = receiver.requests
    return request


def test_the_guide_snippet_accepts_what_kartka_sends(delivered, endpoint):
    verify = guide_verify()
    sent_at = int(delivered.headers["Kartka-Timestamp"])

    assert verify(endpoint.secret, delivered.headers, delivered.content, now=sent_at + 10)
    # ... and refuses a tampered body, another secret, an old signature and a missing header.
    tampered = delivered.content.replace(b'"total":"100.00"', b'"total":"1.00"')
    assert tampered != delivered.content
    assert not verify(endpoint.secret, delivered.headers, tampered, now=sent_at)
    assert not verify("whsec_someone-else", delivered.headers, delivered.content, now=sent_at)
    assert not verify(endpoint.secret, delivered.headers, delivered.content, now=sent_at + 301)
    assert not verify(endpoint.secret, {}, delivered.content, now=sent_at)


def test_the_signature_is_hmac_sha256_of_timestamp_dot_raw_body(delivered, endpoint):
    header = delivered.headers["Kartka-Signature"]
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)

    assert match is not None, header
    timestamp, mac = match.groups()
    assert timestamp == delivered.headers["Kartka-Timestamp"]
    assert abs(int(timestamp) - clock.now().timestamp()) < 60
    expected = hmac.new(endpoint.secret.encode(), timestamp.encode() + b"." + delivered.content, hashlib.sha256)
    assert hmac.compare_digest(mac, expected.hexdigest())
    # The body is the stored payload byte for byte: compact UTF-8 JSON, not re-serialised on the way.
    assert delivered.content == WebhookDelivery.objects.get().payload.encode()
    assert "Ольга" not in delivered.content.decode()  # purchases don't name the member ...
    assert b"R-\xc3\x9c1" in delivered.content  # ... but their own text stays UTF-8, not \u-escaped
    body = json.loads(delivered.content)
    assert delivered.content == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def test_what_the_request_carries(delivered, endpoint):
    delivery = WebhookDelivery.objects.get()

    assert delivered.method == "POST"
    assert str(delivered.url) == "https://crm.example.com/hooks"
    assert delivered.headers["Content-Type"] == "application/json"
    assert delivered.headers["User-Agent"] == "Kartka-Webhooks/1"
    assert delivered.headers["Kartka-Event"] == "purchase.recorded"
    assert delivered.headers["Kartka-Event-Id"] == str(delivery.event_id) == json.loads(delivered.content)["id"]
    assert delivered.headers["Kartka-Delivery"] == str(delivery.uuid)
    assert delivered.headers["Kartka-Attempt"] == "1"
    assert endpoint.secret not in delivered.content.decode()
    assert endpoint.secret not in str(delivered.headers)


def test_each_endpoint_signs_with_its_own_secret_and_a_new_secret_signs_at_once(program, receiver, committed):
    verify = guide_verify()
    endpoint = WebhookEndpointFactory(program=program, events=["purchase.recorded"])
    old_secret = endpoint.secret

    with committed():
        endpoint_test_send(endpoint=endpoint, actor=SYSTEM)
    endpoint = endpoint_secret_rotate(endpoint=endpoint, actor=SYSTEM)
    with committed():
        endpoint_test_send(endpoint=endpoint, actor=SYSTEM)

    first, second = receiver.requests
    assert endpoint.secret != old_secret and endpoint.secret.startswith("whsec_")
    assert verify(old_secret, first.headers, first.content) and not verify(
        endpoint.secret, first.headers, first.content
    )
    assert verify(endpoint.secret, second.headers, second.content)
    assert not verify(old_secret, second.headers, second.content)
