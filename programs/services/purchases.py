"""Purchases and refunds: the POS path. Each public function is one transaction."""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from programs import clock, outbox, payloads
from programs.choices import (
    BalanceCause,
    CardKind,
    CardStatus,
    EntryKind,
    EventType,
    RewardStatus,
    StampBasis,
    TierBasis,
    TierCrossingRate,
    Unit,
)
from programs.credits import Credit
from programs.errors import (
    CardBlocked,
    CardReplaced,
    CardTypeInactive,
    DuplicateReceipt,
    DuplicateRefund,
    InvalidInput,
    LoyaltyError,
    NoRewardAvailable,
    ProgramInactive,
    RefundExceedsPurchase,
    StoreInactive,
    WrongProgram,
)
from programs.models import (
    Card,
    LedgerEntry,
    Member,
    Purchase,
    PurchaseLine,
    Refund,
    RefundLine,
    StampReward,
    Store,
)
from programs.pricing import Line, ProgramRules, Quote, expiry_for, lines_normalise, money, quote_compute
from programs.selectors import member_qualifying_value, rules_for_card_type
from programs.services import _fastsql as fastsql
from programs.services import ledger
from programs.services.stamps import rewards_issue, rewards_void_for_stamps
from programs.services.tiers import tier_refund_check, tier_upgrade_check
from tenancy.actors import SYSTEM, Actor

ZERO = Decimal("0")
CENT = Decimal("0.01")


def card_check_usable(*, card: Card, at: datetime) -> None:
    """Raise the error a cashier should see when a card can't be used now (blocked, replaced, out of date)."""
    if card.status == CardStatus.BLOCKED:
        raise CardBlocked()
    if card.status == CardStatus.REPLACED:
        raise CardReplaced()
    if not card.program.is_active:
        raise ProgramInactive()
    local_day = at.astimezone(ZoneInfo(card.program.timezone)).date()
    if not card.card_type.is_valid_on(local_day):
        raise CardTypeInactive()


def _fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _purchase_payload(*, card, total, lines, redeem_points, redeem_reward, purchased_at) -> dict:
    return {
        "card": card.pk,
        "total": str(total),
        "lines": [[str(line.amount), str(line.quantity), line.sku, line.category] for line in lines],
        "redeem_points": str(redeem_points),
        "redeem_reward": bool(redeem_reward),
        "purchased_at": purchased_at.isoformat() if purchased_at else None,
    }


def purchase_quote(
    *,
    card: Card,
    total: Decimal | None = None,
    lines: list[Line] | None = None,
    redeem_points: Decimal = ZERO,
    redeem_reward: bool = False,
    at: datetime | None = None,
) -> Quote:
    """What a purchase would get, without writing anything. Raises the same errors ``purchase_record`` would."""
    at = at or clock.now()
    card_check_usable(card=card, at=at)
    total, lines = lines_normalise(total=total, lines=lines)
    if redeem_reward and not card.rewards.filter(status=RewardStatus.AVAILABLE).exists():
        raise NoRewardAvailable()
    rules = rules_for_card_type(card_type=card.card_type, program=card.program)
    member = card.member
    compute = {
        "lifetime_spend": member.lifetime_spend,
        "total": total,
        "lines": lines,
        "points_available": ledger.available(card=card, unit=Unit.POINTS, now=at),
        "redeem_points": redeem_points,
        "redeem_reward": redeem_reward,
    }
    quote = quote_compute(rules=rules, tier=member.tier, at=at, **compute)
    return _quote_at_tier_reached(rules=rules, member=member, tier=member.tier, quote=quote, at=at, **compute)


