"""Webhooks in the Loyalty admin, over HTTP as an owner uses them: endpoints (create with checkboxes, the secret
shown and audited, edit, delete, validation), the delivery log (filters, a delivery's page), a test event and
re-sending, the permissions each action needs, and a listing whose query count doesn't grow with its rows."""

import json

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from programs.factories import UserFactory
from programs.models import AuditEvent
from tenancy.actors import SYSTEM
from tests.programs.admin_support import admin_url, field_errors, form_data, page_text, soup
from tests.test_translations import compiled_catalogs  # noqa: F401  (fixture)
from webhooks.choices import DeliveryStatus
from webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client, alpha, beta):
    client.force_login(alpha.owner)
    return client


@pytest.fixture
def endpoint(alpha):
    return WebhookEndpointFactory(
        program=alpha.program,
        url="https://crm.alpha.example.com/hooks",
        description="Alpha CRM",
        events=["card.issued"],
    )


def create_data(tenant, **changes):
    data = {
        "program": tenant.program.pk,
        "url": "https://crm.example.com/kartka",
        "description": "CRM",
        "events": ["purchase.recorded", "points.redeemed"],
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_form_offers_checkboxes_and_only_the_own_programs(owner, alpha, beta):
    page = soup(owner.get(admin_url("webhooks_endpoints:add")))

    boxes = {box["value"]: box for box in page.select('input[type="checkbox"][name="events"]')}
    assert list(boxes) == [
        "member.created",
        "card.issued",
        "purchase.recorded",
        "points.redeemed",
        "purchase.refunded",
        "tier.changed",
        "points.expired",
    ]
    programs = [option.get_text(strip=True) for option in page.select('select[name="program"] option')]
    assert alpha.program.name in programs and beta.program.name not in programs
    assert not page.select('[name="secret"]')  # generated, never typed


def test_creating_an_endpoint_shows_its_secret_once_saved(owner, alpha):
    response = owner.post(admin_url("webhooks_endpoints:add"), create_data(alpha))

    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == admin_url("webhooks_endpoints:secret", endpoint.pk)
    assert (endpoint.program, endpoint.url, endpoint.description, endpoint.is_active) == (
        alpha.program,
        "https://crm.example.com/kartka",
        "CRM",
        True,
    )
    assert endpoint.events == ["points.redeemed", "purchase.recorded"]
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    secret_page = owner.get(response["Location"])
    assert soup(secret_page).select_one("#endpoint-secret")["value"] == endpoint.secret
    assert "no-store" in secret_page["Cache-Control"]
    assert "Copy its signing secret now" in page_text(secret_page)
    created = AuditEvent.objects.get(action="webhookendpoint.create")
    assert created.object_id == str(endpoint.pk) and created.actor == alpha.owner
    assert endpoint.secret not in json.dumps(created.changes)
    reveal = AuditEvent.objects.get(action="webhook_endpoint.secret_reveal")
    assert (reveal.actor, reveal.object_id, reveal.changes) == (alpha.owner, str(endpoint.pk), {})


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"url": "ftp://files.example.com/"}, "url", "Enter a valid URL."),
        ({"url": "no url at all"}, "url", "Enter a valid URL."),
        ({"url": "https://me:pw@crm.example.com/"}, "url", "must not contain a user name or password"),
        ({"url": ""}, "url", "This field is required."),
        ({"events": None}, "events", "Choose at least one event."),
        ({"events": ["webhook.test"]}, "events", "Select a valid choice."),
    ],
)
def test_invalid_input_is_shown_on_the_field(owner, alpha, changes, field, message):
    response = owner.post(admin_url("webhooks_endpoints:add"), create_data(alpha, **changes))

    assert response.status_code == 200
    assert any(message in error for error in field_errors(response, field)), field_errors(response, field)
    assert not WebhookEndpoint.objects.exists()


def test_private_urls_are_a_form_error_when_the_server_refuses_them(owner, alpha, settings):
    settings.KARTKA_WEBHOOK_ALLOW_PRIVATE = False

    response = owner.post(admin_url("webhooks_endpoints:add"), create_data(alpha, url="http://192.168.1.20/hooks"))

    assert field_errors(response, "url") == [
        "192.168.1.20 is in a private or reserved network; this server does not send webhooks there."
    ]
    assert not WebhookEndpoint.objects.exists()


