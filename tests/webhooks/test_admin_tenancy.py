"""Tenancy of the webhooks admin, tested like the Loyalty admin's (tests/programs/test_admin_tenancy.py): the owner
of business A walks every webhooks URL the admin registers with business B's ids and gets a 404 (or 403) each
time, GET and POST alike (re-send and test event included), and changes, sends and reveals nothing of B's. A new
view with an id in its URL is walked too (or fails this test until it is mapped)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from programs.models import AuditEvent
from tests.programs.admin_support import admin_url, field_errors, page_text, soup
from webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def alpha_client(client, alpha, beta):
    client.force_login(alpha.owner)
    return client


@pytest.fixture
def theirs(beta):
    endpoint = WebhookEndpointFactory(
        program=beta.program, url="https://crm.beta.example.com/secret-path", description="Beta CRM"
    )
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None, attempts=8)
    return endpoint, delivery


def webhook_patterns():
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace and namespace.startswith("webhooks_"):
                found.append((namespace, entry.name, sorted(entry.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def state(endpoint):
    return (
        list(WebhookEndpoint.objects.filter(pk=endpoint.pk).values()),
        list(WebhookDelivery.objects.filter(endpoint=endpoint).order_by("pk").values()),
        AuditEvent.objects.filter(program=endpoint.program).count(),
    )


def test_every_webhooks_url_with_another_business_ids_is_not_found(alpha_client, alpha, theirs, receiver, committed):
    endpoint, delivery = theirs
    ids = {"webhooks_endpoints": {"pk": endpoint.pk}, "webhooks_deliveries": {"pk": delivery.pk}}
    before = state(endpoint)
    hostile = {"program": alpha.program.pk, "url": "https://evil.example.com/", "events": ["card.issued"]}
    walked = []

    for namespace, name, params in webhook_patterns():
        if not params:
            continue
        url = admin_url(f"{namespace}:{name}", *[ids[namespace][param] for param in params])
        with committed():
            get = alpha_client.get(url)
            post = alpha_client.post(url, hostile)
        assert get.status_code in (403, 404), f"GET {url} -> {get.status_code}"
        assert post.status_code in (403, 404), f"POST {url} -> {post.status_code}"
        assert endpoint.secret not in get.content.decode() + post.content.decode()
        walked.append(f"{namespace}:{name}")

    assert state(endpoint) == before
    assert receiver.requests == []
    for expected in (
        "webhooks_endpoints:edit",
        "webhooks_endpoints:delete",
        "webhooks_endpoints:history",
        "webhooks_endpoints:secret",
        "webhooks_endpoints:rotate_secret",
        "webhooks_endpoints:test",
        "webhooks_deliveries:inspect",
        "webhooks_deliveries:resend",
    ):
        assert expected in walked


def test_listings_and_filters_show_only_the_own_business(alpha_client, alpha, beta, theirs):
    endpoint, delivery = theirs
    mine = WebhookEndpointFactory(program=alpha.program, description="Alpha CRM")
    WebhookDeliveryFactory(endpoint=mine)

    endpoints = page_text(alpha_client.get(admin_url("webhooks_endpoints:index")))
    deliveries = alpha_client.get(admin_url("webhooks_deliveries:index"))
    filtered = alpha_client.get(admin_url("webhooks_deliveries:index"), {"endpoint": endpoint.pk})
    results = alpha_client.get(admin_url("webhooks_deliveries:index_results"))

    assert "Alpha CRM" in endpoints
    for leaked in ("Beta CRM", endpoint.url, beta.program.name):
        assert leaked not in endpoints
        assert leaked not in page_text(deliveries)
        assert leaked not in page_text(filtered)
        assert leaked not in page_text(results)
    assert str(delivery.uuid) not in deliveries.content.decode()
    options = [option.get_text(strip=True) for option in soup(deliveries).select('select[name="endpoint"] option')]
    assert "Alpha CRM" in options and "Beta CRM" not in options


def test_cannot_create_an_endpoint_in_another_business_program(alpha_client, beta):
    response = alpha_client.post(
        admin_url("webhooks_endpoints:add"),
        {"program": beta.program.pk, "url": "https://evil.example.com/", "events": ["member.created"]},
    )

    assert response.status_code == 200
    assert field_errors(response, "program") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not WebhookEndpoint.objects.filter(program=beta.program).exists()


def test_superuser_sees_every_business(client, alpha, theirs):
    from programs.factories import UserFactory

    _endpoint, delivery = theirs
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    assert "Beta CRM" in page_text(client.get(admin_url("webhooks_endpoints:index")))
    assert client.get(admin_url("webhooks_deliveries:inspect", delivery.pk)).status_code == 200
