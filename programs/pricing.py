"""What a purchase gets: discount, redeemable points, points and stamps to earn. Pure functions, no writes.

The order is fixed and documented for business owners: the discount comes off the gross total first; points
then pay up to the redemption rule's share of what is left; cashback is earned on the amount paid (plus the
points-paid part when the rule says so); earning rules add their extra points on the lines they cover. What the
purchase adds to the member's total spend follows the card type: the amount before discount (default) or after
it, with or without the part paid with points.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from programs.choices import ACTION_RULE_KINDS, Bucket, CardKind, Rounding, SpendBasis, StampBasis, TierCrossingRate
from programs.credits import Credit
from programs.errors import (
    BelowMinimumCheck,
    InsufficientPoints,
    InvalidInput,
    RedemptionLimitExceeded,
    RedemptionNotAllowed,
)
from programs.models import CardType, EarningRule, RedemptionRule, Tier

ZERO = Decimal("0")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def points_round(value: Decimal, rounding: str) -> Decimal:
    if rounding == Rounding.CENTS:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    mode = ROUND_HALF_UP if rounding == Rounding.HALF_UP else ROUND_DOWN
    return value.quantize(Decimal("1"), rounding=mode).quantize(CENT)


@dataclass(frozen=True)
class Line:
    amount: Decimal
    quantity: Decimal = Decimal("1")
    sku: str = ""
    category: str = ""


@dataclass
class ProgramRules:
    """Everything the calculation needs about one card type, read once (``selectors.rules_for_card_type``)."""

    card_type: CardType
    timezone: ZoneInfo
    tiers: list[Tier]
    thresholds: list  # DiscountThreshold, ascending
    redemption: RedemptionRule | None
    multipliers: list[EarningRule]
    actions: dict[str, list[EarningRule]] = field(default_factory=dict)
    tier_basis: str = "spend"
    tier_window_days: int | None = None
    tier_crossing_rate: str = TierCrossingRate.OLD

    def tier_for(self, value: Decimal) -> Tier | None:
        reached = None
        for tier in self.tiers:
            if value >= tier.threshold:
                reached = tier
        return reached


@dataclass
class Quote:
    total: Decimal
    discount_percent: Decimal = ZERO
    discount_amount: Decimal = ZERO
    points_available: Decimal = ZERO
    points_redeemable: Decimal = ZERO
    points_redeemed: Decimal = ZERO
    redeemed_value: Decimal = ZERO
    earnings: list[Credit] = field(default_factory=list)
    stamps: Decimal = ZERO
    reward_redeemed: bool = False
    # What the purchase adds to the member's total spend (the card type's spend basis).
    spend_counted: Decimal = ZERO

    @property
    def after_discount(self) -> Decimal:
        return self.total - self.discount_amount

    @property
    def paid_amount(self) -> Decimal:
        return self.total - self.discount_amount - self.redeemed_value

    @property
    def points_earned(self) -> Decimal:
        return sum((earning.amount for earning in self.earnings), ZERO)


def lines_normalise(*, total: Decimal | None, lines: list[Line] | None) -> tuple[Decimal, list[Line]]:
    """Check the receipt adds up and return ``(total, lines)``; a receipt without lines is one line.

    Raises ``InvalidInput`` for negative amounts, non-positive quantities or lines that don't sum to the total.
    """
    lines = list(lines or [])
    for line in lines:
        if line.amount < 0 or line.quantity <= 0:
            raise InvalidInput(_("Line amounts must not be negative and quantities must be positive."))
    if total is None:
        if not lines:
            raise InvalidInput(_("A purchase needs a total or lines."))
        total = sum((line.amount for line in lines), ZERO)
    if total < 0:
        raise InvalidInput(_("The total must not be negative."))
    if lines and sum((line.amount for line in lines), ZERO) != total:
        raise InvalidInput(_("The lines do not add up to the total."))
    if money(total) != total:
        raise InvalidInput(_("Amounts have at most two decimals."))
    return total, lines or [Line(amount=total)]


def expiry_for(*, days: int | None, on=None, start: datetime, tz: ZoneInfo) -> datetime | None:
    """Expiry instant: the end of day ``on`` in the program's zone, or ``days`` after ``start``."""
    candidates = []
    if days:
        candidates.append(start.astimezone(UTC) + timedelta(days=days))  # 24-hour days across DST changes
    if on:
        candidates.append(datetime.combine(on + timedelta(days=1), datetime.min.time(), tzinfo=tz))
    return min(candidates) if candidates else None