def test_editing_changes_events_and_activity_but_not_the_program(owner, alpha, endpoint):
    url = admin_url("webhooks_endpoints:edit", endpoint.pk)
    data = form_data(owner.get(url))
    secret = endpoint.secret
    data.setlist("events", ["card.issued", "tier.changed"])
    data.pop("is_active", None)
    data["program"] = "999999"

    response = owner.post(url, dict(data.lists()))

    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.is_active, endpoint.program, endpoint.secret) == (
        ["card.issued", "tier.changed"],
        False,
        alpha.program,
        secret,
    )
    update = AuditEvent.objects.get(action="webhookendpoint.update")
    assert update.changes == {
        "events": [["card.issued"], ["card.issued", "tier.changed"]],
        "is_active": [True, False],
    }


def test_deleting_an_endpoint_takes_its_log_with_it(owner, endpoint):
    WebhookDeliveryFactory(endpoint=endpoint)

    response = owner.post(admin_url("webhooks_endpoints:delete", endpoint.pk))

    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert AuditEvent.objects.filter(action="webhookendpoint.delete").exists()


def test_the_endpoint_listing(owner, alpha, endpoint):
    text = page_text(owner.get(admin_url("webhooks_endpoints:index")))

    assert "https://crm.alpha.example.com/hooks" in text and "Alpha CRM" in text
    assert "Card issued" in text
    assert endpoint.secret not in text


def test_sending_a_test_event(owner, endpoint, receiver, committed):
    url = admin_url("webhooks_endpoints:test", endpoint.pk)
    confirm = owner.get(url)

    with committed():
        response = owner.post(url)

    assert confirm.status_code == 200 and soup(confirm).select_one("form#w-editor-form")
    assert response.status_code == 302
    assert response["Location"] == f"{admin_url('webhooks_deliveries:index')}?endpoint={endpoint.pk}"
    assert receiver.types == ["webhook.test"]
    assert str(receiver.requests[0].url) == endpoint.url
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.event_type) == (DeliveryStatus.SUCCEEDED, "webhook.test")
    listing = page_text(owner.get(response["Location"]))
    assert "Test event queued" in listing and "Delivered" in listing


def test_a_test_event_to_an_inactive_endpoint_is_refused(owner, endpoint, receiver, committed):
    endpoint.is_active = False
    endpoint.save()

    with committed():
        response = owner.post(admin_url("webhooks_endpoints:test", endpoint.pk))

    assert response.status_code == 200
    assert "The endpoint is inactive: make it active first." in page_text(response)
    assert not WebhookDelivery.objects.exists()


def test_replacing_the_secret(owner, endpoint):
    old = endpoint.secret

    response = owner.post(admin_url("webhooks_endpoints:rotate_secret", endpoint.pk))

    endpoint.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == admin_url("webhooks_endpoints:secret", endpoint.pk)
    assert endpoint.secret != old
    event = AuditEvent.objects.get(action="webhook_endpoint.secret_rotate")
    assert old not in json.dumps(event.changes) and endpoint.secret not in json.dumps(event.changes)


def test_the_delivery_log_filters_by_endpoint_status_and_event(owner, alpha, endpoint):
    other = WebhookEndpointFactory(program=alpha.program, url="https://mail.alpha.example.com/", description="Mailer")
    WebhookDeliveryFactory(endpoint=endpoint, event_type="card.issued", status="failed", next_attempt_at=None)
    WebhookDeliveryFactory(
        endpoint=other, event_type="tier.changed", last_status_code=503, attempts=2, status="retrying"
    )
    index = admin_url("webhooks_deliveries:index")

    def rows(**params):
        page = soup(owner.get(index, params))
        return [" ".join(row.get_text(" ").split()) for row in page.select("table.listing tbody tr")]

    assert len(rows()) == 2
    [mailer] = rows(endpoint=other.pk)
    assert "Tier changed" in mailer and "Mailer" in mailer and "Retrying" in mailer and "503" in mailer
    [failed] = rows(status="failed")
    assert "Card issued" in failed and "Failed" in failed
    assert rows(event_type="points.expired") == []


