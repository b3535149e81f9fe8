"""The API key services: keys are drawn with 256-bit secrets and stored as hashes, are scoped to one program (and
optionally one of its stores), revoke once with an audit row, and authenticate only while live."""

import hashlib
from datetime import timedelta

import pytest

from programs import clock
from programs.errors import InvalidInput
from programs.factories import ProgramFactory, StoreFactory
from programs.models import AuditEvent, IdempotencyRecord
from programs.services.api_keys import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    idempotency_records_purge,
)
from tenancy.actors import SYSTEM, Actor

pytestmark = pytest.mark.django_db


def test_create_draws_a_key_and_keeps_only_its_hash(program, store, staff):
    created = api_key_create(program=program, store=store, name="  Till 1 ", actor=Actor.staff(staff))

    prefix, secret = created.plaintext.removeprefix("kk_").split("_", 1)
    api_key = created.api_key
    assert api_key.prefix == prefix and len(prefix) == 12
    assert len(secret) >= 43  # 32 random bytes
    assert api_key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert (api_key.name, api_key.store, api_key.created_by) == ("Till 1", store, staff)
    event = AuditEvent.objects.get(action="api_key.create")
    assert event.changes == {"prefix": [None, prefix], "store": [None, "main"]}
    assert secret not in str(event.changes)


def test_two_keys_never_share_a_prefix(program):
    prefixes = {api_key_create(program=program, name=f"k{index}", actor=SYSTEM).api_key.prefix for index in range(20)}

    assert len(prefixes) == 20


@pytest.mark.parametrize("name", ["", "   "])
def test_a_key_needs_a_name(program, name):
    with pytest.raises(InvalidInput) as error:
        api_key_create(program=program, name=name, actor=SYSTEM)

    assert error.value.field == "name"


def test_a_store_key_needs_a_store_of_the_program(program):
    elsewhere = StoreFactory(program=ProgramFactory(slug="elsewhere"), code="x")

    with pytest.raises(InvalidInput) as error:
        api_key_create(program=program, store=elsewhere, name="Till", actor=SYSTEM)

    assert error.value.field == "store"


def test_a_fixed_key_for_the_demo_must_look_like_a_key(program):
    fixed = "kk_demo1234_" + "s" * 43
    assert api_key_create(program=program, name="Demo", actor=SYSTEM, plaintext=fixed).plaintext == fixed
    assert api_key_authenticate(text=fixed).name == "Demo"

    with pytest.raises(InvalidInput):
        api_key_create(program=program, name="Bad", actor=SYSTEM, plaintext="kk_short")


def test_authenticate_answers_only_a_live_key_with_the_right_secret(program, store):
    created = api_key_create(program=program, store=store, name="Till", actor=SYSTEM)
    prefix = created.api_key.prefix

    assert api_key_authenticate(text=created.plaintext).pk == created.api_key.pk
    assert api_key_authenticate(text=f"kk_{prefix}_{'x' * 43}") is None
    assert api_key_authenticate(text=created.plaintext + "x") is None
    assert api_key_authenticate(text="") is None
    assert api_key_authenticate(text="kk_unknown1234_" + "y" * 43) is None
    api_key_revoke(api_key=created.api_key, actor=SYSTEM)
    assert api_key_authenticate(text=created.plaintext) is None


def test_revoke_is_audited_once(program, staff):
    created = api_key_create(program=program, name="CRM", actor=Actor.staff(staff))

    first = api_key_revoke(api_key=created.api_key, actor=Actor.staff(staff), reason="rotated")
    again = api_key_revoke(api_key=created.api_key, actor=Actor.staff(staff), reason="again")

    assert first.revoked_at is not None
    assert again.revoked_at == first.revoked_at
    assert list(AuditEvent.objects.filter(action="api_key.revoke").values_list("reason", flat=True)) == ["rotated"]


def test_purge_forgets_old_answers_only(program):
    api_key = api_key_create(program=program, name="Till", actor=SYSTEM).api_key
    now = clock.now()
    for key, age in (("old", 8), ("recent", 6)):
        IdempotencyRecord.objects.create(
            api_key=api_key, key=key, fingerprint="f", status=201, body={}, created_at=now - timedelta(days=age)
        )

    assert idempotency_records_purge(before=now - timedelta(days=7)) == 1

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
