"""What each outbox event says (``Event.payload``): built once, in the change's transaction, from the rows as they
are committed, so no consumer has to read the engine's tables to tell what happened.

Same conventions as the API's answers (``programs.api.representations``): money and points as strings with two
decimals, times in UTC with a ``Z``. Members are named by id; only ``member.created`` carries the phone and name
(the event is about them). Webhooks send these payloads as their ``data`` (``docs/api.md``), so a change of shape
here is a change of the public webhook contract.
"""

from programs.formats import moment, money, tier_data
from programs.models import Card, Member, Purchase, Refund, Tier


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


def member_updated(member: Member, *, fields: list[str]) -> dict:
    """Which profile fields changed (names only: whoever needs the values reads the member)."""
    return {"member": {"id": member.pk}, "fields": sorted(fields)}


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


def card_status_changed(card: Card, *, old: str, reason: str) -> dict:
    return {
        "card": {"id": card.pk, "number": card.number, "status": card.status},
        "old_status": old,
        "reason": reason,
        "member": {"id": card.member_id},
    }


def card_replaced(old: Card, *, new: Card, reason: str) -> dict:
    return {
        "card": {"id": old.pk, "number": old.number, "status": old.status},
        "new_card": {"id": new.pk, "number": new.number},
        "reason": reason,
        "member": {"id": old.member_id},
    }


def card_balances_changed(card: Card, *, cause: str, purchase_id=None, refund_id=None) -> dict:
    """The card's balances and debts after the transaction, and why they moved."""
    data = {
        "card": {"id": card.pk, "number": card.number, "balances": _balances(card)},
        "debts": {"points": money(card.points_debt), "stamps": money(card.stamps_debt)},
        "member": {"id": card.member_id},
        "cause": cause,
    }
    if purchase_id is not None:
        data["purchase_id"] = purchase_id
    if refund_id is not None:
        data["refund_id"] = refund_id
    return data


def purchase_amounts(purchase: Purchase) -> dict:
    """What a purchase cost, paid and granted, as the API and the events both tell it."""
    return {
        "total": money(purchase.total),
        "discount_percent": money(purchase.discount_percent),
        "discount_amount": money(purchase.discount_amount),
        "points_redeemed": money(purchase.points_redeemed),
        "redeemed_value": money(purchase.redeemed_value),
        "paid_amount": money(purchase.paid_amount),
        "points_earned": money(purchase.points_earned),
        "stamps_earned": money(purchase.stamps_earned),
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


def purchase_refunded(refund: Refund, *, purchase: Purchase, card: Card, currency: str) -> dict:
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
