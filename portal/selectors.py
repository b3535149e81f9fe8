"""What the cabinet shows a member, read in as few queries as the page allows (the cabinet's home: the member's
cards, their open lots, their stamp rewards; tiers and rules come from the engine's per-process rule snapshots).

Texts are written in the active language (the views run under ``translation.override``); money in the program's
currency as ``pages.formats`` writes it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count
from django.utils.translation import gettext as _

from pages.formats import money, number, percent
from pages.selectors import tier_benefits
from programs import clock
from programs.choices import Bucket, CardKind, CardStatus, EntryKind, RewardStatus, Unit
from programs.models import Card, LedgerEntry, Lot, Member, StampReward, Tier
from programs.pricing import ProgramRules, discount_percent_for
from programs.selectors import member_qualifying_value, rules_for_card_type_id, tier_downgrade_due

ZERO = Decimal("0")
CENT = Decimal("0.01")
EXPIRIES_SHOWN = 3


@dataclass(frozen=True)
class Expiry:
    at: datetime
    amount: Decimal
    text: str  # "120 points (₴120) on 1 March"


@dataclass
class CardView:
    card: Card
    kind: str
    cashback: Decimal = ZERO
    promo: Decimal = ZERO
    stamps: Decimal = ZERO
    points_debt: Decimal = ZERO
    point_value: Decimal = Decimal("1")
    expiries: list[Expiry] = field(default_factory=list)
    rewards_available: int = 0
    discount_percent: Decimal = ZERO
    lines: list[str] = field(default_factory=list)  # what to know, in words: pay-up-to, the next discount step
    stamp_grid: list[bool] = field(default_factory=list)

    @property
    def points(self) -> Decimal:
        return self.cashback + self.promo

    @property
    def value(self) -> Decimal:
        return (self.points * self.point_value).quantize(CENT)

    @property
    def is_blocked(self) -> bool:
        return self.card.status == CardStatus.BLOCKED


@dataclass(frozen=True)
class TierView:
    tier: Tier | None
    next_tier: Tier | None
    percent: int
    remaining_text: str
    unlocks: list[str]
    downgrade_at: datetime | None
    downgrade_to: Tier | None


def member_cards(member: Member, program) -> list[Card]:
    """The member's cards that still work or may again (blocked ones too), oldest first, each with its card type
    taken from the engine's rule snapshot (``program`` is the member's, loaded: no join, no query when warm)."""
    cards = list(Card.objects.filter(member=member).exclude(status=CardStatus.REPLACED).order_by("issued_at", "pk"))
    for card in cards:
        card.card_type = rules_for_card_type_id(card_type_id=card.card_type_id, program=program).card_type
    return cards


def _rules(card: Card, program) -> ProgramRules:
    return rules_for_card_type_id(card_type_id=card.card_type_id, program=program)


def _pay_up_to(view: CardView, rules: ProgramRules, currency: str) -> str:
    rule = rules.redemption
    if rule is None or view.points <= 0:
        return ""
    value = money(view.value, currency)
    if rule.max_share_percent >= 100 and not rule.min_check:
        return _("You can pay up to %(value)s of your next check with points.") % {"value": value}
    if rule.min_check:
        return _(
            "You can pay up to %(value)s of your next check with points (at most %(share)s of a check of "
            "%(min)s or more)."
        ) % {"value": value, "share": percent(rule.max_share_percent), "min": money(rule.min_check, currency)}
    return _("You can pay up to %(value)s of your next check with points (at most %(share)s of a check).") % {
        "value": value,
        "share": percent(rule.max_share_percent),
    }


def _discount_lines(view: CardView, rules: ProgramRules, member: Member, currency: str) -> list[str]:
    card_type = view.card.card_type
    if card_type.kind != CardKind.ACCUMULATIVE:
        return []
    upcoming = [step for step in rules.thresholds if step.min_spend > member.lifetime_spend]
    if not upcoming:
        return [_("You have the highest discount of this card.")]
    step = upcoming[0]
    return [
        _("Spend %(amount)s more to get %(percent)s off.")
        % {"amount": money(step.min_spend - member.lifetime_spend, currency), "percent": percent(step.percent)}
    ]


def card_views(*, member: Member, cards: list[Card], at: datetime | None = None) -> list[CardView]:
    """Each card with its balances in points and money, its next expiries (by lot), what the member can pay with it,
    its discount or stamps. Two queries whatever the number of cards (open lots, stamp rewards)."""
    at = at or clock.now()
    program = member.program
    currency = program.currency
    lots = defaultdict(list)
    if cards:
        rows = (
            Lot.objects.filter(card_id__in=[card.pk for card in cards])
            .spendable(at)
            .values_list("card_id", "unit", "bucket", "remaining", "expires_at")
        )
        for card_id, unit, bucket, remaining, expires_at in rows:
            lots[card_id].append((unit, bucket, Decimal(remaining), expires_at))
    stamp_ids = [card.pk for card in cards if card.card_type.kind == CardKind.STAMPS]
    rewards = {}
    if stamp_ids:
        rewards = dict(
            StampReward.objects.filter(card_id__in=stamp_ids, status=RewardStatus.AVAILABLE)
            .values("card_id")
            .annotate(count=Count("pk"))
            .order_by()
            .values_list("card_id", "count")
        )
    views = []
    for card in cards:
        rules = _rules(card, program)
        view = CardView(card=card, kind=card.card_type.kind, points_debt=card.points_debt)
        due = defaultdict(lambda: ZERO)
        for unit, bucket, remaining, expires_at in lots[card.pk]:
            if unit == Unit.STAMPS:
                view.stamps += remaining
            elif bucket == Bucket.PROMO:
                view.promo += remaining
            else:
                view.cashback += remaining
            if unit == Unit.POINTS and expires_at is not None:
                due[expires_at] += remaining
        if rules.redemption is not None:
            view.point_value = rules.redemption.point_value
        for expires_at in sorted(due)[:EXPIRIES_SHOWN]:
            amount = due[expires_at].quantize(CENT)
            view.expiries.append(
                Expiry(
                    at=expires_at,
                    amount=amount,
                    text=_("%(points)s points (%(value)s)")
                    % {"points": number(amount), "value": money((amount * view.point_value).quantize(CENT), currency)},
                )
            )
        if view.kind == CardKind.CASHBACK:
            line = _pay_up_to(view, rules, currency)
            view.lines = [line] if line else []
        elif view.kind in (CardKind.DISCOUNT, CardKind.ACCUMULATIVE):
            view.discount_percent = discount_percent_for(
                rules=rules, tier=member.tier, lifetime_spend=member.lifetime_spend
            )
            view.lines = _discount_lines(view, rules, member, currency)
        else:
            goal = card.card_type.stamp_goal or 0
            view.rewards_available = rewards.get(card.pk, 0)
            filled = int(min(view.stamps, goal))
            view.stamp_grid = [True] * filled + [False] * (goal - filled)
        views.append(view)
    return views


def tier_view(*, member: Member, tiers: list[Tier], at: datetime | None = None) -> TierView | None:
    """The member's tier, the next one with how far it is and what it unlocks, and when a downgrade is due (if the
    member is below their tier's threshold under a downgrade policy). ``None`` for a program without tiers."""
    if not tiers:
        return None
    program = member.program
    value = member_qualifying_value(
        member=member, basis=program.tier_basis, window_days=program.tier_window_days, at=at or clock.now()
    )
    current = member.tier
    if current is None:
        current = next((tier for tier in reversed(tiers) if value >= tier.threshold), None)
    upcoming = next((tier for tier in tiers if current is None or tier.threshold > current.threshold), None)
    downgrade_at, downgrade_to = tier_downgrade_due(member=member, tiers=tiers, value=value)
    if upcoming is None:
        return TierView(current, None, 100, "", [], downgrade_at, downgrade_to)
    start = current.threshold if current else ZERO
    span = upcoming.threshold - start
    done = max(ZERO, value - start)
    share = int(min(Decimal(100), done * 100 / span)) if span > 0 else 100
    remaining = max(ZERO, upcoming.threshold - value)
    if program.tier_basis == "spend":
        left = _("Spend %(amount)s more to reach %(tier)s.") % {
            "amount": money(remaining, program.currency),
            "tier": upcoming.name,
        }
    elif program.tier_basis == "points":
        left = _("Earn %(points)s more points to reach %(tier)s.") % {
            "points": number(remaining),
            "tier": upcoming.name,
        }
    else:
        left = _("%(count)s more purchases to reach %(tier)s.") % {"count": number(remaining), "tier": upcoming.name}
    return TierView(current, upcoming, share, left, tier_benefits(upcoming), downgrade_at, downgrade_to)