def test_a_delivery_page_shows_the_body_and_the_last_answer(owner, endpoint, receiver, committed):
    import httpx

    from webhooks.services import endpoint_test_send

    receiver.answer(httpx.Response(500, text="Database is down"))
    with committed():
        delivery = endpoint_test_send(endpoint=endpoint, actor=SYSTEM)

    page = owner.get(admin_url("webhooks_deliveries:inspect", delivery.pk))

    html = soup(page)
    assert page.status_code == 200
    assert json.loads(html.select_one("[data-payload]").get_text()) == json.loads(receiver.requests[0].content)
    assert html.select_one("[data-status-code]").get_text() == "500"
    assert html.select_one("[data-response]").get_text() == "Database is down"
    text = page_text(page)
    assert "Retrying" in text and str(delivery.uuid) in text and endpoint.url in text
    form = html.select_one(f'form[action="{admin_url("webhooks_deliveries:resend", delivery.pk)}"]')
    assert form["method"] == "POST" and form.select_one('input[name="csrfmiddlewaretoken"]')


def test_resending_from_the_delivery_page(owner, endpoint, receiver, committed):
    original = WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None, attempts=8)

    with committed():
        response = owner.post(admin_url("webhooks_deliveries:resend", original.pk))

    resend = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302
    assert response["Location"] == admin_url("webhooks_deliveries:inspect", resend.pk)
    assert (resend.resent_from, resend.event_id, resend.status) == (original, original.event_id, "succeeded")
    assert receiver.requests[0].headers["Kartka-Delivery"] == str(resend.uuid)
    original.refresh_from_db()
    assert original.status == "failed"
    assert "Delivery queued again." in page_text(owner.get(response["Location"]))


def test_actions_are_posts_with_a_csrf_token(alpha, endpoint, receiver):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alpha.owner)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None)

    assert strict.post(admin_url("webhooks_deliveries:resend", delivery.pk)).status_code == 403
    assert strict.post(admin_url("webhooks_endpoints:test", endpoint.pk)).status_code == 403
    assert strict.post(admin_url("webhooks_endpoints:rotate_secret", endpoint.pk)).status_code == 403
    assert WebhookDelivery.objects.count() == 1
    assert strict.post(admin_url("webhooks_endpoints:secret", endpoint.pk)).status_code in (403, 405)


def test_staff_without_the_permissions_reach_nothing(client, alpha, endpoint):
    clerk = UserFactory(username="clerk")
    alpha.business.staff.add(clerk)  # on the business, but not in the Business owners group
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(clerk)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None)

    for url in (
        admin_url("webhooks_endpoints:index"),
        admin_url("webhooks_endpoints:add"),
        admin_url("webhooks_endpoints:edit", endpoint.pk),
        admin_url("webhooks_endpoints:secret", endpoint.pk),
        admin_url("webhooks_endpoints:test", endpoint.pk),
        admin_url("webhooks_deliveries:index"),
        admin_url("webhooks_deliveries:inspect", delivery.pk),
        admin_url("webhooks_deliveries:resend", delivery.pk),
    ):
        assert client.get(url).status_code in (302, 403, 404), url
        assert client.post(url, create_data(alpha)).status_code in (302, 403, 404), url
    assert WebhookDelivery.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="webhook").exists()


def test_a_reader_sees_the_log_but_cannot_resend_or_see_the_secret(client, alpha, endpoint):
    reader = UserFactory(username="reader")
    alpha.business.staff.add(reader)
    group = Group.objects.create(name="Webhook readers")
    group.permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_webhookendpoint", "view_webhookdelivery"])
    )
    reader.groups.add(group)
    client.force_login(reader)
    delivery = WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None)

    page = client.get(admin_url("webhooks_deliveries:inspect", delivery.pk))

    assert page.status_code == 200
    assert not soup(page).select(f'form[action="{admin_url("webhooks_deliveries:resend", delivery.pk)}"]')
    assert client.post(admin_url("webhooks_deliveries:resend", delivery.pk)).status_code in (302, 403)
    assert client.get(admin_url("webhooks_endpoints:secret", endpoint.pk)).status_code == 404
    assert endpoint.secret not in page_text(client.get(admin_url("webhooks_endpoints:index")))
    assert WebhookDelivery.objects.count() == 1


