"""Tier moves: upgrades at purchase time, downgrades by the scheduled review, reverts on refunds."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from programs import outbox, payloads
from programs.choices import DowngradePolicy, EventType, TierBasis, TierChangeReason
from programs.models import Member, Program, Purchase, Tier, TierChange
from programs.selectors import member_qualifying_value
from programs.services import _fastsql as fastsql

ZERO = Decimal("0")


def _tier_for(tiers: list[Tier], value: Decimal) -> Tier | None:
    reached = None
    for tier in tiers:
        if value >= tier.threshold:
            reached = tier
    return reached


def _rank(tier: Tier | None) -> Decimal:
    return Decimal("-1") if tier is None else tier.threshold


def member_tier_set(
    *, member: Member, tier: Tier | None, reason: str, at: datetime, purchase: Purchase | None = None
) -> TierChange | None:
    """Move a member to ``tier``, write the ``TierChange`` row and its ``tier.changed`` event. No-op if unchanged.
    Runs in the caller's transaction (the event is written in it)."""
    old = member.tier
    if (old.pk if old else None) == (tier.pk if tier else None):
        return None
    member.tier = tier
    member.tier_achieved_at = at
    member.tier_below_since = None
    # Fixed-shape statements: upgrades happen inside the purchase path.
    fastsql.update(member, ("tier", "tier_achieved_at", "tier_below_since"))
    change = TierChange(
        program_id=member.program_id,
        member=member,
        from_tier=old,
        to_tier=tier,
        reason=reason,
        purchase=purchase,
        created_at=at,
    )
    fastsql.insert([change])
    payload = payloads.tier_changed(
        member, from_tier=old, to_tier=tier, reason=reason, purchase_id=purchase.pk if purchase else None
    )
    event = outbox.event_new(
        type=EventType.TIER_CHANGED, program_id=member.program_id, member_id=member.pk, payload=payload, at=at
    )
    outbox.events_record([event])
    return change


def tier_upgrade_check(
    *, member: Member, tiers: list[Tier], basis: str, window_days: int | None, at: datetime, purchase=None
) -> TierChange | None:
    """Upgrade right away when the member now qualifies for a higher tier (never downgrades)."""
    if not tiers:
        return None
    value = member_qualifying_value(member=member, basis=basis, window_days=window_days, at=at)
    target = _tier_for(tiers, value)
    current = next((tier for tier in tiers if tier.pk == member.tier_id), None)  # no extra query for the tier
    if target is not None and _rank(target) > _rank(current):
        member.tier = current  # the same tier, now cached: member_tier_set reads it as the old one
        return member_tier_set(member=member, tier=target, reason=TierChangeReason.UPGRADE, at=at, purchase=purchase)
    return None


def tier_refund_check(*, member: Member, tiers: list[Tier], program: Program, purchase: Purchase, at: datetime):
    """Undo an upgrade the refunded purchase paid for: if the tier was reached after the purchase and the
    member no longer qualifies, step back at once (other drops wait for the scheduled review)."""
    if not tiers or member.tier is None or member.tier_achieved_at is None:
        return None
    if member.tier_achieved_at < purchase.created_at:
        return None
    value = member_qualifying_value(
        member=member, basis=program.tier_basis, window_days=program.tier_window_days, at=at
    )
    target = _tier_for(tiers, value)
    if _rank(target) < _rank(member.tier):
        return member_tier_set(member=member, tier=target, reason=TierChangeReason.REFUND, at=at, purchase=purchase)
    return None


def _qualifying_annotation(program: Program, at: datetime):
    if program.tier_window_days is None:
        if program.tier_basis == TierBasis.SPEND:
            return F("lifetime_spend")
        if program.tier_basis == TierBasis.POINTS:
            return F("points_earned_total")
        return F("purchase_count")
    purchases = Purchase.objects.filter(
        member=OuterRef("pk"), purchased_at__gt=at - timedelta(days=program.tier_window_days)
    )
    if program.tier_basis == TierBasis.PURCHASES:
        expression = Sum(Value(1), filter=~Q(refunded_amount=F("total"), total__gt=0))
    elif program.tier_basis == TierBasis.SPEND:
        expression = Sum(F("spend_counted") - F("spend_reversed"))
    else:
        expression = Sum(F("points_earned") - F("points_reversed"))
    return Coalesce(Subquery(purchases.values("member").annotate(value=expression).values("value")[:1]), Value(ZERO))


def tiers_review(*, at: datetime, chunk: int = 2000) -> dict[str, int]:
    """The scheduled tier review: upgrades members who qualify higher; downgrades by the program's policy.

    *never* keeps the tier; *period end* steps down once the qualification window since the tier was reached
    has passed; *grace* marks when a member fell below and steps down after the grace days. Members are read
    with their qualifying value in one query per chunk.
    """
    counts = {"upgraded": 0, "downgraded": 0, "marked": 0}
    for program in Program.objects.filter(is_active=True, tiers__isnull=False).distinct():
        tiers = list(Tier.objects.filter(program=program).order_by("threshold"))
        members = (
            Member.objects.filter(program=program)
            .annotate(qualifying=_qualifying_annotation(program, at))
            .select_related("tier")
            .order_by("pk")
        )
        last_pk = 0
        while True:
            batch = list(members.filter(pk__gt=last_pk)[:chunk])
            if not batch:
                break
            last_pk = batch[-1].pk
            with transaction.atomic():
                for member in batch:
                    _review_member(member, tiers, program, at, counts)
    return counts


def _review_member(member: Member, tiers, program: Program, at: datetime, counts) -> None:
    target = _tier_for(tiers, Decimal(member.qualifying))
    current = member.tier
    if _rank(target) > _rank(current):
        member_tier_set(member=member, tier=target, reason=TierChangeReason.UPGRADE, at=at)
        counts["upgraded"] += 1
        return
    if _rank(target) == _rank(current):
        if member.tier_below_since is not None:
            Member.objects.filter(pk=member.pk).update(tier_below_since=None)
        return
    policy = program.downgrade_policy
    if policy == DowngradePolicy.NEVER:
        return
    if policy == DowngradePolicy.PERIOD_END:
        achieved = member.tier_achieved_at or member.joined_at
        if at >= achieved + timedelta(days=program.tier_window_days or 365):
            member_tier_set(member=member, tier=target, reason=TierChangeReason.PERIOD_END, at=at)
            counts["downgraded"] += 1
        return
    if member.tier_below_since is None:
        Member.objects.filter(pk=member.pk).update(tier_below_since=at)
        counts["marked"] += 1
    elif at >= member.tier_below_since + timedelta(days=program.downgrade_grace_days):
        member_tier_set(member=member, tier=target, reason=TierChangeReason.GRACE_ENDED, at=at)
        counts["downgraded"] += 1
