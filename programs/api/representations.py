"""The API's answers as plain dicts of JSON types, built by hand from loaded rows (no serializers on the hot path).

Money and points are strings with two decimals, quantities with three, times ISO 8601 in UTC with a ``Z``. The
shapes are documented for OpenAPI by ``programs.api.schema``; a change here is a change there.
"""

from django.utils.translation import gettext as _

from programs.barcodes import card_payload
from programs.choices import EntryKind
from programs.formats import moment, money, quantity, tier_data
from programs.models import Card, Member, Purchase, Refund, Store
from programs.payloads import purchase_amounts
from programs.pricing import Quote
from programs.selectors import Balances, TierProgress
from programs.wording import tier_progress_text


def member_data(member: Member, *, tier) -> dict:
    return {
        "id": member.pk,
        "phone": str(member.phone),
        "name": member.full_name,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
        "gender": member.gender,
        "consent_email": member.consent_email,
        "consent_sms": member.consent_sms,
        "consent_push": member.consent_push,
        "consent_telegram": member.consent_telegram,
        "tier": tier_data(tier),
        "joined_at": moment(member.joined_at),
    }


def tier_progress_data(progress: TierProgress, *, currency: str) -> dict | None:
    """The member's tier progress: the next tier, what remains to it (in the program's tier basis), how far along,
    when a downgrade is due, and all of it in words in the request's language. ``None`` for a program without
    tiers."""
    if progress.tier is None and progress.next_tier is None:
        return None
    return {
        "tier": tier_data(progress.tier),
        "next_tier": tier_data(progress.next_tier),
        "basis": progress.basis,
        "value": money(progress.value),
        "remaining": money(progress.remaining),
        "percent": progress.percent,
        "downgrade_at": moment(progress.downgrade_at),
        "downgrade_to": tier_data(progress.downgrade_to),
        "text": tier_progress_text(progress, currency=currency) if progress.next_tier else "",
    }


def card_data(card: Card, balances: Balances) -> dict:
    card_type = card.card_type
    return {
        "number": card.number,
        "barcode": card_payload(card.number),
        "status": card.status,
        "card_type": {"id": card_type.pk, "name": card_type.name, "kind": card_type.kind},
        "balances": {
            "points": money(balances.points),
            "cashback": money(balances.cashback),
            "promo": money(balances.promo),
            "stamps": money(balances.stamps),
            "points_debt": money(balances.points_debt),
            "stamps_debt": money(balances.stamps_debt),
        },
        "rewards_available": balances.rewards_available,
        "stamp_goal": card_type.stamp_goal if card_type.earns_stamps else None,
        "next_expiry": None
        if balances.next_expiry_at is None
        else {"at": moment(balances.next_expiry_at), "amount": money(balances.next_expiry_amount)},
    }


def short_balances(card: Card) -> dict:
    """What a write leaves on the card, from the card row the service returned (no query)."""
    return {
        "points": money(card.points_balance),
        "stamps": money(card.stamps_balance),
        "points_debt": money(card.points_debt),
        "stamps_debt": money(card.stamps_debt),
    }


def quote_data(quote: Quote, *, card: Card, currency: str) -> dict:
    return {
        "card": card.number,
        "currency": currency,
        "total": money(quote.total),
        "discount_percent": money(quote.discount_percent),
        "discount_amount": money(quote.discount_amount),
        "amount_after_discount": money(quote.after_discount),
        "points_available": money(quote.points_available),
        "points_redeemable": money(quote.points_redeemable),
        "points_redeemed": money(quote.points_redeemed),
        "redeemed_value": money(quote.redeemed_value),
        "amount_to_pay": money(quote.paid_amount),
        "points_to_earn": money(quote.points_earned),
        "earnings": [
            {
                "amount": money(earning.amount),
                "bucket": earning.bucket,
                "expires_at": moment(earning.expires_at),
                "reason": earning.reason,
            }
            for earning in quote.earnings
        ],
        "stamps_to_earn": money(quote.stamps),
        "reward_redeemed": quote.reward_redeemed,
    }