def test_the_delivery_listing_reads_a_fixed_number_of_queries(owner, alpha, endpoint):
    second = WebhookEndpointFactory(program=alpha.program)
    index = admin_url("webhooks_deliveries:index")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get(index).status_code == 200
        return len(captured)

    WebhookDeliveryFactory(endpoint=endpoint)
    queries()  # warm: the first request of a process fills per-process caches
    few = queries()
    for number in range(12):
        WebhookDeliveryFactory(endpoint=second if number % 2 else endpoint, attempts=number, last_status_code=500)
    assert queries() == few


def test_the_endpoint_listing_reads_a_fixed_number_of_queries(owner, alpha, endpoint):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get(admin_url("webhooks_endpoints:index")).status_code == 200
        return len(captured)

    queries()  # warm, as above
    few = queries()
    for _ in range(6):
        WebhookEndpointFactory(program=alpha.program)
    assert queries() == few


def sidebar_groups(response) -> dict[str, list[str]]:
    """The sidebar's menu as Wagtail sends it (JSON props for the React sidebar): {group label: item labels}."""
    props = json.loads(soup(response).find("script", id="wagtail-sidebar-props").string)
    groups = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("_type") == "wagtail.sidebar.SubMenuItem":
                options, children = node["_args"]
                groups[options["label"]] = [child["_args"][0]["label"] for child in children]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(props)
    return groups


def test_webhooks_are_in_the_loyalty_menu_after_api_keys(owner):
    groups = sidebar_groups(owner.get(admin_url("wagtailadmin_home")))

    loyalty = groups["Loyalty"]
    keys = loyalty.index("API keys")
    assert loyalty[keys + 1 : keys + 3] == ["Webhooks", "Webhook deliveries"]
    assert "Audit log" in loyalty[keys + 3 :]  # other apps' items (the wallet) may come in between


WORDS = {
    "ru": {
        "menu": ["Вебхуки", "Доставки вебхуков"],
        "form": ["Адрес получателя", "Участник зарегистрирован", "Баллы списаны", "Баллы сгорели"],
        "log": ["Событие", "Получатель", "Попытки", "Код ответа", "Следующая попытка", "Не доставлено"],
        "error": "Выберите хотя бы одно событие.",
    },
    "uk": {
        "menu": ["Вебхуки", "Доставки вебхуків"],
        "form": ["Адреса отримувача", "Учасника зареєстровано", "Бали списано", "Бали згоріли"],
        "log": ["Подія", "Отримувач", "Спроби", "Код відповіді", "Наступна спроба", "Не доставлено"],
        "error": "Виберіть принаймні одну подію.",
    },
}


@pytest.mark.usefixtures("compiled_catalogs")
@pytest.mark.parametrize("language", ["ru", "uk"])
def test_the_webhooks_admin_in_russian_and_ukrainian(client, alpha, endpoint, language):
    from wagtail.users.models import UserProfile

    words = WORDS[language]
    profile = UserProfile.get_for_user(alpha.owner)
    profile.preferred_language = language
    profile.save()
    client.force_login(alpha.owner)
    WebhookDeliveryFactory(endpoint=endpoint, status="failed", next_attempt_at=None, attempts=8)

    groups = sidebar_groups(client.get(admin_url("wagtailadmin_home")))
    menu = [label for labels in groups.values() for label in labels]
    form = page_text(client.get(admin_url("webhooks_endpoints:add")))
    log = page_text(client.get(admin_url("webhooks_deliveries:index")))
    invalid = client.post(admin_url("webhooks_endpoints:add"), create_data(alpha, events=None))

    for phrase in words["menu"]:
        assert phrase in menu, menu
    for phrase in words["form"]:
        assert phrase in form, phrase
    for phrase in words["log"]:
        assert phrase in log, phrase
    assert field_errors(invalid, "events") == [words["error"]]
