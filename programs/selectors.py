"""Reads shared by the admin, the portal, the API and the jobs. No writes here."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce

from programs import clock
from programs.choices import (
    ACTION_RULE_KINDS,
    Bucket,
    CardStatus,
    DowngradePolicy,
    RewardStatus,
    RuleKind,
    TierBasis,
    Unit,
)
from programs.models import (
    Card,
    CardType,
    DiscountThreshold,
    EarningRule,
    LedgerEntry,
    Lot,
    Member,
    Program,
    Purchase,
    RedemptionRule,
    StampReward,
    Tier,
)
from programs.pricing import ProgramRules

ZERO = Decimal("0")


def programs_for_user(*, user):
    """Programs a staff user may see and edit: every program for a superuser, else their businesses'."""
    return Program.objects.for_user(user).select_related("business")


_rules_cache: dict[int, tuple[int, ProgramRules]] = {}


def rules_for_card_type(*, card_type: CardType, program: Program | None = None) -> ProgramRules:
    """Snapshot of a card type's configuration for ``pricing``: tiers, steps, redemption and earning rules.

    Snapshots are kept per process and reused while the program's ``config_version`` is unchanged (every
    save or delete of a rule bumps it), so the purchase path reads the rules once, not on every receipt.
    Pass the ``program`` row already loaded (the card lock reads it) to get a fresh version for free.
    """
    program = program or card_type.program
    cached = _rules_cache.get(card_type.pk)
    if cached is not None and cached[0] == program.config_version:
        return cached[1]
    rules = list(
        EarningRule.objects.filter(program_id=card_type.program_id, is_active=True)
        .filter(Q(card_type__isnull=True) | Q(card_type=card_type))
        .order_by("pk")
    )
    actions: dict[str, list[EarningRule]] = {kind: [] for kind in ACTION_RULE_KINDS}
    for rule in rules:
        if rule.kind in actions:
            actions[rule.kind].append(rule)
    snapshot = ProgramRules(
        card_type=card_type,
        timezone=ZoneInfo(program.timezone),
        tiers=list(Tier.objects.filter(program_id=card_type.program_id).order_by("threshold")),
        thresholds=list(DiscountThreshold.objects.filter(card_type=card_type).order_by("min_spend")),
        redemption=RedemptionRule.objects.filter(card_type=card_type).first(),
        multipliers=[rule for rule in rules if rule.kind == RuleKind.MULTIPLIER],
        actions=actions,
        tier_basis=program.tier_basis,
        tier_window_days=program.tier_window_days,
        tier_crossing_rate=program.tier_crossing_rate,
    )
    _rules_cache[card_type.pk] = (program.config_version, snapshot)
    return snapshot


def rules_for_card_type_id(*, card_type_id: int, program: Program) -> ProgramRules:
    """``rules_for_card_type`` by id: the snapshot (with its ``card_type``) without reading the card type when the
    snapshot is fresh, so readers of many cards need not join their card types."""
    cached = _rules_cache.get(card_type_id)
    if cached is not None and cached[0] == program.config_version:
        return cached[1]
    return rules_for_card_type(card_type=CardType.objects.get(pk=card_type_id, program=program), program=program)


def member_qualifying_value(*, member: Member, basis: str, window_days: int | None, at: datetime) -> Decimal:
    """The figure tiers are measured against: spend, points earned or purchases, net of refunds.

    Lifetime programs read the member's counters; windowed programs sum the member's purchases since
    ``at - window_days``.
    """
    if window_days is None:
        if basis == TierBasis.SPEND:
            return member.lifetime_spend
        if basis == TierBasis.POINTS:
            return member.points_earned_total
        return Decimal(member.purchase_count)
    purchases = Purchase.objects.filter(member=member, purchased_at__gt=at - timedelta(days=window_days))
    if basis == TierBasis.PURCHASES:
        return Decimal(purchases.exclude(refunded_amount=F("total"), total__gt=0).count())
    field = ("spend_counted", "spend_reversed") if basis == TierBasis.SPEND else ("points_earned", "points_reversed")
    totals = purchases.aggregate(gained=Coalesce(Sum(field[0]), ZERO), lost=Coalesce(Sum(field[1]), ZERO))
    return _two_places(totals["gained"]) - _two_places(totals["lost"])


