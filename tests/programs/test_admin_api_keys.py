"""API keys in the Loyalty admin, over HTTP: the owner creates a store or program key and sees its secret once,
the key works against the API at once, the listing shows only a masked prefix and only the own business's keys,
and revoking (with a reason, audited) shuts the key out. Another business's key is a 404."""

import re

import pytest

from programs.models import ApiKey, AuditEvent
from programs.services.api_keys import api_key_create
from tenancy.actors import Actor
from tests.programs.admin_support import admin_url, form_errors, page_text, soup

pytestmark = pytest.mark.django_db

KEY = re.compile(r"kk_[a-z0-9]+_[A-Za-z0-9_-]+")


@pytest.fixture
def owner_client(client, alpha, beta):
    client.force_login(alpha.owner)
    return client


def create(client, tenant, *, store=True, name="Till 1"):
    data = {"program": tenant.program.pk, "store": tenant.store.pk if store else "", "name": name}
    return client.post(admin_url("loyalty_api_keys:add"), data)


def test_the_secret_is_shown_once_and_works_at_once(owner_client, client, alpha):
    form = owner_client.get(admin_url("loyalty_api_keys:add"))
    response = create(owner_client, alpha)

    assert form.status_code == 200
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [plaintext] = set(KEY.findall(soup(response).select_one("#api-key-secret")["value"]))
    api_key = ApiKey.objects.get()
    assert (api_key.program, api_key.store, api_key.name, api_key.created_by) == (
        alpha.program,
        alpha.store,
        "Till 1",
        alpha.owner,
    )
    assert plaintext.startswith(f"kk_{api_key.prefix}_")
    secret = plaintext.split("_", 2)[2]
    assert secret not in str(ApiKey.objects.values().get())  # only its hash is stored
    lookup = client.get(
        "/api/v1/lookup/", {"card_number": alpha.card.number}, headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert lookup.status_code == 200
    listing = page_text(owner_client.get(admin_url("loyalty_api_keys:index")))
    assert f"kk_{api_key.prefix}_…" in listing
    assert secret not in listing
    assert AuditEvent.objects.filter(action="api_key.create", object_id=str(api_key.pk)).exists()


def test_a_program_key_has_no_store(owner_client, alpha):
    create(owner_client, alpha, store=False, name="CRM")

    assert ApiKey.objects.get().store is None


def test_the_form_offers_and_accepts_only_the_own_programs_and_stores(owner_client, alpha, beta):
    page = soup(owner_client.get(admin_url("loyalty_api_keys:add")))
    programs = [option.get_text(strip=True) for option in page.select('select[name="program"] option')]
    stores = [option.get_text(strip=True) for option in page.select('select[name="store"] option')]

    assert alpha.program.name in programs and beta.program.name not in programs
    assert beta.store.name not in stores
    foreign = owner_client.post(
        admin_url("loyalty_api_keys:add"), {"program": beta.program.pk, "store": beta.store.pk, "name": "Sneaky"}
    )
    assert foreign.status_code == 200
    assert not ApiKey.objects.exists()


def test_a_store_of_another_program_is_a_form_error(owner_client, alpha):
    from programs.factories import ProgramFactory, StoreFactory

    second = ProgramFactory(business=alpha.business, slug="alpha-second", name="Alpha Second")
    elsewhere = StoreFactory(program=second, code="elsewhere", name="Elsewhere")

    response = owner_client.post(
        admin_url("loyalty_api_keys:add"), {"program": alpha.program.pk, "store": elsewhere.pk, "name": "Mixed"}
    )

    assert "The store belongs to another program." in form_errors(response)
    assert not ApiKey.objects.exists()


def test_revoking_asks_for_a_reason_audits_it_and_shuts_the_key_out(owner_client, client, alpha):
    created = api_key_create(program=alpha.program, store=alpha.store, name="Old till", actor=Actor.staff(alpha.owner))
    url = admin_url("loyalty_api_keys:revoke", created.api_key.pk)
    headers = {"Authorization": f"Bearer {created.plaintext}"}

    assert owner_client.get(url).status_code == 200
    assert owner_client.post(url, {"reason": ""}).status_code == 200  # a reason is required
    assert ApiKey.objects.get().revoked_at is None
    response = owner_client.post(url, {"reason": "Till sold"})

    assert response.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    event = AuditEvent.objects.get(action="api_key.revoke")
    assert (event.reason, event.actor) == ("Till sold", alpha.owner)
    assert client.get("/api/v1/lookup/", {"card_number": alpha.card.number}, headers=headers).status_code == 401
    assert "Revoked" in page_text(owner_client.get(admin_url("loyalty_api_keys:index")))


def test_another_business_keys_are_neither_listed_nor_revocable(owner_client, alpha, beta):
    theirs = api_key_create(
        program=beta.program, store=beta.store, name="Beta secret till", actor=Actor.staff(beta.owner)
    )
    mine = api_key_create(program=alpha.program, name="Alpha CRM", actor=Actor.staff(alpha.owner))

    listing = page_text(owner_client.get(admin_url("loyalty_api_keys:index")))
    url = admin_url("loyalty_api_keys:revoke", theirs.api_key.pk)

    assert "Alpha CRM" in listing and "Beta secret till" not in listing
    assert theirs.api_key.prefix not in listing
    assert owner_client.get(url).status_code == 404
    assert owner_client.post(url, {"reason": "hostile"}).status_code == 404
    assert ApiKey.objects.get(pk=theirs.api_key.pk).revoked_at is None
    assert ApiKey.objects.get(pk=mine.api_key.pk).revoked_at is None


def test_staff_without_the_permission_cannot_create_keys(client, alpha):
    from programs.factories import UserFactory

    clerk = UserFactory(username="clerk")
    alpha.business.staff.add(clerk)  # on the business, but not in the Business owners group
    client.force_login(clerk)

    assert client.get(admin_url("loyalty_api_keys:add")).status_code in (302, 403)
    assert client.post(admin_url("loyalty_api_keys:add"), {"program": alpha.program.pk, "name": "x"}).status_code in (
        302,
        403,
    )
    assert not ApiKey.objects.exists()


def test_the_menu_lists_api_keys_for_owners(owner_client):
    assert admin_url("loyalty_api_keys:index") in owner_client.get("/admin/").content.decode()
