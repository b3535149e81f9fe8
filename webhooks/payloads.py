"""What each event says: the ``data`` of the body, built from rows the engine has just committed.

Same conventions as the API's answers (``programs.api.representations``): money and points as strings with two
decimals, times in UTC with a ``Z``. Members are named by id; only ``member.created`` carries the phone and name
(the event is about them), everything else is reached through the API with the id. No secrets, no balances of
other cards, nothing a receiver could not already read with an API key of the program.
"""

import json
from datetime import datetime
from uuid import UUID

from programs.api.representations import moment, money, purchase_amounts, tier_data
from programs.models import Card, Member, Program, Purchase, Refund, Tier


def body_dumps(payload: dict) -> str:
    """The body as sent: compact JSON, UTF-8 kept as is (receivers hash exactly these bytes)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def envelope(*, event_id: UUID, event_type: str, created_at: datetime, program: Program, data: dict) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": moment(created_at),
        "program": {"id": program.pk, "slug": program.slug},
        "data": data,
    }


def _card_type(card: Card) -> dict:
    card_type = card.card_type
    return {"id": card_type.pk, "name": card_type.name, "kind": card_type.kind}


def _balances(card: Card) -> dict:
    return {"points": money(card.points_balance), "stamps": money(card.stamps_balance)}


def member_created(member: Member, cards: list[Card]) -> dict:
    return {
        "member": {
            "id": member.pk,
            "phone": str(member.phone),
            "first_name": member.first_name,
            "last_name": member.last_name,
            "tier": tier_data(member.tier),
            "joined_at": moment(member.joined_at),
        },
        "cards": [{"number": card.number, "card_type": _card_type(card)} for card in cards],
    }


def card_issued(card: Card) -> dict:
    return {
        "card": {
            "number": card.number,
            "card_type": _card_type(card),
            "status": card.status,
            "issued_at": moment(card.issued_at),
            "balances": _balances(card),
        },
        "member": {"id": card.member_id},
    }


def _purchase_ref(purchase: Purchase) -> dict:
    return {"id": purchase.pk, "receipt_id": purchase.receipt_id, "store": purchase.store.code}


def purchase_recorded(purchase: Purchase, *, currency: str) -> dict:
    return {
        "purchase": {
            **_purchase_ref(purchase),
            "purchased_at": moment(purchase.purchased_at),
            "currency": currency,
            **purchase_amounts(purchase),
        },
        "card": {"number": purchase.card.number, "balances": _balances(purchase.card)},
        "member": {"id": purchase.member_id},
    }


def points_redeemed(purchase: Purchase, *, currency: str) -> dict:
    return {
        "purchase": _purchase_ref(purchase),
        "points": money(purchase.points_redeemed),
        "value": money(purchase.redeemed_value),
        "currency": currency,
        "card": {"number": purchase.card.number, "balances": _balances(purchase.card)},
        "member": {"id": purchase.member_id},
    }


def purchase_refunded(refund: Refund, *, card: Card, currency: str) -> dict:
    purchase = refund.purchase
    return {
        "refund": {
            "id": refund.pk,
            "refund_id": refund.refund_id,
            "created_at": moment(refund.created_at),
            "currency": currency,
            "amount": money(refund.amount),
            "points_reversed": money(refund.points_reversed),
            "points_returned": money(refund.points_returned),
            "points_debt": money(refund.points_debt),
            "stamps_reversed": money(refund.stamps_reversed),
        },
        "purchase": {
            **_purchase_ref(purchase),
            "total": money(purchase.total),
            "refunded_amount": money(purchase.refunded_amount),
        },
        "card": {"number": card.number, "balances": _balances(card)},
        "member": {"id": purchase.member_id},
    }


def tier_changed(
    member: Member, *, from_tier: Tier | None, to_tier: Tier | None, reason: str, purchase_id: int | None
) -> dict:
    return {
        "member": {"id": member.pk},
        "from_tier": tier_data(from_tier),
        "to_tier": tier_data(to_tier),
        "reason": reason,
        "purchase_id": purchase_id,
    }


def points_expired(card: dict, *, expired: dict[str, object], expired_at: datetime) -> dict:
    """``card`` is a row of ``Card.objects.values(...)`` (expiry touches thousands of cards at once)."""
    return {
        "card": {
            "number": card["number"],
            "balances": {"points": money(card["points_balance"]), "stamps": money(card["stamps_balance"])},
        },
        "member": {"id": card["member_id"]},
        "expired": {"points": money(expired.get("points")), "stamps": money(expired.get("stamps"))},
        "expired_at": moment(expired_at),
    }


def webhook_test(*, endpoint_id: int) -> dict:
    return {"endpoint": {"id": endpoint_id}, "message": "A test event from Kartka: your endpoint is reachable."}