def _two_places(value) -> Decimal:
    # SQLite's SUM answers floats or integers; every database answers the same Decimal here.
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Balances:
    cashback: Decimal
    promo: Decimal
    stamps: Decimal
    points_debt: Decimal
    next_expiry_at: datetime | None
    next_expiry_amount: Decimal
    rewards_available: int
    stamps_debt: Decimal = ZERO

    @property
    def points(self) -> Decimal:
        return self.cashback + self.promo


def card_balances(*, card: Card, at: datetime | None = None) -> Balances:
    """Spendable balances split by bucket, with the next expiry. Lots past expiry don't count.

    Three aggregate queries whatever the card's history length.
    """
    at = at or clock.now()
    live = Lot.objects.filter(card=card).spendable(at)
    sums = live.aggregate(
        cashback=Coalesce(Sum("remaining", filter=Q(unit=Unit.POINTS, bucket=Bucket.CASHBACK)), ZERO),
        promo=Coalesce(Sum("remaining", filter=Q(unit=Unit.POINTS, bucket=Bucket.PROMO)), ZERO),
        stamps=Coalesce(Sum("remaining", filter=Q(unit=Unit.STAMPS)), ZERO),
        next_expiry=Min("expires_at", filter=Q(unit=Unit.POINTS)),
    )
    next_amount = ZERO
    if sums["next_expiry"] is not None:
        next_amount = live.filter(unit=Unit.POINTS, expires_at=sums["next_expiry"]).aggregate(
            total=Coalesce(Sum("remaining"), ZERO)
        )["total"]
    rewards = card.rewards.filter(status="available").count() if card.card_type.earns_stamps else 0
    return Balances(
        cashback=_two_places(sums["cashback"]),
        promo=_two_places(sums["promo"]),
        stamps=_two_places(sums["stamps"]),
        points_debt=card.points_debt,
        stamps_debt=card.stamps_debt,
        next_expiry_at=sums["next_expiry"],
        next_expiry_amount=_two_places(next_amount),
        rewards_available=rewards,
    )


def ledger_list(*, card: Card):
    """A card's history, newest first, with what each entry needs to show its reason (for an expiry, the entry
    that gave what expired)."""
    return (
        LedgerEntry.objects.for_card(card)
        .newest_first()
        .select_related(
            "rule",
            "purchase",
            "purchase__store",
            "purchase__api_key",
            "refund",
            "refund__api_key",
            "actor",
            "store",
            "lot__entry__purchase",
        )
    )


def member_list(*, programs, query: str = ""):
    """Members of the given programs, searchable by phone, card number or name."""
    return (
        Member.objects.filter(program__in=programs)
        .search(query)
        .select_related("program", "tier")
        .annotate(card_count=Count("cards", filter=~Q(cards__status=CardStatus.REPLACED), distinct=True))
    )


def card_get_by_number(*, program: Program, number: str) -> Card | None:
    number = (number or "").strip().replace(" ", "")
    return (
        Card.objects.filter(program=program, number=number)
        .select_related("member", "card_type", "member__tier")
        .first()
    )


def member_get_by_phone(*, program: Program, phone) -> Member | None:
    return Member.objects.filter(program=program, phone=phone).select_related("tier").first()


@dataclass(frozen=True)
class TierProgress:
    tier: Tier | None
    next_tier: Tier | None
    value: Decimal
    remaining: Decimal
    percent: int
    basis: str = TierBasis.SPEND
    downgrade_at: datetime | None = None
    downgrade_to: Tier | None = None


