"""What the portal tells customers about a program, read from the engine's rows: earn rates per card type, the
tier table with thresholds and benefits, the stamp explainer, the stores where one joins.

Nothing here is typed by an editor: a change of a rate, a threshold or a stamp goal changes the portal's text
(and, through ``Program.config_version``, its cache key). Texts are written in the active language, so call
these under ``translation.override(<the portal's language>)``.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pages.formats import money, number, percent
from programs.choices import CardKind, RuleKind, StampBasis, TierBasis
from programs.models import CardType, EarningRule, Program, Store, Tier

ONE = Decimal("1")


@dataclass(frozen=True)
class CardTypeFacts:
    name: str
    kind: str
    description: str
    lines: list[str]
    # Accumulative discounts: (from spend, percent) steps, ready to print.
    steps: list[tuple[str, str]] = field(default_factory=list)
    # Stamp cards: the goal and what a full card gives.
    stamp_goal: int = 0
    reward: str = ""

    @property
    def empty_stamps(self) -> list[bool]:
        return [False] * self.stamp_goal


@dataclass(frozen=True)
class TierRow:
    name: str
    threshold: str
    benefits: list[str]
    color: str
    description: str


@dataclass(frozen=True)
class ProgramFacts:
    program_name: str
    currency: str
    card_types: list[CardTypeFacts]
    tiers: list[TierRow]
    tier_basis_text: str
    extras: list[str]
    stores: list[tuple[str, str]]

    @property
    def stamp_cards(self) -> list[CardTypeFacts]:
        return [card for card in self.card_types if card.kind == CardKind.STAMPS]


def _stamp_lines(card_type: CardType) -> list[str]:
    goal = card_type.stamp_goal or 0
    categories = ", ".join(card_type.stamp_category_list())
    if card_type.stamp_basis == StampBasis.ITEM:
        per = _("One stamp for every item you buy")
    else:
        per = _("One stamp for every purchase or visit")
    lines = [f"{per} ({categories})." if categories else f"{per}."]
    reward = card_type.reward_description or _("a reward")
    lines.append(
        ngettext(
            "Collect %(goal)s stamp and get: %(reward)s.",
            "Collect %(goal)s stamps and get: %(reward)s.",
            goal,
        )
        % {"goal": goal, "reward": reward}
    )
    if card_type.stamp_expiry_days:
        lines.append(
            ngettext("Each stamp keeps %(days)s day.", "Each stamp keeps %(days)s days.", card_type.stamp_expiry_days)
            % {"days": card_type.stamp_expiry_days}
        )
    return lines


def _cashback_lines(card_type: CardType, currency: str) -> list[str]:
    lines = [
        _("%(percent)s of every purchase comes back to you as points.")
        % {"percent": percent(card_type.cashback_percent)}
    ]
    rule = card_type.redemption_rules.all()[0] if card_type.redemption_rules.all() else None
    if rule is not None:
        lines.append(_("1 point = %(value)s.") % {"value": money(rule.point_value, currency)})
        share = _("Points pay up to %(share)s of a check") % {"share": percent(rule.max_share_percent)}
        if rule.min_check:
            share += " " + _("from %(amount)s") % {"amount": money(rule.min_check, currency)}
        lines.append(f"{share}.")
    if card_type.earn_min_purchase:
        lines.append(
            _("Purchases from %(amount)s earn points.") % {"amount": money(card_type.earn_min_purchase, currency)}
        )
    if card_type.points_expiry_days:
        lines.append(
            ngettext(
                "Points keep %(days)s day after you earn them.",
                "Points keep %(days)s days after you earn them.",
                card_type.points_expiry_days,
            )
            % {"days": card_type.points_expiry_days}
        )
    return lines


def _card_type_facts(card_type: CardType, currency: str) -> CardTypeFacts:
    steps: list[tuple[str, str]] = []
    if card_type.kind == CardKind.DISCOUNT:
        lines = [_("%(percent)s off every purchase.") % {"percent": percent(card_type.discount_percent)}]
    elif card_type.kind == CardKind.ACCUMULATIVE:
        lines = [_("Your discount grows with your total spend.")]
        steps = [
            (_("from %(amount)s") % {"amount": money(step.min_spend, currency)}, percent(step.percent))
            for step in card_type.thresholds.all()
        ]
    elif card_type.kind == CardKind.CASHBACK:
        lines = _cashback_lines(card_type, currency)
    else:
        lines = _stamp_lines(card_type)
    return CardTypeFacts(
        name=card_type.name,
        kind=card_type.kind,
        description=card_type.description,
        lines=lines,
        steps=steps,
        stamp_goal=(card_type.stamp_goal or 0) if card_type.kind == CardKind.STAMPS else 0,
        reward=card_type.reward_description if card_type.kind == CardKind.STAMPS else "",
    )


def _threshold_text(value: Decimal, basis: str, currency: str) -> str:
    if basis == TierBasis.SPEND:
        return money(value, currency)
    count = int(value)
    if basis == TierBasis.POINTS:
        return ngettext("%(count)s point", "%(count)s points", count) % {"count": number(value)}
    return ngettext("%(count)s purchase", "%(count)s purchases", count) % {"count": number(value)}


def tier_benefits(tier: Tier) -> list[str]:
    benefits = []
    if tier.discount_percent:
        benefits.append(_("%(percent)s discount") % {"percent": percent(tier.discount_percent)})
    if tier.cashback_percent is not None:
        benefits.append(_("%(percent)s back in points") % {"percent": percent(tier.cashback_percent)})
    if tier.multiplier != ONE:
        benefits.append(_("×%(multiplier)s points") % {"multiplier": number(tier.multiplier)})
    return benefits


def _tier_basis_text(program: Program) -> str:
    basis = {
        TierBasis.SPEND: _("Your tier follows your total spend"),
        TierBasis.POINTS: _("Your tier follows the points you earn"),
        TierBasis.PURCHASES: _("Your tier follows the number of your purchases"),
    }[program.tier_basis]
    if program.tier_window_days:
        return (
            basis
            + " "
            + ngettext("over the last %(days)s day.", "over the last %(days)s days.", program.tier_window_days)
            % {"days": program.tier_window_days}
        )
    return basis + " " + _("since you joined.")


def _extras(program: Program, currency: str) -> list[str]:
    extras = []
    order = [RuleKind.REGISTRATION, RuleKind.BIRTHDAY, RuleKind.PROFILE_COMPLETED, RuleKind.MULTIPLIER]
    rules = sorted(
        EarningRule.objects.filter(program=program, is_active=True, kind__in=order),
        key=lambda rule: (order.index(rule.kind), rule.name),
    )
    for rule in rules:
        if rule.kind == RuleKind.MULTIPLIER:
            extras.append(
                _("%(name)s: ×%(multiplier)s points") % {"name": rule.name, "multiplier": number(rule.multiplier)}
            )
        elif rule.kind == RuleKind.REGISTRATION:
            extras.append(_("Joining bonus: %(points)s points") % {"points": number(rule.bonus_points)})
        elif rule.kind == RuleKind.BIRTHDAY:
            extras.append(_("Birthday gift: %(points)s points") % {"points": number(rule.bonus_points)})
        elif rule.kind == RuleKind.PROFILE_COMPLETED:
            extras.append(_("Complete your profile: %(points)s points") % {"points": number(rule.bonus_points)})
    return extras


def program_facts(*, program: Program) -> ProgramFacts:
    """Everything "How it works" says about ``program``: its active card types with their rates, its tiers with
    thresholds and benefits, its extra earning rules and its active stores. Five queries."""
    currency = program.currency
    card_types = (
        CardType.objects.filter(program=program, is_active=True)
        .prefetch_related("thresholds", "redemption_rules")
        .order_by("pk")
    )
    tiers = list(Tier.objects.filter(program=program).order_by("threshold"))
    return ProgramFacts(
        program_name=program.name,
        currency=currency,
        card_types=[_card_type_facts(card_type, currency) for card_type in card_types],
        tiers=[
            TierRow(
                name=tier.name,
                threshold=_threshold_text(tier.threshold, program.tier_basis, currency),
                benefits=tier_benefits(tier),
                color=tier.color,
                description=tier.description,
            )
            for tier in tiers
        ],
        tier_basis_text=_tier_basis_text(program) if tiers else "",
        extras=_extras(program, currency),
        stores=[
            (store.name, store.address)
            for store in Store.objects.filter(program=program, is_active=True).order_by("name")
        ],
    )