def _quote_at_tier_reached(
    *, rules: ProgramRules, member: Member, tier, quote: Quote, at: datetime, **compute
) -> Quote:
    """The quote again at the tier the purchase lifts the member to, when the program prices such a purchase
    at the new tier's rate (``tier_crossing_rate``); else ``quote`` as it is.

    Whether the purchase reaches a tier is decided at the old tier's prices; if the new tier's prices would
    no longer reach it (a bigger discount lowering the spend counted) or refuse the redemption, the old quote
    stands.
    """
    if rules.tier_crossing_rate != TierCrossingRate.NEW or not rules.tiers:
        return quote
    before = member_qualifying_value(member=member, basis=rules.tier_basis, window_days=rules.tier_window_days, at=at)

    def reached(priced: Quote):
        if rules.tier_basis == TierBasis.SPEND:
            gained = priced.spend_counted
        elif rules.tier_basis == TierBasis.POINTS:
            gained = priced.points_earned
        else:
            gained = Decimal("1")
        return rules.tier_for(before + gained)

    target = reached(quote)
    rank = Decimal("-1") if tier is None else tier.threshold
    if target is None or target.threshold <= rank:
        return quote
    try:
        priced = quote_compute(rules=rules, tier=target, at=at, **compute)
    except LoyaltyError:
        return quote
    again = reached(priced)
    return priced if again is not None and again.threshold >= target.threshold else quote


@dataclass
class PurchaseResult:
    purchase: Purchase
    card: Card
    replayed: bool = False


