"""One typed actor for every write: the audit trail and the ledger say who acted — a staff user, a till's API
key, the customer, or the system — and the audit log says it in words."""

import pytest
from django.utils import translation

from programs.models import LedgerEntry
from programs.services.api_keys import api_key_create, api_key_revoke
from programs.services.cards import card_adjust, card_block
from programs.services.members import member_create, member_update
from tenancy.actors import SYSTEM, Actor, ActorKind
from tenancy.describe import audit_actor_describe
from tenancy.models import AuditEvent
from tenancy.services import audit_record
from tests.conftest import D


def test_an_actor_needs_what_it_names():
    for make in (Actor.staff, Actor.api, Actor.customer):
        with pytest.raises(ValueError):
            make(None)
    assert SYSTEM.is_system and Actor.system("expiry").job == "expiry"
    assert str(Actor.system("expiry")) == "System: expiry"


def test_an_action_the_log_cannot_say_is_refused(program, staff):
    with pytest.raises(ValueError):
        audit_record(actor=Actor.staff(staff), program=program, action="card.teleport", obj=program)
    assert not AuditEvent.objects.exists()


def test_each_kind_of_actor_is_recorded(program, store, cashback_type, staff):
    member = member_create(program=program, phone="+380501234567", card_types=[cashback_type])
    card = member.cards.get()
    till = api_key_create(program=program, store=store, name="Till 1", actor=Actor.staff(staff)).api_key

    card_adjust(card=card, amount=D(25), reason="goodwill", actor=Actor.staff(staff))
    card_block(card=card, reason="lost at the till", actor=Actor.api(till))
    member_update(member=member, actor=Actor.customer(member), first_name="Olena")

    rows = {
        event.action: (event.actor_kind, event.actor, event.api_key, event.member)
        for event in AuditEvent.objects.filter(program=program)
    }
    assert rows["member.create"] == (ActorKind.SYSTEM, None, None, None)
    assert rows["api_key.create"] == (ActorKind.STAFF, staff, None, None)
    assert rows["card.adjust"] == (ActorKind.STAFF, staff, None, None)
    assert rows["card.block"] == (ActorKind.API_KEY, None, till, None)
    assert rows["member.update"] == (ActorKind.MEMBER, None, None, member)
    # The ledger entry of a staff adjustment names the user.
    assert LedgerEntry.objects.get(card=card, reason="goodwill").actor == staff


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["cashier", "API key “Till 1”", "Customer Olena", "System", "API key (deleted)"]),
        ("uk", ["cashier", "API-ключ «Till 1»", "Клієнт Olena", "Система", "API-ключ (видалено)"]),
    ],
)
def test_the_log_says_who_in_words(program, store, cashback_type, staff, language, expected):
    member = member_create(program=program, phone="+380501234567", card_types=[cashback_type], first_name="Olena")
    till = api_key_create(program=program, store=store, name="Till 1", actor=Actor.staff(staff)).api_key
    gone = api_key_create(program=program, store=store, name="Old till", actor=Actor.staff(staff)).api_key
    events = [
        audit_record(actor=actor, program=program, action="member.update", obj=member)
        for actor in (Actor.staff(staff), Actor.api(till), Actor.customer(member), SYSTEM, Actor.api(gone))
    ]
    api_key_revoke(api_key=gone, actor=Actor.staff(staff))
    gone.delete()

    with translation.override(language):
        said = [audit_actor_describe(AuditEvent.objects.get(pk=event.pk)) for event in events]
    assert said == expected
