"""Helpers of the analytics tests: run the analytics outbox consumer, and compute the daily facts straight from the
engine's rows in Python (the reference the rollups must equal)."""

from collections import defaultdict
from decimal import Decimal

from analytics.models import DailyFact, MemberFact, MemberJoining, MemberRecency
from analytics.rollups import COUNT_FIELDS, SUM_FIELDS
from programs import outbox
from programs.choices import Bucket, EntryKind, RewardStatus, TierChangeReason, Unit
from programs.models import Card, LedgerEntry, Member, Purchase, Refund, StampReward, TierChange

ZERO = Decimal("0")


def analytics_dispatch() -> int:
    """Hand the analytics consumer everything after its cursor (what the worker does after a commit)."""
    consumer = next(c for c in outbox.consumers() if c.name == "analytics")
    total = 0
    while True:
        moved = outbox.consumer_dispatch(consumer)
        if not moved:
            return total
        total += moved


def tier_at(member: Member, moment):
    changes = sorted(TierChange.objects.filter(member=member), key=lambda c: (c.created_at, c.pk))
    before = [c for c in changes if c.created_at <= moment]
    if before:
        return before[-1].to_tier_id
    after = [c for c in changes if c.created_at > moment]
    if after:
        return after[0].from_tier_id
    return member.tier_id


def facts_direct(program) -> dict[tuple, dict]:
    """The program's daily facts computed row by row in Python from the engine's tables."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(program.timezone)
    facts: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: ZERO))

    def day(moment):
        return moment.astimezone(zone).date()

    for purchase in Purchase.objects.filter(program=program).select_related("card", "member"):
        key = (
            day(purchase.purchased_at),
            purchase.card.card_type_id,
            purchase.store_id,
            tier_at(purchase.member, purchase.created_at),
        )
        facts[key]["purchases"] += 1
        facts[key]["revenue"] += purchase.total
        facts[key]["discount"] += purchase.discount_amount
        facts[key]["paid_with_points"] += purchase.redeemed_value
    for refund in Refund.objects.filter(program=program).select_related("purchase__card", "purchase__member"):
        purchase = refund.purchase
        key = (
            day(refund.created_at),
            purchase.card.card_type_id,
            purchase.store_id,
            tier_at(purchase.member, refund.created_at),
        )
        facts[key]["refunds"] += 1
        facts[key]["refunded"] += refund.amount
    for entry in LedgerEntry.objects.filter(program=program).select_related("card__member"):
        key = (
            day(entry.created_at),
            entry.card.card_type_id,
            entry.store_id,
            tier_at(entry.card.member, entry.created_at),
        )
        cells = facts[key]
        if entry.unit == Unit.STAMPS:
            if entry.kind in (EntryKind.ACCRUAL, EntryKind.REVERSAL):
                cells["stamps_issued"] += entry.amount
            continue
        bucket = "cashback" if entry.bucket == Bucket.CASHBACK else "promo"
        cells[f"points_net_{bucket}"] += entry.amount
        if entry.kind in (EntryKind.ACCRUAL, EntryKind.REVERSAL):
            cells[f"points_earned_{bucket}"] += entry.amount
        elif entry.kind in (EntryKind.REDEMPTION, EntryKind.RETURN):
            cells["points_redeemed"] -= entry.amount
        elif entry.kind == EntryKind.EXPIRY:
            cells[f"points_expired_{bucket}"] -= entry.amount
    for reward in StampReward.objects.filter(program=program).select_related(
        "card__member", "issued_by_purchase", "redeemed_by_purchase"
    ):
        store = reward.issued_by_purchase.store_id if reward.issued_by_purchase else None
        facts[(day(reward.issued_at), reward.card.card_type_id, store, tier_at(reward.card.member, reward.issued_at))][
            "rewards_issued"
        ] += 1
        if reward.status == RewardStatus.REDEEMED:
            store = reward.redeemed_by_purchase.store_id if reward.redeemed_by_purchase else None
            key = (
                day(reward.redeemed_at),
                reward.card.card_type_id,
                store,
                tier_at(reward.card.member, reward.redeemed_at),
            )
            facts[key]["rewards_redeemed"] += 1
    for member in Member.objects.filter(program=program):
        first = Card.objects.filter(member=member).order_by("issued_at", "pk").first()
        key = (day(member.joined_at), first.card_type_id if first else None, None, tier_at(member, member.joined_at))
        facts[key]["new_members"] += 1
    for card in Card.objects.filter(program=program).select_related("member"):
        facts[(day(card.issued_at), card.card_type_id, None, tier_at(card.member, card.issued_at))]["cards_issued"] += 1
    for change in TierChange.objects.filter(program=program):
        first = Card.objects.filter(member_id=change.member_id).order_by("issued_at", "pk").first()
        key = (day(change.created_at), first.card_type_id if first else None, None, change.to_tier_id)
        if change.reason == TierChangeReason.UPGRADE:
            facts[key]["tier_upgrades"] += 1
        elif change.reason in (TierChangeReason.PERIOD_END, TierChangeReason.GRACE_ENDED, TierChangeReason.REFUND):
            facts[key]["tier_downgrades"] += 1
    return _clean(facts)


def facts_rolled_up(program) -> dict[tuple, dict]:
    facts: dict[tuple, dict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for fact in DailyFact.objects.filter(program=program):
        key = (fact.day, fact.card_type_id, fact.store_id, fact.tier_id)
        for name in (*SUM_FIELDS, *COUNT_FIELDS):
            facts[key][name] += getattr(fact, name)
    return _clean(facts)


def _clean(facts) -> dict[tuple, dict]:
    """Without zero cells and empty keys, values as Decimal: two computations compare equal when they agree."""
    clean = {}
    for key, cells in facts.items():
        values = {name: Decimal(value) for name, value in cells.items() if value}
        if values:
            clean[key] = values
    return clean


def summaries_direct(program) -> tuple[dict, dict]:
    """The member summaries computed in Python from the member facts: (recency, joining), zero rows left out."""
    recency: dict[tuple, list] = defaultdict(lambda: [0, ZERO])
    joining: dict[tuple, list] = defaultdict(lambda: [0, ZERO, ZERO])
    for fact in MemberFact.objects.filter(program=program):
        frequency = 0 if fact.purchases <= 1 else (1 if fact.purchases <= 4 else 2)
        cells = recency[(frequency, fact.card_type_id, fact.tier_id, fact.last_purchase_on)]
        cells[0] += 1
        cells[1] += fact.monetary
        cells = joining[(fact.joined_on, fact.card_type_id, fact.tier_id)]
        cells[0] += 1
        cells[1] += fact.spend_before_joining
        cells[2] += fact.spend_after_joining
    return dict(recency), dict(joining)


def summaries_rolled_up(program) -> tuple[dict, dict]:
    recency, joining = {}, {}
    for row in MemberRecency.objects.filter(program=program):
        key = (row.frequency, row.card_type_id, row.tier_id, row.last_purchase_on)
        assert key not in recency, f"two summary rows for {key}"
        if row.members:
            recency[key] = [row.members, row.monetary]
    for row in MemberJoining.objects.filter(program=program):
        key = (row.joined_on, row.card_type_id, row.tier_id)
        assert key not in joining, f"two summary rows for {key}"
        if row.members:
            joining[key] = [row.members, row.spend_before_joining, row.spend_after_joining]
    return recency, joining