def program_tiers(*, cards: list[Card], program) -> list[Tier]:
    """The program's tiers, lowest first: from a card's rule snapshot when the member has a card (no query)."""
    if cards:
        return list(_rules(cards[0], program).tiers)
    return list(Tier.objects.filter(program=program).order_by("threshold"))


# The history's filters: earned (credits) and spent (debits), by the sign of the amount.
HISTORY_FILTERS = {"earned": {"amount__gt": 0}, "spent": {"amount__lt": 0}}


def history_entries(*, cards: list[Card], kind: str = ""):
    """The ledger of the member's cards (the replaced ones too: their history is the member's), newest first, with
    what each entry's reason needs."""
    entries = LedgerEntry.objects.filter(card__in=cards).order_by("-created_at", "-id")
    if kind in HISTORY_FILTERS:
        entries = entries.filter(**HISTORY_FILTERS[kind])
    return entries.select_related("rule", "purchase", "purchase__store", "refund", "store", "card__card_type")


def entry_reason(entry: LedgerEntry) -> str:
    """Why an entry is on the member's card, in words a customer understands: the receipt and store, the rule, the
    expiry, the refund, a staff correction (without naming staff)."""
    kind = entry.kind
    store = entry.purchase.store if entry.purchase_id and entry.purchase.store_id else entry.store
    where = f" · {store.name}" if store is not None else ""
    receipt = entry.purchase.receipt_id if entry.purchase_id else ""
    if kind == EntryKind.ACCRUAL:
        if entry.purchase_id:
            text = _("Purchase, receipt %(receipt)s") % {"receipt": receipt}
            if entry.rule is not None:
                text += " · " + entry.rule.name
            return text + where
        if entry.rule is not None:
            return entry.rule.name
        return entry.reason or _("Bonus")
    if kind == EntryKind.REDEMPTION:
        return (_("Paid with points, receipt %(receipt)s") % {"receipt": receipt} + where) if receipt else _("Paid")
    if kind == EntryKind.EXPIRY:
        return _("Expired") + (f" · {entry.reason}" if entry.reason else "")
    if kind in (EntryKind.REVERSAL, EntryKind.RETURN):
        refund = entry.refund.refund_id if entry.refund_id else ""
        if kind == EntryKind.REVERSAL:
            text = _("Taken back: refund %(refund)s of receipt %(receipt)s")
        else:
            text = _("Given back: refund %(refund)s of receipt %(receipt)s")
        return text % {"refund": refund, "receipt": receipt} + where
    if kind == EntryKind.ADJUSTMENT:
        return (
            _("Correction by the program: %(reason)s") % {"reason": entry.reason} if entry.reason else _("Correction")
        )
    if kind == EntryKind.TRANSFER_OUT:
        return _("Moved to your new card")
    if kind == EntryKind.TRANSFER_IN:
        return _("Moved from your previous card")
    if kind == EntryKind.REWARD_ISSUE:
        return _("Stamps exchanged for a reward")
    if kind == EntryKind.REWARD_VOID:
        return _("Reward cancelled, stamps returned")
    if kind == EntryKind.DEBT_SETTLEMENT:
        return _("Settles what an earlier refund could not take back")
    if kind == EntryKind.OPENING:
        return _("Balance carried over from before the program")
    if kind == EntryKind.REWARD_USE:
        return (_("Reward used: %(reward)s") % {"reward": entry.reason} if entry.reason else _("Reward used")) + where
    if kind == EntryKind.DEBT:
        refund = entry.refund.refund_id if entry.refund_id else ""
        text = _("Owed after refund %(refund)s of receipt %(receipt)s: taken from what you collect next")
        return text % {"refund": refund, "receipt": receipt}
    return entry.get_kind_display()