def purchase_data(
    purchase: Purchase,
    *,
    card: Card,
    store: Store,
    currency: str,
    tier,
    rewards: dict,
    replayed: bool = False,
    tier_progress: dict | None = None,
) -> dict:
    """A recorded purchase: what it granted and spent, and the card's balances after it.

    ``rewards`` holds ``issued``, ``redeemed`` (by this purchase) and ``available`` (on the card) stamp rewards.
    """
    return {
        "id": purchase.pk,
        "receipt_id": purchase.receipt_id,
        "store": store.code,
        "card": card.number,
        "member_id": purchase.member_id,
        "purchased_at": moment(purchase.purchased_at),
        "currency": currency,
        **purchase_amounts(purchase),
        "reward_redeemed": rewards["redeemed"] > 0,
        "reward": None
        if not rewards["redeemed"]
        else {
            "description": card.card_type.reward_description,
            "how_to_ring": _("Ring the free item as its own line at 0.00: it earns no stamp."),
        },
        "rewards_issued": rewards["issued"],
        "rewards_available": rewards["available"],
        "refunded_amount": money(purchase.refunded_amount),
        "tier": tier_data(tier),
        "tier_progress": tier_progress,
        "balances": short_balances(card),
        "replayed": replayed,
    }


def purchase_line_data(line) -> dict:
    return {
        "id": line.pk,
        "position": line.position,
        "sku": line.sku,
        "category": line.category,
        "quantity": quantity(line.quantity),
        "amount": money(line.amount),
        "refunded_quantity": quantity(line.refunded_quantity),
        "refunded_amount": money(line.refunded_amount),
    }


def refund_data(refund: Refund, *, purchase: Purchase, card: Card, replayed: bool) -> dict:
    return {
        "id": refund.pk,
        "refund_id": refund.refund_id,
        "purchase_id": purchase.pk,
        "receipt_id": purchase.receipt_id,
        "store": purchase.store.code,
        "card": card.number,
        "amount": money(refund.amount),
        "points_reversed": money(refund.points_reversed),
        "points_debt": money(refund.points_debt),
        "points_returned": money(refund.points_returned),
        "stamps_reversed": money(refund.stamps_reversed),
        "reward_returned": refund.reward_returned,
        "created_at": moment(refund.created_at),
        "purchase": {
            "total": money(purchase.total),
            "refunded_amount": money(purchase.refunded_amount),
            "points_earned": money(purchase.points_earned),
            "points_reversed": money(purchase.points_reversed),
            "points_redeemed": money(purchase.points_redeemed),
            "points_returned": money(purchase.points_returned),
        },
        "balances": short_balances(card),
        "replayed": replayed,
    }


def entry_data(entry) -> dict:
    """A ledger entry with its reason: the rule, the receipt, the refund, a staff note (whichever apply)."""
    rule = entry.rule.name if entry.rule_id and entry.rule is not None else None
    receipt = entry.purchase.receipt_id if entry.purchase_id else None
    refund = entry.refund.refund_id if entry.refund_id else None
    note = entry.reason if entry.reason and entry.reason != rule else ""
    given = _expired_from(entry)
    parts = [
        rule,
        given and _("earned with receipt %(receipt)s") % {"receipt": given},
        receipt and _("receipt %(receipt)s") % {"receipt": receipt},
        # A debt settlement's note names the refunds it settles.
        refund and entry.kind != EntryKind.DEBT_SETTLEMENT and _("refund %(refund)s") % {"refund": refund},
        note,
    ]
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "unit": entry.unit,
        "bucket": entry.bucket,
        "amount": money(entry.amount),
        "balance_after": money(entry.balance_after),
        "debt_change": money(entry.debt_change),
        "reason": " · ".join(part for part in parts if part),
        "rule": rule,
        "receipt_id": receipt,
        "refund_id": refund,
        "store": entry.store.code if entry.store_id and entry.store is not None else None,
        "note": note,
        "expires_at": moment(entry.expires_at),
        "created_at": moment(entry.created_at),
    }


def _expired_from(entry) -> str | None:
    """The receipt that earned what an expiry entry closes (its rule and reason are on the entry itself)."""
    if entry.kind != EntryKind.EXPIRY or not entry.lot_id or entry.lot is None:
        return None
    source = entry.lot.entry
    return source.purchase.receipt_id if source.purchase_id else None