def rule_applies_at(rule: EarningRule, local: datetime) -> bool:
    day = local.date()
    if not rule.is_active:
        return False
    if rule.valid_from and day < rule.valid_from:
        return False
    if rule.valid_until and day > rule.valid_until:
        return False
    if rule.weekdays and local.weekday() not in rule.weekdays:
        return False
    if rule.time_from and rule.time_until:
        moment = local.time()
        if rule.time_from < rule.time_until:
            return rule.time_from <= moment < rule.time_until
        return moment >= rule.time_from or moment < rule.time_until  # window across midnight
    return True


def _rule_covers(rule: EarningRule, line: Line) -> bool:
    categories, skus = rule.category_list(), rule.sku_list()
    if not categories and not skus:
        return True
    return line.category.casefold() in categories or line.sku.casefold() in skus


def discount_percent_for(*, rules: ProgramRules, tier: Tier | None, lifetime_spend: Decimal) -> Decimal:
    card_type = rules.card_type
    percent = ZERO
    if card_type.kind == CardKind.DISCOUNT:
        percent = card_type.discount_percent
    elif card_type.kind == CardKind.ACCUMULATIVE:
        for step in rules.thresholds:
            if lifetime_spend >= step.min_spend:
                percent = step.percent
    if tier is not None and card_type.kind in (CardKind.DISCOUNT, CardKind.ACCUMULATIVE):
        percent = max(percent, tier.discount_percent)
    return percent


def stamps_for(
    *, card_type: CardType, lines: list[Line], after_discount: Decimal, redeem_reward: bool = False
) -> Decimal:
    """Stamps a receipt earns: one per purchase (or visit) with a paid qualifying line, or one per paid
    qualifying item.

    Only what is paid for earns: a 0.00 line never does (the till rings a reward's free item at 0.00), so
    "every 10th coffee free" holds card after card. When a reward is redeemed and the receipt has no free
    qualifying line (the till rang the free item inside a paid line), one qualifying item is taken as the
    rewarded one and earns nothing.
    """
    if after_discount <= 0 or after_discount < card_type.earn_min_purchase:
        return ZERO
    categories = card_type.stamp_category_list()
    qualifying = [line for line in lines if not categories or line.category.casefold() in categories]
    paid = [line for line in qualifying if line.amount > 0]
    rewarded_inside_paid = redeem_reward and len(paid) == len(qualifying)
    if card_type.stamp_basis == StampBasis.ITEM:
        units = sum((line.quantity for line in paid), ZERO)
        if rewarded_inside_paid:
            units = max(ZERO, units - 1)
        return units.quantize(Decimal("1"), rounding=ROUND_DOWN)
    if rewarded_inside_paid:
        paid_units = sum((line.quantity for line in paid), ZERO)
        return Decimal("1") if paid_units > 1 else ZERO
    return Decimal("1") if paid else ZERO