def purchase_record(
    *,
    card: Card,
    store: Store,
    receipt_id: str,
    total: Decimal | None = None,
    lines: list[Line] | None = None,
    redeem_points: Decimal = ZERO,
    redeem_reward: bool = False,
    purchased_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> PurchaseResult:
    """Record a receipt: discount, redemption, cashback and rule bonuses, stamps and rewards, tier upgrade.
    A stamp reward used (``redeem_reward``) is recorded as a ``reward_use`` entry of the purchase.

    Idempotent per ``(store, receipt_id)``: the same receipt again returns the first purchase with
    ``replayed=True`` and changes nothing; the same receipt id with different content raises
    ``DuplicateReceipt``. Raises ``CardBlocked``/``CardReplaced``/``CardTypeInactive``, ``StoreInactive`` for a
    store that was closed, the redemption errors and ``InvalidInput`` for receipts that don't add up.
    ``actor``: who rang it up (a till's API key, a staff user), recorded on the purchase. Writes the
    ``purchase.recorded`` and ``card.balances_changed`` events in its transaction.
    """
    receipt_id = (receipt_id or "").strip()
    if not receipt_id:
        raise InvalidInput(_("A receipt id is required."), field="receipt_id")
    if store.program_id != card.program_id:
        raise WrongProgram()
    if not store.is_active:
        raise StoreInactive(field="store")
    total, norm_lines = lines_normalise(total=total, lines=lines)
    fingerprint = _fingerprint(
        _purchase_payload(
            card=card,
            total=total,
            lines=lines or [],
            redeem_points=redeem_points,
            redeem_reward=redeem_reward,
            purchased_at=purchased_at,
        )
    )
    return _purchase_record(
        card=card,
        store=store,
        receipt_id=receipt_id,
        total=total,
        lines=lines or [],
        norm_lines=norm_lines,
        redeem_points=redeem_points,
        redeem_reward=redeem_reward,
        purchased_at=purchased_at,
        actor=actor,
        fingerprint=fingerprint,
    )


def _purchase_replay(*, card: Card, store: Store, receipt_id: str, fingerprint: str) -> PurchaseResult | None:
    """The answer to a receipt the store already recorded: the first purchase again, or ``DuplicateReceipt``
    when the same receipt id came with other content. ``None`` if the receipt is new."""
    existing = fastsql.lookup(Purchase, ("id", "fingerprint"), store_id=store.pk, receipt_id=receipt_id)
    if existing is None:
        return None
    if existing[1] != fingerprint:
        raise DuplicateReceipt(receipt=receipt_id)
    return PurchaseResult(purchase=Purchase.objects.get(pk=existing[0]), card=card, replayed=True)


_LINE_COLUMNS = (
    "position",
    "sku",
    "category",
    "quantity",
    "amount",
    "refunded_quantity",
    "refunded_amount",
)
_MEMBER_COUNTERS = ("lifetime_spend", "purchase_count", "points_earned_total")


@transaction.atomic
def _purchase_record(
    *,
    card,
    store,
    receipt_id,
    total,
    lines,
    norm_lines,
    redeem_points,
    redeem_reward,
    purchased_at,
    actor: Actor,
    fingerprint,
) -> PurchaseResult:
    now = clock.now()
    at = purchased_at or now
    card = ledger.cards_lock(card_ids=[card.pk], with_member=True)[card.pk]
    member = card.member
    card_type = card.card_type
    rules = rules_for_card_type(card_type=card_type, program=card.program)
    try:
        card_check_usable(card=card, at=at)
        tier = next((tier for tier in rules.tiers if tier.pk == member.tier_id), None)
        reward = None
        if redeem_reward:
            reward = card.rewards.filter(status=RewardStatus.AVAILABLE).order_by("issued_at", "pk").first()
            if reward is None:
                raise NoRewardAvailable()
        points_available, lots = card.points_balance, None
        if redeem_points:
            lots = ledger.open_lots(card=card, unit=Unit.POINTS, now=now)
            points_available = sum((lot.remaining for lot in lots), ZERO)
        compute = {
            "lifetime_spend": member.lifetime_spend,
            "total": total,
            "lines": norm_lines,
            "points_available": points_available,
            "redeem_points": redeem_points,
            "redeem_reward": redeem_reward,
        }
        quote = quote_compute(rules=rules, tier=tier, at=at, **compute)
        quote = _quote_at_tier_reached(rules=rules, member=member, tier=tier, quote=quote, at=at, **compute)
    except LoyaltyError:
        # A replay answers like the first call, even when the card was blocked or its points spent since.
        replay = _purchase_replay(card=card, store=store, receipt_id=receipt_id, fingerprint=fingerprint)
        if replay is not None:
            return replay
        raise
    purchase = Purchase(
        program_id=card.program_id,
        store_id=store.pk,
        card_id=card.pk,
        member_id=member.pk,
        receipt_id=receipt_id,
        fingerprint=fingerprint,
        purchased_at=at,
        created_at=now,
        total=total,
        discount_percent=quote.discount_percent,
        discount_amount=quote.discount_amount,
        points_redeemed=quote.points_redeemed,
        redeemed_value=quote.redeemed_value,
        paid_amount=quote.paid_amount,
        points_earned=quote.points_earned,
        stamps_earned=quote.stamps,
        spend_counted=quote.spend_counted,
        actor=actor.user,
        api_key=actor.api_key,
    )
    # The receipt's uniqueness per store decides here: a receipt already recorded (or being recorded by a
    # concurrent call, which this waits for) inserts nothing and is answered as a replay.
    inserted = fastsql.insert_with_children(
        purchase,
        on_conflict=("store_id", "receipt_id"),
        children=PurchaseLine,
        parent_fk="purchase",
        names=_LINE_COLUMNS,
        rows=[
            (index, line.sku, line.category, line.quantity, line.amount, ZERO, ZERO) for index, line in enumerate(lines)
        ],
    )
    if not inserted:
        return _purchase_replay(card=card, store=store, receipt_id=receipt_id, fingerprint=fingerprint)
    purchase.store, purchase.card, purchase.member = store, card, member
    links = {"purchase": purchase, "store": store, "actor": actor.user}
    if quote.points_redeemed:
        ledger.debit_post(
            card=card,
            unit=Unit.POINTS,
            kind=EntryKind.REDEMPTION,
            amount=quote.points_redeemed,
            now=now,
            lots=lots,
            **links,
        )
    ledger.credits_post(card=card, unit=Unit.POINTS, kind=EntryKind.ACCRUAL, credits=quote.earnings, now=now, **links)
    if quote.stamps:
        expires = expiry_for(days=card_type.stamp_expiry_days, start=at, tz=rules.timezone)
        ledger.credits_post(
            card=card,
            unit=Unit.STAMPS,
            kind=EntryKind.ACCRUAL,
            credits=[Credit(amount=quote.stamps, expires_at=expires)],
            now=now,
            **links,
        )
        rewards_issue(card=card, purchase=purchase, now=now)
    if reward is not None:
        reward.status = RewardStatus.REDEEMED
        reward.redeemed_by_purchase = purchase
        reward.redeemed_at = now
        reward.save(update_fields=["status", "redeemed_by_purchase", "redeemed_at"])
        ledger.reward_use_post(card=card, reward=reward, now=now, **links)
    _member_counters_add(member, spend=quote.spend_counted, purchases=1, points=quote.points_earned)
    tier_upgrade_check(
        member=member,
        tiers=rules.tiers,
        basis=rules.tier_basis,
        window_days=rules.tier_window_days,
        at=now,
        purchase=purchase,
    )
    recorded = outbox.event_new(
        type=EventType.PURCHASE_RECORDED,
        program_id=card.program_id,
        card_id=card.pk,
        member_id=member.pk,
        payload=payloads.purchase_recorded(purchase, currency=card.program.currency),
        at=now,
        program=card.program,
    )
    ledger.card_save_balances(
        card=card,
        now=now,
        cause=BalanceCause.PURCHASE,
        also=[(member, _MEMBER_COUNTERS)],
        events=[recorded],
        purchase_id=purchase.pk,
    )
    return PurchaseResult(purchase=purchase, card=card)


def _member_counters_add(member: Member, *, spend: Decimal, purchases: int, points: Decimal) -> None:
    """Move the member's tier counters in memory; the caller writes them (``_MEMBER_COUNTERS``). The member row
    is locked with the card, so the new values are computed here and written as exact decimals (SQLite would
    do ``F()`` arithmetic on decimals in floating point)."""
    member.lifetime_spend += spend
    member.purchase_count += purchases
    member.points_earned_total += points


@dataclass(frozen=True)
class RefundLineRequest:
    line_id: int
    quantity: Decimal


def purchase_refund(
    *,
    purchase: Purchase,
    refund_id: str,
    lines: list[RefundLineRequest] | None = None,
    amount: Decimal | None = None,
    actor: Actor = SYSTEM,
) -> Refund:
    """Refund a purchase fully (no lines, no amount), by lines, or by an amount of the gross total.

    Takes back the share of earned points and stamps that the refunded part earned and gives back the share
    of points it spent, to their original lots. Shares are cumulative over all refunds of the purchase, so
    refunding everything in parts takes back exactly what the purchase earned, never more. Points already
    spent become debt settled by later accruals. Idempotent per ``(purchase, refund_id)``: the same refund
    again returns the first one, with ``replayed`` set on it, and changes nothing. Raises
    ``RefundExceedsPurchase``, ``DuplicateRefund`` (same id, other content) and ``InvalidInput``. ``actor`` (a
    till's API key, a staff user) is recorded on the refund.
    """
    refund_id = (refund_id or "").strip()
    if not refund_id:
        raise InvalidInput(_("A refund id is required."), field="refund_id")
    if lines and amount is not None:
        raise InvalidInput(_("Refund either by lines or by amount, not both."))
    payload = {
        "lines": sorted([[line.line_id, str(line.quantity)] for line in lines or []]),
        "amount": str(amount) if amount is not None else None,
    }
    return _purchase_refund(
        purchase_id=purchase.pk,
        card_id=purchase.card_id,
        refund_id=refund_id,
        lines=lines or [],
        amount=amount,
        actor=actor,
        fingerprint=_fingerprint(payload),
    )


@transaction.atomic
def _purchase_refund(*, purchase_id, card_id, refund_id, lines, amount, actor: Actor, fingerprint) -> Refund:
    now = clock.now()
    card = ledger.cards_lock(card_ids=[card_id], with_member=True)[card_id]
    purchase = Purchase.objects.select_for_update().get(pk=purchase_id)
    existing = Refund.objects.filter(purchase=purchase, refund_id=refund_id).first()
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise DuplicateRefund(refund=refund_id)
        existing.replayed = True
        return existing
    left = purchase.total - purchase.refunded_amount
    refund_lines = []
    if lines:
        by_id = {line.pk: line for line in purchase.lines.all()}
        refund_amount = ZERO
        for request in lines:
            line = by_id.get(request.line_id)
            if line is None:
                message = _("Line %(line)s is not on this receipt.") % {"line": request.line_id}
                raise InvalidInput(message, field="lines")
            if request.quantity <= 0:
                raise InvalidInput(_("Refund quantities must be positive."), field="lines")
            line_left = line.quantity - line.refunded_quantity
            if request.quantity > line_left:
                raise RefundExceedsPurchase(left=line_left)
            if request.quantity == line_left:
                part = line.amount - line.refunded_amount
            else:
                part = money(line.amount * request.quantity / line.quantity)
            line.refunded_quantity += request.quantity
            line.refunded_amount += part
            refund_amount += part
            refund_lines.append((line, request.quantity, part))
    elif amount is not None:
        if amount <= 0 or money(amount) != amount:
            raise InvalidInput(_("The refund amount must be positive, with at most two decimals."), field="amount")
        refund_amount = amount
    else:
        refund_amount = left
    if refund_amount <= 0 or refund_amount > left:
        raise RefundExceedsPurchase(left=left)

    refunded_total = purchase.refunded_amount + refund_amount
    share = refunded_total / purchase.total

    def due(total_effect: Decimal, already: Decimal) -> Decimal:
        target = total_effect if refunded_total == purchase.total else money(total_effect * share)
        return max(ZERO, target - already)

    points_back = due(purchase.points_earned, purchase.points_reversed)
    points_return = due(purchase.points_redeemed, purchase.points_returned)
    spend_back = due(purchase.spend_counted, purchase.spend_reversed)
    refund = Refund.objects.create(
        program_id=purchase.program_id,
        purchase=purchase,
        refund_id=refund_id,
        fingerprint=fingerprint,
        amount=refund_amount,
        points_returned=points_return,
        spend_reversed=spend_back,
        actor=actor.user,
        api_key=actor.api_key,
        created_at=now,
    )
    if refund_lines:
        RefundLine.objects.bulk_create(
            [RefundLine(refund=refund, line=line, quantity=qty, amount=part) for line, qty, part in refund_lines]
        )
        PurchaseLine.objects.bulk_update(
            [line for line, _, _ in refund_lines], ["refunded_quantity", "refunded_amount"]
        )
    links = {"purchase": purchase, "refund": refund, "store_id": purchase.store_id, "actor": actor.user}
    # Give back spent points first, so taking back earned points can use them.
    if points_return:
        sources = LedgerEntry.objects.filter(purchase=purchase, kind=EntryKind.REDEMPTION)
        ledger.allocations_return(
            card=card,
            unit=Unit.POINTS,
            kind=EntryKind.RETURN,
            source_entries=sources,
            amount=points_return,
            now=now,
            **links,
        )
    own_accruals = LedgerEntry.objects.filter(purchase=purchase, kind=EntryKind.ACCRUAL).only("pk")
    points_debt = ledger.debit_or_owe(
        card=card,
        unit=Unit.POINTS,
        kind=EntryKind.REVERSAL,
        amount=points_back,
        now=now,
        prefer_entries=own_accruals.filter(unit=Unit.POINTS),
        **links,
    )
    stamps_back = _stamps_to_take_back(purchase=purchase, card=card, refunded_total=refunded_total)
    if stamps_back:
        if card.stamps_balance < stamps_back:
            rewards_void_for_stamps(card=card, needed=stamps_back, now=now, **links)
        ledger.debit_or_owe(
            card=card,
            unit=Unit.STAMPS,
            kind=EntryKind.REVERSAL,
            amount=stamps_back,
            now=now,
            prefer_entries=own_accruals.filter(unit=Unit.STAMPS),
            **links,
        )
    reward_returned = False
    if refunded_total == purchase.total:
        reward_returned = bool(
            StampReward.objects.filter(redeemed_by_purchase=purchase, status=RewardStatus.REDEEMED).update(
                status=RewardStatus.AVAILABLE, redeemed_at=None, redeemed_by_purchase=None
            )
        )
    ledger.card_save_balances(
        card=card, now=now, cause=BalanceCause.REFUND, purchase_id=purchase.pk, refund_id=refund.pk
    )

    refund.points_reversed = points_back
    refund.points_debt = points_debt
    refund.stamps_reversed = stamps_back
    refund.reward_returned = reward_returned
    refund.save(update_fields=["points_reversed", "points_debt", "stamps_reversed", "reward_returned"])
    purchase.refunded_amount = refunded_total
    purchase.points_reversed += points_back
    purchase.points_returned += points_return
    purchase.stamps_reversed += stamps_back
    purchase.spend_reversed += spend_back
    purchase.save(
        update_fields=[
            "refunded_amount",
            "points_reversed",
            "points_returned",
            "stamps_reversed",
            "spend_reversed",
        ]
    )
    member = card.member
    fully = refunded_total == purchase.total
    _member_counters_add(member, spend=-spend_back, purchases=-1 if fully else 0, points=-points_back)
    fastsql.update(member, _MEMBER_COUNTERS)
    rules = rules_for_card_type(card_type=card.card_type, program=card.program)
    tier_refund_check(member=member, tiers=rules.tiers, program=card.program, purchase=purchase, at=now)
    purchase.card = card
    payload = payloads.purchase_refunded(refund, purchase=purchase, card=card, currency=card.program.currency)
    outbox.events_record(
        [
            outbox.event_new(
                type=EventType.PURCHASE_REFUNDED,
                program_id=card.program_id,
                card_id=card.pk,
                member_id=purchase.member_id,
                payload=payload,
                at=now,
                program=card.program,
            )
        ]
    )
    refund.replayed = False
    return refund


def _stamps_to_take_back(*, purchase: Purchase, card: Card, refunded_total: Decimal) -> Decimal:
    """Stamps the purchase keeps are those its unrefunded part would still earn; the rest go back."""
    if not purchase.stamps_earned or card.card_type.kind != CardKind.STAMPS:
        return ZERO
    card_type = card.card_type
    if refunded_total >= purchase.total:
        keep = ZERO
    else:
        kept_share = (purchase.total - refunded_total) / purchase.total
        remaining_after_discount = money((purchase.total - refunded_total) * (1 - purchase.discount_percent / 100))
        if remaining_after_discount < card_type.earn_min_purchase:
            keep = ZERO
        elif card_type.stamp_basis == StampBasis.ITEM:
            lines = list(purchase.lines.all())
            keep = (purchase.stamps_earned * kept_share).quantize(Decimal("1"), rounding=ROUND_DOWN)
            if lines:
                categories = card_type.stamp_category_list()
                units_left = sum(
                    (
                        line.quantity - line.refunded_quantity
                        for line in lines
                        if line.amount > 0 and (not categories or line.category.casefold() in categories)
                    ),
                    ZERO,
                )
                by_lines = units_left.quantize(Decimal("1"), rounding=ROUND_DOWN)
                line_refunds = sum((line.refunded_amount for line in lines), ZERO)
                amount_only = refunded_total - line_refunds
                by_amount = (purchase.stamps_earned * (purchase.total - amount_only) / purchase.total).quantize(
                    Decimal("1"), rounding=ROUND_DOWN
                )
                keep = min(by_lines, by_amount)
        else:
            keep = purchase.stamps_earned
    keep = min(keep, purchase.stamps_earned)
    return max(ZERO, purchase.stamps_earned - keep - purchase.stamps_reversed)