def tier_downgrade_due(*, member: Member, tiers: list[Tier], value: Decimal) -> tuple[datetime | None, Tier | None]:
    """When the member's tier steps down and to which tier, if they are below its threshold under a downgrade
    policy (``tiers_review`` does it then); ``(None, None)`` otherwise, or while a grace period has not started."""
    program = member.program
    current = member.tier
    if current is None or program.downgrade_policy == DowngradePolicy.NEVER or value >= current.threshold:
        return None, None
    lower = None
    for tier in tiers:
        if value >= tier.threshold:
            lower = tier
    if program.downgrade_policy == DowngradePolicy.GRACE:
        since = member.tier_below_since
        return (since + timedelta(days=program.downgrade_grace_days), lower) if since else (None, None)
    achieved = member.tier_achieved_at or member.joined_at
    return achieved + timedelta(days=program.tier_window_days or 365), lower


def member_tier_progress(
    *, member: Member, at: datetime | None = None, tiers: list[Tier] | None = None
) -> TierProgress:
    """Where the member stands: current tier, the next one, how much is left to reach it, and when a downgrade
    is due. ``tiers``: the program's tiers by threshold when the caller has them (a rule snapshot), else read.

    The percentage is of the way from the current tier's threshold to the next one's, rounded down, but never 0
    once there is progress nor 100 before the tier is reached.
    """
    program = member.program
    value = member_qualifying_value(
        member=member, basis=program.tier_basis, window_days=program.tier_window_days, at=at or clock.now()
    )
    if tiers is None:
        tiers = list(Tier.objects.filter(program_id=member.program_id).order_by("threshold"))
    current = member.tier
    if current is None:
        # Not placed yet (joined before tiers existed): show where the figure puts them.
        current = next((tier for tier in reversed(tiers) if value >= tier.threshold), None)
    next_tier = next((tier for tier in tiers if current is None or tier.threshold > current.threshold), None)
    downgrade_at, downgrade_to = tier_downgrade_due(member=member, tiers=tiers, value=value)
    common = {"value": value, "basis": program.tier_basis, "downgrade_at": downgrade_at, "downgrade_to": downgrade_to}
    if next_tier is None:
        return TierProgress(tier=current, next_tier=None, remaining=ZERO, percent=100, **common)
    start = current.threshold if current else ZERO
    span = next_tier.threshold - start
    done = max(ZERO, value - start)
    remaining = max(ZERO, next_tier.threshold - value)
    percent = int(min(Decimal(100), done * 100 / span)) if span > 0 else 100
    if done > 0 and percent == 0:
        percent = 1
    if remaining > 0 and percent == 100:
        percent = 99
    return TierProgress(tier=current, next_tier=next_tier, remaining=remaining, percent=percent, **common)


def cards_balances(*, cards, at: datetime | None = None) -> dict[int, Balances]:
    """``card_balances`` of several cards (a member's cards, an API lookup) by card id, in at most three queries
    whatever the number of cards. The cards need their ``card_type`` loaded."""
    at = at or clock.now()
    cards = list(cards)
    if not cards:
        return {}
    live = Lot.objects.filter(card_id__in=[card.pk for card in cards]).spendable(at)
    sums = {
        row["card_id"]: row
        for row in live.values("card_id")
        .annotate(
            cashback=Coalesce(Sum("remaining", filter=Q(unit=Unit.POINTS, bucket=Bucket.CASHBACK)), ZERO),
            promo=Coalesce(Sum("remaining", filter=Q(unit=Unit.POINTS, bucket=Bucket.PROMO)), ZERO),
            stamps=Coalesce(Sum("remaining", filter=Q(unit=Unit.STAMPS)), ZERO),
            next_expiry=Min("expires_at", filter=Q(unit=Unit.POINTS)),
        )
        .order_by()
    }
    due = Q()
    for card_id, row in sums.items():
        if row["next_expiry"] is not None:
            due |= Q(card_id=card_id, expires_at=row["next_expiry"])
    next_amounts = {}
    if due:
        next_amounts = {
            row["card_id"]: row["total"]
            for row in live.filter(due, unit=Unit.POINTS).values("card_id").annotate(total=Sum("remaining")).order_by()
        }
    stamp_ids = [card.pk for card in cards if card.card_type.earns_stamps]
    rewards = {}
    if stamp_ids:
        rewards = {
            row["card_id"]: row["count"]
            for row in StampReward.objects.filter(card_id__in=stamp_ids, status=RewardStatus.AVAILABLE)
            .values("card_id")
            .annotate(count=Count("pk"))
            .order_by()
        }
    empty = {"cashback": ZERO, "promo": ZERO, "stamps": ZERO, "next_expiry": None}
    result = {}
    for card in cards:
        row = sums.get(card.pk, empty)
        result[card.pk] = Balances(
            cashback=_two_places(row["cashback"]),
            promo=_two_places(row["promo"]),
            stamps=_two_places(row["stamps"]),
            points_debt=card.points_debt,
            stamps_debt=card.stamps_debt,
            next_expiry_at=row["next_expiry"],
            next_expiry_amount=_two_places(next_amounts.get(card.pk, ZERO)),
            rewards_available=rewards.get(card.pk, 0),
        )
    return result