def quote_compute(
    *,
    rules: ProgramRules,
    tier: Tier | None,
    lifetime_spend: Decimal,
    total: Decimal,
    lines: list[Line],
    at: datetime,
    points_available: Decimal,
    redeem_points: Decimal = ZERO,
    redeem_reward: bool = False,
) -> Quote:
    """Compute what a purchase gets. Raises the redemption errors when ``redeem_points`` is not allowed."""
    card_type = rules.card_type
    quote = Quote(total=total, points_available=points_available)
    quote.discount_percent = discount_percent_for(rules=rules, tier=tier, lifetime_spend=lifetime_spend)
    quote.discount_amount = money(total * quote.discount_percent / HUNDRED)
    after_discount = quote.after_discount

    if card_type.kind == CardKind.CASHBACK:
        redemption = rules.redemption
        if redemption is not None and after_discount >= redemption.min_check and after_discount > 0:
            share = after_discount * redemption.max_share_percent / HUNDRED
            limit = (share / redemption.point_value).quantize(CENT, rounding=ROUND_DOWN)
            quote.points_redeemable = min(limit, points_available)
        if redeem_points < 0:
            raise InvalidInput(_("Points to redeem must not be negative."))
        if redeem_points > 0:
            if redemption is None:
                raise RedemptionNotAllowed()
            if money(redeem_points) != redeem_points:
                raise InvalidInput(_("Points have at most two decimals."))
            if after_discount < redemption.min_check or after_discount <= 0:
                raise BelowMinimumCheck(minimum=redemption.min_check)
            if redeem_points > points_available:
                raise InsufficientPoints(available=points_available, requested=redeem_points)
            if redeem_points > quote.points_redeemable:
                raise RedemptionLimitExceeded(maximum=quote.points_redeemable)
            quote.points_redeemed = redeem_points
            quote.redeemed_value = money(redeem_points * redemption.point_value)
        quote.earnings = _earnings(rules=rules, tier=tier, quote=quote, lines=lines, at=at)
    elif redeem_points:
        raise RedemptionNotAllowed()

    counted = total if card_type.spend_basis == SpendBasis.BEFORE_DISCOUNT else after_discount
    if not card_type.spend_counts_points:
        counted -= quote.redeemed_value
    quote.spend_counted = max(ZERO, counted)

    if card_type.kind == CardKind.STAMPS:
        quote.stamps = stamps_for(
            card_type=card_type, lines=lines, after_discount=after_discount, redeem_reward=redeem_reward
        )
    quote.reward_redeemed = redeem_reward
    return quote


def _earnings(*, rules: ProgramRules, tier: Tier | None, quote: Quote, lines: list[Line], at: datetime):
    card_type = rules.card_type
    after_discount = quote.after_discount
    if after_discount <= 0 or after_discount < card_type.earn_min_purchase:
        return []
    redemption = rules.redemption
    base_amount = after_discount
    if quote.redeemed_value and not (redemption and redemption.paid_part_earns):
        base_amount -= quote.redeemed_value
    rate = card_type.cashback_percent
    multiplier = Decimal("1")
    if tier is not None:
        if tier.cashback_percent is not None:
            rate = tier.cashback_percent
        multiplier = tier.multiplier
    factor = rate / HUNDRED * multiplier
    earnings = []
    base = points_round(base_amount * factor, card_type.rounding)
    if base > 0:
        earnings.append(
            Credit(
                amount=base,
                bucket=Bucket.CASHBACK,
                expires_at=expiry_for(days=card_type.points_expiry_days, start=at, tz=rules.timezone),
            )
        )
    # Extra points are earned on what each rule covers, scaled like the base (discount and points paid).
    scale = base_amount / quote.total if quote.total else ZERO
    local = at.astimezone(rules.timezone)
    for rule in rules.multipliers:
        if rule.card_type_id not in (None, card_type.pk):
            continue
        if after_discount < rule.min_purchase or not rule_applies_at(rule, local):
            continue
        covered = sum((line.amount for line in lines if _rule_covers(rule, line)), ZERO)
        extra = points_round(covered * scale * factor * (rule.multiplier - 1), card_type.rounding)
        if extra > 0:
            earnings.append(
                Credit(
                    amount=extra,
                    bucket=rule.bucket,
                    expires_at=expiry_for(days=rule.expiry_days, on=rule.expires_on, start=at, tz=rules.timezone),
                    reason=rule.name,
                    rule_id=rule.pk,
                )
            )
    return earnings


def action_bonuses(*, rules: ProgramRules, kind: str, at: datetime) -> list[Credit]:
    """Bonuses for a member action (joining, birthday, completed profile) active at ``at``."""
    assert kind in ACTION_RULE_KINDS
    local = at.astimezone(rules.timezone)
    return [
        Credit(
            amount=rule.bonus_points,
            bucket=rule.bucket,
            expires_at=expiry_for(days=rule.expiry_days, on=rule.expires_on, start=at, tz=rules.timezone),
            reason=rule.name,
            rule_id=rule.pk,
        )
        for rule in rules.actions.get(kind, [])
        if rule.card_type_id in (None, rules.card_type.pk) and rule_applies_at(rule, local) and rule.bonus_points > 0
    ]
