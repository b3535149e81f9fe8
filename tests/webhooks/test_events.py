"""Every event type, fired by the real services and received at the HTTP boundary: what the body says, and that
only the program's active endpoints subscribed to the event get it. Nothing is queued before the engine's
transaction commits, and nothing at all when it rolls back."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction

from programs import clock
from programs.errors import InsufficientPoints
from programs.factories import CardTypeFactory, ProgramFactory, StoreFactory, TierFactory
from programs.services.cards import card_adjust, card_issue
from programs.services.expiry import lots_expire
from programs.services.members import member_create
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import Actor
from tests.conftest import D
from tests.webhooks.conftest import outbox_caught_up
from webhooks.choices import DeliveryStatus, EventType
from webhooks.factories import WebhookEndpointFactory
from webhooks.models import WebhookDelivery

ALL = [value for value in EventType.values if value != EventType.TEST]


@pytest.fixture
def endpoint(program):
    return WebhookEndpointFactory(program=program, url="https://crm.example.com/hooks", events=ALL)


@pytest.fixture
def elsewhere(db):
    """Another business's program listening to everything: it must never hear of this program's events."""
    return WebhookEndpointFactory(program=ProgramFactory(slug="elsewhere"), url="https://other.example.com/h")


@pytest.fixture
def funded_card(make_card, cashback_type, staff):
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(300), reason="goodwill", actor=Actor.staff(staff))
    card.refresh_from_db()
    return card


def test_member_created_then_card_issued(program, cashback_type, endpoint, elsewhere, receiver, committed):
    with committed():
        member = member_create(
            program=program, phone="+380501234567", first_name="Olena", last_name="Koval", card_types=[cashback_type]
        )

    card = member.cards.get()
    assert receiver.types == ["member.created", "card.issued"]
    created, issued = receiver.bodies
    assert created["program"] == {"id": program.pk, "slug": "clothes"}
    assert created["data"] == {
        "member": {
            "id": member.pk,
            "phone": "+380501234567",
            "first_name": "Olena",
            "last_name": "Koval",
            "tier": None,
            "joined_at": member.joined_at.isoformat().replace("+00:00", "Z"),
        },
        "cards": [
            {"number": card.number, "card_type": {"id": cashback_type.pk, "name": "Bonus card", "kind": "cashback"}}
        ],
    }
    assert issued["data"]["card"]["number"] == card.number
    assert issued["data"]["card"]["status"] == "active"
    assert issued["data"]["member"] == {"id": member.pk}
    assert "phone" not in str(issued["data"])  # only the event about the member names them
    uuid.UUID(created["id"])
    assert created["created_at"].endswith("Z")
    assert receiver.to(elsewhere.url) == []
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SUCCEEDED}


def test_card_issued_for_a_second_card(program, cashback_type, make_card, endpoint, receiver, committed):
    card = make_card(cashback_type)
    stamps = CardTypeFactory(program=program, name="Coffee", stamps=True)

    with committed():
        second = card_issue(member=card.member, card_type=stamps)

    [body] = receiver.bodies
    assert body["type"] == "card.issued"
    assert body["data"]["card"] == {
        "number": second.number,
        "card_type": {"id": stamps.pk, "name": "Coffee", "kind": "stamps"},
        "status": "active",
        "issued_at": second.issued_at.isoformat().replace("+00:00", "Z"),
        "balances": {"points": "0.00", "stamps": "0.00"},
    }


def test_purchase_without_redemption_is_one_event(funded_card, store, endpoint, elsewhere, receiver, committed):
    with committed():
        result = purchase_record(card=funded_card, store=store, receipt_id="R-1", total=D(200))

    [body] = receiver.bodies
    assert body["type"] == "purchase.recorded"
    assert body["data"] == {
        "purchase": {
            "id": result.purchase.pk,
            "receipt_id": "R-1",
            "store": "main",
            "purchased_at": result.purchase.purchased_at.isoformat().replace("+00:00", "Z"),
            "currency": "UAH",
            "total": "200.00",
            "discount_percent": "0.00",
            "discount_amount": "0.00",
            "points_redeemed": "0.00",
            "redeemed_value": "0.00",
            "paid_amount": "200.00",
            "points_earned": "10.00",
            "stamps_earned": "0.00",
        },
        "card": {"number": funded_card.number, "balances": {"points": "310.00", "stamps": "0.00"}},
        "member": {"id": funded_card.member_id},
    }


def test_purchase_with_redemption_also_says_points_redeemed(funded_card, store, endpoint, receiver, committed):
    with committed():
        result = purchase_record(card=funded_card, store=store, receipt_id="R-2", total=D(200), redeem_points=D(50))

    assert receiver.types == ["purchase.recorded", "points.redeemed"]
    recorded, redeemed = receiver.bodies
    assert recorded["data"]["purchase"]["points_redeemed"] == "50.00"
    assert redeemed["data"] == {
        "purchase": {"id": result.purchase.pk, "receipt_id": "R-2", "store": "main"},
        "points": "50.00",
        "value": "50.00",
        "currency": "UAH",
        "card": {"number": funded_card.number, "balances": {"points": "257.00", "stamps": "0.00"}},
        "member": {"id": funded_card.member_id},
    }
    assert recorded["id"] != redeemed["id"]


def test_only_subscribed_active_endpoints_of_the_program_get_an_event(
    program, funded_card, store, elsewhere, receiver, committed
):
    purchases = WebhookEndpointFactory(program=program, url="https://a.example.com/p", events=["purchase.recorded"])
    redemptions = WebhookEndpointFactory(program=program, url="https://b.example.com/r", events=["points.redeemed"])
    WebhookEndpointFactory(program=program, url="https://c.example.com/off", events=ALL, is_active=False)
    WebhookEndpointFactory(program=program, url="https://d.example.com/tiers", events=["tier.changed"])

    with committed():
        purchase_record(card=funded_card, store=store, receipt_id="R-3", total=D(100), redeem_points=D(10))

    assert [body["type"] for body in receiver.to(purchases.url)] == ["purchase.recorded"]
    assert [body["type"] for body in receiver.to(redemptions.url)] == ["points.redeemed"]
    assert len(receiver.requests) == 2
    assert not WebhookDelivery.objects.exclude(endpoint__in=[purchases, redemptions]).exists()


def test_one_event_to_two_endpoints_shares_its_id_and_body(program, funded_card, store, receiver, committed):
    first = WebhookEndpointFactory(program=program, url="https://a.example.com/1", events=["purchase.recorded"])
    second = WebhookEndpointFactory(program=program, url="https://b.example.com/2", events=["purchase.recorded"])

    with committed():
        purchase_record(card=funded_card, store=store, receipt_id="R-4", total=D(100))

    one, two = receiver.requests
    assert one.content == two.content
    assert one.headers["Kartka-Delivery"] != two.headers["Kartka-Delivery"]
    assert {one.headers["Kartka-Event-Id"]} == {two.headers["Kartka-Event-Id"]} == {receiver.bodies[0]["id"]}
    assert WebhookDelivery.objects.filter(endpoint__in=[first, second]).count() == 2


def test_refund(funded_card, store, endpoint, receiver, committed):
    purchase = purchase_record(card=funded_card, store=store, receipt_id="R-5", total=D(200)).purchase

    with committed():
        refund = purchase_refund(purchase=purchase, refund_id="RF-1", amount=D(50))

    [body] = receiver.bodies
    assert body["type"] == "purchase.refunded"
    assert body["data"] == {
        "refund": {
            "id": refund.pk,
            "refund_id": "RF-1",
            "created_at": refund.created_at.isoformat().replace("+00:00", "Z"),
            "currency": "UAH",
            "amount": "50.00",
            "points_reversed": "2.50",
            "points_returned": "0.00",
            "points_debt": "0.00",
            "stamps_reversed": "0.00",
        },
        "purchase": {
            "id": purchase.pk,
            "receipt_id": "R-5",
            "store": "main",
            "total": "200.00",
            "refunded_amount": "50.00",
        },
        "card": {"number": funded_card.number, "balances": {"points": "307.50", "stamps": "0.00"}},
        "member": {"id": funded_card.member_id},
    }


def test_tier_upgrade(program, funded_card, store, endpoint, receiver, committed):
    gold = TierFactory(program=program, name="Gold", threshold=D(1000))

    with committed():
        purchase = purchase_record(card=funded_card, store=store, receipt_id="R-6", total=D(1500)).purchase

    assert sorted(receiver.types) == ["purchase.recorded", "tier.changed"]
    [tier] = [body for body in receiver.bodies if body["type"] == "tier.changed"]
    assert tier["data"] == {
        "member": {"id": funded_card.member_id},
        "from_tier": None,
        "to_tier": {"id": gold.pk, "name": "Gold"},
        "reason": "upgrade",
        "purchase_id": purchase.pk,
    }


def test_points_expired(program, cashback_type, make_card, staff, endpoint, elsewhere, receiver, committed):
    card = make_card(cashback_type)
    quiet = make_card(cashback_type)
    now = clock.now()
    card_adjust(card=card, amount=D(30), reason="promo", actor=Actor.staff(staff), expires_at=now + timedelta(days=1))
    card_adjust(card=card, amount=D(20), reason="kept", actor=Actor.staff(staff))
    card_adjust(card=quiet, amount=D(5), reason="kept", actor=Actor.staff(staff))
    # A card of the other program expiring in the same run reaches its own endpoint, not this one.
    other_type = CardTypeFactory(program=elsewhere.program)
    other = member_create(program=elsewhere.program, phone="+380671112233", card_types=[other_type]).cards.get()
    card_adjust(card=other, amount=D(7), reason="promo", actor=Actor.staff(staff), expires_at=now + timedelta(days=1))

    with committed():
        lots_expire(at=now + timedelta(days=2))

    [body] = receiver.to(endpoint.url)
    assert body["type"] == "points.expired"
    assert body["data"] == {
        "card": {"number": card.number, "balances": {"points": "20.00", "stamps": "0.00"}},
        "member": {"id": card.member_id},
        "expired": {"points": "30.00", "stamps": "0.00"},
        "expired_at": (now + timedelta(days=2)).isoformat().replace("+00:00", "Z"),
    }
    [theirs] = receiver.to(elsewhere.url)
    assert theirs["data"]["card"]["number"] == other.number
    assert theirs["data"]["expired"]["points"] == "7.00"


def test_expiry_of_a_program_without_listeners_queues_nothing(
    cashback_type, make_card, staff, elsewhere, receiver, committed
):
    card = make_card(cashback_type)
    card_adjust(
        card=card, amount=D(30), reason="promo", actor=Actor.staff(staff), expires_at=clock.now() + timedelta(days=1)
    )

    with committed():
        assert lots_expire(at=clock.now() + timedelta(days=2)) == 1

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_nothing_is_queued_before_the_commit(
    funded_card, store, endpoint, receiver, django_capture_on_commit_callbacks
):
    outbox_caught_up()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        purchase_record(card=funded_card, store=store, receipt_id="R-7", total=D(100))
        assert not WebhookDelivery.objects.exists()

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []
    for callback in callbacks:  # the commit
        callback()
    assert WebhookDelivery.objects.get().event_type == "purchase.recorded"


def test_nothing_is_sent_when_the_transaction_rolls_back(funded_card, store, endpoint, receiver, committed):
    with committed():
        with pytest.raises(RuntimeError), transaction.atomic():
            purchase_record(card=funded_card, store=store, receipt_id="R-8", total=D(100))
            raise RuntimeError("the till crashed before the commit")
        with pytest.raises(InsufficientPoints):
            purchase_record(card=funded_card, store=store, receipt_id="R-9", total=D(100), redeem_points=D(10_000))

    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_a_replayed_receipt_sends_nothing_new(funded_card, store, endpoint, receiver, committed):
    with committed():
        purchase_record(card=funded_card, store=store, receipt_id="R-10", total=D(100))
        replay = purchase_record(card=funded_card, store=store, receipt_id="R-10", total=D(100))

    assert replay.replayed
    assert receiver.types == ["purchase.recorded"]


def test_a_store_of_another_program_never_mixes_events(program, funded_card, endpoint, receiver, committed):
    second = StoreFactory(program=program, code="second")

    with committed():
        purchase_record(card=funded_card, store=second, receipt_id="R-11", total=D(100))

    assert receiver.bodies[0]["data"]["purchase"]["store"] == "second"