@dataclass(frozen=True)
class ProgramFigures:
    """A program at a glance: members, today's purchases (in the program's own day) and the points members hold."""

    members: int
    purchases_today: int
    sales_today: Decimal
    points_cashback: Decimal
    points_promo: Decimal

    @property
    def points_outstanding(self) -> Decimal:
        return self.points_cashback + self.points_promo


def program_day_bounds(*, program: Program, at: datetime) -> tuple[datetime, datetime]:
    """The start and end (exclusive) of the calendar day ``at`` falls in, in the program's time zone: what the
    engine calls "today" everywhere (daily limits, birthdays). 23 or 25 hours long on a DST change."""
    zone = ZoneInfo(program.timezone)
    day = at.astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def program_figures_list(*, programs, at: datetime | None = None) -> dict[int, ProgramFigures]:
    """``ProgramFigures`` of each of ``programs`` by program id, in three aggregate queries whatever their number.

    Purchases today count every receipt whose purchase time falls in the program's current day (its own time
    zone), refunded or not; ``sales_today`` is their total before discounts and refunds. Points outstanding are
    the spendable points (lots not past expiry), cashback and promo apart; stamps are not points.
    """
    at = at or clock.now()
    programs = list(programs)
    if not programs:
        return {}
    ids = [program.pk for program in programs]
    members = dict(
        Member.objects.filter(program_id__in=ids)
        .values("program_id")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("program_id", "count")
    )
    today = Q(pk__in=[])
    for program in programs:
        start, end = program_day_bounds(program=program, at=at)
        today |= Q(program_id=program.pk, purchased_at__gte=start, purchased_at__lt=end)
    purchases = {
        row["program_id"]: row
        for row in Purchase.objects.filter(today)
        .values("program_id")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by()
    }
    points = {
        row["program_id"]: row
        for row in Lot.objects.filter(program_id__in=ids, unit=Unit.POINTS)
        .spendable(at)
        .values("program_id")
        .annotate(
            cashback=Coalesce(Sum("remaining", filter=Q(bucket=Bucket.CASHBACK)), ZERO),
            promo=Coalesce(Sum("remaining", filter=Q(bucket=Bucket.PROMO)), ZERO),
        )
        .order_by()
    }
    result = {}
    for program_id in ids:
        sold = purchases.get(program_id, {"count": 0, "total": ZERO})
        held = points.get(program_id, {"cashback": ZERO, "promo": ZERO})
        result[program_id] = ProgramFigures(
            members=members.get(program_id, 0),
            purchases_today=sold["count"],
            sales_today=_two_places(sold["total"] or ZERO),
            points_cashback=_two_places(held["cashback"]),
            points_promo=_two_places(held["promo"]),
        )
    return result
