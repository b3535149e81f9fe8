"""Reading the rollups for the dashboards, exports and reports. Nothing here reads the engine's purchases or ledger:
only ``analytics.models`` and the program's own configuration (names of card types, stores and tiers, point values).

Each figure is a ``Table`` (a title, column names, rows of plain values), so the chart, its CSV/XLSX download and the
PDF report are drawn from the very same numbers.
"""

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from operator import attrgetter

from django.db.models import Case, Count, DateField, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext as _

from analytics.models import DailyFact, LiabilitySnapshot, MemberFact, MemberJoining, MemberMonth, MemberRecency
from analytics.rollups import local_day
from programs import clock
from programs.choices import Bucket
from programs.models import CardType, Program, RedemptionRule, Store, Tier

ZERO = Decimal("0")
CENT = Decimal("0.01")
ACTIVE_DAYS = 30
INACTIVE_DAYS = 60
COHORTS_SHOWN = 12


@dataclass(frozen=True)
class Filters:
    first: date
    last: date
    card_type_id: int | None = None
    store_id: int | None = None
    tier_id: int | None = None

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Filters":
        """The same number of days just before."""
        return replace(self, first=self.first - timedelta(days=self.days), last=self.first - timedelta(days=1))


def default_filters(program: Program) -> Filters:
    """The last 30 of the program's days, today included."""
    today = local_day(program, clock.now())
    return Filters(first=today - timedelta(days=29), last=today)


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    kind: str = "bar"  # how the dashboard draws it: bar, line, heatmap, pie, grid


# The daily facts' columns the dashboard sums: the key figures', then those that count members and cards.
KPI_SUMS = (
    "purchases",
    "revenue",
    "refunds",
    "refunded",
    "points_earned_cashback",
    "points_earned_promo",
    "points_redeemed",
    "points_expired_cashback",
    "points_expired_promo",
    "stamps_issued",
    "rewards_issued",
    "rewards_redeemed",
)
FACT_SUMS = (*KPI_SUMS, "new_members", "cards_issued", "tier_upgrades", "tier_downgrades")
FactCell = namedtuple("FactCell", ("period", "card_type_id", "store_id", "tier_id", *FACT_SUMS))


@dataclass
class FactCells:
    """The daily facts of the filters' card type and tier summed per period × card type × store × tier over the
    filters' days, and per card type × store × tier over the same number of days before (``period`` None): one
    read for every figure the dashboard takes from the daily facts (a year of a busy program is about a thousand
    rows), each a fold of these rows. The store filter is applied in the folds: the figures of members and cards
    ignore it (they join a program, not a store)."""

    filters: Filters
    rows: list[FactCell]

    def totals(
        self, key: Callable[[FactCell], object], names: tuple[str, ...], *, stores: bool = True, previous: bool = False
    ) -> dict[object, list]:
        """``names`` summed per ``key(row)``."""
        pick = attrgetter(*names) if len(names) > 1 else (lambda row: (getattr(row, names[0]),))
        store_id = self.filters.store_id if stores else None
        totals: dict[object, list] = {}
        for row in self.rows:
            if (row.period is None) is not previous or (store_id is not None and row.store_id != store_id):
                continue
            cells = totals.get(key(row))
            if cells is None:
                totals[key(row)] = list(pick(row))
            else:
                for index, value in enumerate(pick(row)):
                    cells[index] += value
        return totals

    def by_period(self, names: tuple[str, ...], *, stores: bool = True) -> list[tuple[date, list]]:
        return sorted(self.totals(attrgetter("period"), names, stores=stores).items())


def facts_read(program: Program, filters: Filters) -> FactCells:
    """One grouped read of the daily facts for ``filters`` and the period before (see ``FactCells``)."""
    previous = filters.previous()
    facts = DailyFact.objects.filter(program=program, day__gte=previous.first, day__lte=filters.last)
    if filters.card_type_id:
        facts = facts.filter(card_type_id=filters.card_type_id)
    if filters.tier_id:
        facts = facts.filter(tier_id=filters.tier_id)
    period = Case(When(day__gte=filters.first, then=_period_expr(filters)), default=None, output_field=DateField())
    rows = (
        facts.values("card_type_id", "store_id", "tier_id", period_ref=period)
        .annotate(**{name: Sum(name) for name in FACT_SUMS})
        .order_by()
        .values_list("period_ref", "card_type_id", "store_id", "tier_id", *FACT_SUMS)
    )
    return FactCells(filters, [FactCell(_as_date(row[0]) if row[0] else None, *row[1:]) for row in rows])


def members_for(program: Program, filters: Filters) -> QuerySet[MemberFact]:
    members = MemberFact.objects.filter(program=program)
    if filters.card_type_id:
        members = members.filter(card_type_id=filters.card_type_id)
    if filters.tier_id:
        members = members.filter(tier_id=filters.tier_id)
    return members


def point_values(*programs: Program) -> dict[int, Decimal]:
    """What one point is worth in money per card type of ``programs`` (its redemption rule; 1 without one). Two
    queries however many programs (the admin home asks for all of an owner's at once)."""
    values = {
        card_type_id: Decimal("1")
        for card_type_id in CardType.objects.filter(program__in=programs).values_list("pk", flat=True)
    }
    for card_type_id, value in (
        RedemptionRule.objects.filter(card_type__program__in=programs)
        .order_by("-pk")
        .values_list("card_type_id", "point_value")
    ):
        values[card_type_id] = value
    return values


@dataclass
class Kpis:
    purchases: int = 0
    revenue: Decimal = ZERO
    average_check: Decimal = ZERO
    refunds: int = 0
    refunded: Decimal = ZERO
    net_revenue: Decimal = ZERO
    new_members: int = 0
    cards_issued: int = 0
    points_earned: Decimal = ZERO  # in money, as are the next two
    points_redeemed: Decimal = ZERO
    points_expired: Decimal = ZERO
    redemption_rate: Decimal | None = None  # a share (0..1) or None when nothing was earned
    breakage_rate: Decimal | None = None
    stamps_issued: Decimal = ZERO
    rewards_issued: int = 0
    rewards_redeemed: int = 0
    tier_upgrades: int = 0
    tier_downgrades: int = 0


def kpis_get(*, cells: FactCells, values: dict[int, Decimal], previous: bool = False) -> Kpis:
    """The totals of the filters' period (or of the one before). Points are turned into money with each card
    type's point value."""
    kpis = Kpis()
    for card_type_id, sums in cells.totals(attrgetter("card_type_id"), KPI_SUMS, previous=previous).items():
        purchases, revenue, refunds, refunded, earned_c, earned_p, redeemed, expired_c, expired_p, *rest = sums
        value = values.get(card_type_id, Decimal("1"))
        kpis.purchases += purchases
        kpis.revenue += revenue
        kpis.refunds += refunds
        kpis.refunded += refunded
        kpis.points_earned += (earned_c + earned_p) * value
        kpis.points_redeemed += redeemed * value
        kpis.points_expired += (expired_c + expired_p) * value
        stamps, rewards_issued, rewards_redeemed = rest
        kpis.stamps_issued += stamps
        kpis.rewards_issued += rewards_issued
        kpis.rewards_redeemed += rewards_redeemed
    joined = cells.totals(
        lambda row: None,
        ("new_members", "cards_issued", "tier_upgrades", "tier_downgrades"),
        stores=False,
        previous=previous,
    )
    kpis.new_members, kpis.cards_issued, kpis.tier_upgrades, kpis.tier_downgrades = joined.get(None, (0, 0, 0, 0))
    kpis.net_revenue = kpis.revenue - kpis.refunded
    kpis.points_earned = kpis.points_earned.quantize(CENT)
    kpis.points_redeemed = kpis.points_redeemed.quantize(CENT)
    kpis.points_expired = kpis.points_expired.quantize(CENT)
    if kpis.purchases:
        kpis.average_check = (kpis.revenue / kpis.purchases).quantize(CENT)
    if kpis.points_earned > 0:
        kpis.redemption_rate = kpis.points_redeemed / kpis.points_earned
        kpis.breakage_rate = kpis.points_expired / kpis.points_earned
    return kpis


@dataclass
class Activity:
    members: int = 0
    buyers: int = 0
    active_30: int = 0
    active_90: int = 0
    inactive: int = 0  # last purchase 31-60 days ago
    dormant: int = 0  # more than 60 days ago
    never: int = 0  # joined, never bought
    repeat_buyers: int = 0

    @property
    def repeat_rate(self) -> Decimal | None:
        return Decimal(self.repeat_buyers) / Decimal(self.buyers) if self.buyers else None


# Recency groups of the member mix: never bought, then the last purchase within 30, 60, 90 days, or longer ago.
NEVER, WITHIN_30, WITHIN_60, WITHIN_90, LONGER = range(5)
# Frequency groups: at most one purchase, 2–4, 5 or more.
ONCE, FEW, MANY = range(3)


@dataclass(frozen=True)
class MixCell:
    tier_id: int | None
    recency: int
    frequency: int
    members: int
    spend: Decimal


@dataclass
class MemberMix:
    cells: list[MixCell]
    joined: int = 0  # members who joined within the filters' days
    spend_before_joining: Decimal = ZERO
    spend_after_joining: Decimal = ZERO


def member_mix_get(*, program: Program, filters: Filters) -> MemberMix:
    """The members within ``filters`` counted by tier × recency × frequency with their spend, and those who joined in
    the period with their spend before and after: what activity, RFM, tier mix and joining are read from. Two
    queries over the member summaries the rollups keep (``MemberRecency``, ``MemberJoining``), a few dozen rows back.
    Recency is as of the program's today."""
    today = local_day(program, clock.now())
    recency = Case(
        When(last_purchase_on__isnull=True, then=Value(NEVER)),
        When(last_purchase_on__gt=today - timedelta(days=ACTIVE_DAYS), then=Value(WITHIN_30)),
        When(last_purchase_on__gt=today - timedelta(days=INACTIVE_DAYS), then=Value(WITHIN_60)),
        When(last_purchase_on__gt=today - timedelta(days=90), then=Value(WITHIN_90)),
        default=Value(LONGER),
        output_field=IntegerField(),
    )
    cells = [
        MixCell(
            tier_id=row["tier_id"],
            recency=row["r"],
            frequency=row["frequency"],
            members=row["n"] or 0,
            spend=row["m"] or ZERO,
        )
        for row in _summary_for(MemberRecency.objects.filter(program=program), filters)
        .values("tier_id", "frequency", r=recency)
        .annotate(n=Sum("members"), m=Sum("monetary"))
        .order_by()
    ]
    joined = _summary_for(
        MemberJoining.objects.filter(program=program, joined_on__gte=filters.first, joined_on__lte=filters.last),
        filters,
    ).aggregate(n=Sum("members"), b=Sum("spend_before_joining"), a=Sum("spend_after_joining"))
    return MemberMix(
        cells=cells,
        joined=joined["n"] or 0,
        spend_before_joining=joined["b"] or ZERO,
        spend_after_joining=joined["a"] or ZERO,
    )


def _summary_for(queryset: QuerySet, filters: Filters) -> QuerySet:
    if filters.card_type_id:
        queryset = queryset.filter(card_type_id=filters.card_type_id)
    if filters.tier_id:
        queryset = queryset.filter(tier_id=filters.tier_id)
    return queryset


def activity_get(*, program: Program, filters: Filters, mix: MemberMix | None = None) -> Activity:
    """Members by how recently they bought, as of the program's today (from ``member_mix_get``, read here when not
    given)."""
    cells = (mix if mix is not None else member_mix_get(program=program, filters=filters)).cells

    def members(*recencies) -> int:
        return sum(cell.members for cell in cells if cell.recency in recencies)

    total = sum(cell.members for cell in cells)
    buyers = total - members(NEVER)
    active_30 = members(WITHIN_30)
    active_60 = members(WITHIN_30, WITHIN_60)
    return Activity(
        members=total,
        buyers=buyers,
        active_30=active_30,
        active_90=members(WITHIN_30, WITHIN_60, WITHIN_90),
        inactive=active_60 - active_30,
        dormant=buyers - active_60,
        never=members(NEVER),
        repeat_buyers=sum(cell.members for cell in cells if cell.frequency != ONCE),
    )


@dataclass
class Liability:
    cashback: Decimal = ZERO  # in money
    promo: Decimal = ZERO
    expiring_30d: Decimal = ZERO
    points: Decimal = ZERO
    computed_at: object = None

    @property
    def total(self) -> Decimal:
        return self.cashback + self.promo


def liability_get(*, program: Program, filters: Filters, values: dict[int, Decimal] | None = None) -> Liability:
    """Points outstanding now, in money, split cashback / promo, and what expires within 30 days."""
    values = values if values is not None else point_values(program)
    snapshots = LiabilitySnapshot.objects.filter(program=program)
    if filters.card_type_id:
        snapshots = snapshots.filter(card_type_id=filters.card_type_id)
    liability = Liability()
    for snap in snapshots:
        value = values.get(snap.card_type_id, Decimal("1"))
        money = snap.outstanding * value
        liability.points += snap.outstanding
        if snap.bucket == Bucket.PROMO:
            liability.promo += money
        else:
            liability.cashback += money
        liability.expiring_30d += snap.expiring_30d * value
        liability.computed_at = snap.computed_at
    liability.cashback = liability.cashback.quantize(CENT)
    liability.promo = liability.promo.quantize(CENT)
    liability.expiring_30d = liability.expiring_30d.quantize(CENT)
    return liability


# --- Tables (one per chart) ---------------------------------------------------------------------------------


def granularity(filters: Filters) -> str:
    if filters.days <= 62:
        return "day"
    if filters.days <= 190:
        return "week"
    return "month"


def _period_expr(filters: Filters):
    step = granularity(filters)
    if step == "day":
        return F("day")
    return TruncWeek("day") if step == "week" else TruncMonth("day")


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def sales_table(cells: FactCells) -> Table:
    table = Table(
        "sales",
        _("Purchases and revenue"),
        [_("Period"), _("Purchases"), _("Revenue"), _("Refunded"), _("Average check")],
        kind="line",
    )
    for period, (purchases, revenue, refunded) in cells.by_period(("purchases", "revenue", "refunded")):
        average = (revenue / purchases).quantize(CENT) if purchases else ZERO
        table.rows.append([period, purchases, revenue, refunded, average])
    return table


def members_table(cells: FactCells) -> Table:
    table = Table("members", _("New members and cards issued"), [_("Period"), _("New members"), _("Cards issued")])
    for period, (members, cards) in cells.by_period(("new_members", "cards_issued"), stores=False):
        table.rows.append([period, members, cards])
    return table


def points_table(cells: FactCells, values: dict[int, Decimal]) -> Table:
    """Points earned, redeemed and expired per period, in money."""
    table = Table(
        "points",
        _("Points earned, redeemed and expired (in money)"),
        [_("Period"), _("Earned"), _("Redeemed"), _("Expired")],
    )
    per_period: dict[date, list[Decimal]] = {}
    names = ("points_earned_cashback", "points_earned_promo", "points_redeemed", "points_expired_cashback")
    for (period, card_type_id), sums in cells.totals(
        attrgetter("period", "card_type_id"), (*names, "points_expired_promo")
    ).items():
        earned_c, earned_p, redeemed, expired_c, expired_p = sums
        value = values.get(card_type_id, Decimal("1"))
        money = per_period.setdefault(period, [ZERO, ZERO, ZERO])
        money[0] += (earned_c + earned_p) * value
        money[1] += redeemed * value
        money[2] += (expired_c + expired_p) * value
    for period in sorted(per_period):
        table.rows.append([period, *(money.quantize(CENT) for money in per_period[period])])
    return table


def card_types_table(program: Program, cells: FactCells) -> Table:
    table = Table(
        "card_types",
        _("By card type"),
        [_("Card type"), _("Purchases"), _("Revenue"), _("Cards issued")],
    )
    names = dict(CardType.objects.filter(program=program).values_list("pk", "name"))
    totals = cells.totals(attrgetter("card_type_id"), ("purchases", "revenue", "cards_issued"))
    for card_type_id, (purchases, revenue, cards) in sorted(totals.items(), key=lambda item: -item[1][1]):
        if card_type_id is not None:
            table.rows.append([names.get(card_type_id, "?"), purchases, revenue, cards])
    return table


def stores_table(program: Program, cells: FactCells, limit: int = 10) -> Table:
    table = Table("stores", _("Top stores"), [_("Store"), _("Revenue"), _("Purchases"), _("Average check")])
    names = dict(Store.objects.filter(program=program).values_list("pk", "name"))
    totals = cells.totals(attrgetter("store_id"), ("revenue", "purchases"))
    ranked = sorted(
        ((store_id, sums) for store_id, sums in totals.items() if store_id is not None and sums[1] > 0),
        key=lambda item: -item[1][0],
    )
    for store_id, (revenue, purchases) in ranked[:limit]:
        table.rows.append([names.get(store_id, "?"), revenue, purchases, (revenue / purchases).quantize(CENT)])
    return table


def tiers_table(program: Program, cells: FactCells, mix: MemberMix) -> Table:
    """Members per tier today, with the period's upgrades and downgrades into each tier."""
    table = Table(
        "tiers",
        _("Tier mix and movements"),
        [_("Tier"), _("Members"), _("Upgrades"), _("Downgrades")],
        kind="pie",
    )
    tiers = list(Tier.objects.filter(program=program).order_by("pk").values_list("pk", "name"))
    if not tiers:
        return table
    counts: dict[int | None, int] = {}
    for cell in mix.cells:
        counts[cell.tier_id] = counts.get(cell.tier_id, 0) + cell.members
    moves = cells.totals(attrgetter("tier_id"), ("tier_upgrades", "tier_downgrades"), stores=False)
    for tier_id, name in [(None, _("No tier")), *tiers]:
        count = counts.get(tier_id, 0)
        if tier_id is None and not count:
            continue
        table.rows.append([name, count, *moves.get(tier_id, (0, 0))])
    return table


def activity_table(activity: Activity) -> Table:
    table = Table("activity", _("Member activity"), [_("Group"), _("Members")], kind="pie")
    table.rows = [
        [_("Active (bought in the last 30 days)"), activity.active_30],
        [_("Inactive (31–60 days)"), activity.inactive],
        [_("Dormant (over 60 days)"), activity.dormant],
        [_("Never bought"), activity.never],
    ]
    return table


def cohorts_table(program: Program, filters: Filters) -> Table:
    """Monthly cohorts (members by the month of their first purchase) and the share of each that bought again in
    each following month: the last ``COHORTS_SHOWN`` cohorts up to the period's end."""
    last_month = filters.last.replace(day=1)
    first_month = last_month
    for _step in range(COHORTS_SHOWN - 1):
        first_month = (first_month - timedelta(days=1)).replace(day=1)
    columns = [_("Cohort"), _("Members")] + [_("Month %(n)s") % {"n": n} for n in range(COHORTS_SHOWN)]
    table = Table("cohorts", _("Monthly cohort retention, %"), columns, kind="heatmap")
    months = MemberMonth.objects.filter(
        program=program, cohort__gte=first_month, cohort__lte=last_month, month__lte=last_month
    )
    if filters.card_type_id or filters.tier_id:
        months = months.filter(member_id__in=members_for(program, filters).values("member_id"))
    counts: dict[tuple[date, date], int] = {}
    for row in months.values("cohort", "month").annotate(n=Count("pk")).order_by():
        counts[(row["cohort"], row["month"])] = row["n"]
    cohort = first_month
    while cohort <= last_month:
        size = counts.get((cohort, cohort), 0)
        cells: list = []
        month = cohort
        for _n in range(COHORTS_SHOWN):
            if month > last_month:
                cells.append(None)
            else:
                cells.append(
                    (Decimal(counts.get((cohort, month), 0)) * 100 / size).quantize(Decimal("0.1")) if size else None
                )
            month = (month + timedelta(days=32)).replace(day=1)
        if size:
            table.rows.append([cohort, size, *cells])
        cohort = (cohort + timedelta(days=32)).replace(day=1)
    return table


RECENCY = ((30, "≤ 30"), (90, "31–90"), (None, "> 90"))
FREQUENCY = ((1, "1"), (4, "2–4"), (None, "5+"))


def rfm_table(program: Program, filters: Filters, mix: MemberMix | None = None) -> Table:
    """The RFM grid: buying members by recency (days since the last purchase) × frequency (purchases), with their
    spend. Nine cells, from ``member_mix_get``."""
    table = Table(
        "rfm",
        _("RFM: recency × frequency"),
        [_("Days since last purchase"), _("Purchases"), _("Members"), _("Spend"), _("Average spend")],
        kind="grid",
    )
    mix = mix if mix is not None else member_mix_get(program=program, filters=filters)
    rfm_recency = {WITHIN_30: 0, WITHIN_60: 1, WITHIN_90: 1, LONGER: 2}
    cells: dict[tuple[int, int], list] = {}
    for cell in mix.cells:
        if cell.recency == NEVER:
            continue
        totals = cells.setdefault((rfm_recency[cell.recency], cell.frequency), [0, ZERO])
        totals[0] += cell.members
        totals[1] += cell.spend
    for r, (_days, r_label) in enumerate(RECENCY):
        for f, (_count, f_label) in enumerate(FREQUENCY):
            count, spend = cells.get((r, f), (0, ZERO))
            table.rows.append([r_label, f_label, count, spend, (spend / count).quantize(CENT) if count else ZERO])
    return table


def liability_table(liability: Liability) -> Table:
    table = Table("liability", _("Points liability (in money)"), [_("Part"), _("Amount")], kind="bar")
    table.rows = [
        [_("Cashback"), liability.cashback],
        [_("Promo"), liability.promo],
        [_("Expires within 30 days"), liability.expiring_30d],
    ]
    return table


def stamps_table(cells: FactCells) -> Table:
    table = Table(
        "stamps",
        _("Stamps and rewards"),
        [_("Period"), _("Stamps issued"), _("Rewards issued"), _("Rewards redeemed")],
    )
    for period, sums in cells.by_period(("stamps_issued", "rewards_issued", "rewards_redeemed")):
        table.rows.append([period, *sums])
    return table


def joining_table(program: Program, filters: Filters, mix: MemberMix | None = None) -> Table:
    """What members who joined in the period spent in the 90 days before joining and the 90 days after."""
    table = Table(
        "joining",
        _("Average spend 90 days before and after joining"),
        [_("When"), _("Average spend"), _("Members")],
    )
    mix = mix if mix is not None else member_mix_get(program=program, filters=filters)
    count, before, after = mix.joined, mix.spend_before_joining, mix.spend_after_joining
    for label, total in ((_("Before joining"), before), (_("After joining"), after)):
        table.rows.append([label, ((total or ZERO) / count).quantize(CENT) if count else ZERO, count])
    return table


TABLE_KEYS = (
    "sales",
    "members",
    "points",
    "liability",
    "activity",
    "card_types",
    "stores",
    "tiers",
    "cohorts",
    "rfm",
    "stamps",
    "joining",
)


# Tables that count members (or read member-level facts and the liability), which no store filter narrows: a member
# is not tied to one store. The dashboard says so when a store is chosen.
WHOLE_PROGRAM_TABLES = frozenset({"members", "liability", "activity", "tiers", "cohorts", "rfm", "joining"})


def _rounded(table: Table) -> Table:
    """Sums read back from SQLite carry float noise in their scale: money and points to the cent."""
    table.rows = [
        [value.quantize(CENT) if isinstance(value, Decimal) and key_is_money(value) else value for value in row]
        for row in table.rows
    ]
    return table


def key_is_money(value: Decimal) -> bool:
    return value.as_tuple().exponent < -2


@dataclass
class Dashboard:
    program: Program
    filters: Filters
    kpis: Kpis
    previous: Kpis
    activity: Activity
    liability: Liability
    tables: dict[str, Table]


def dashboard_get(*, program: Program, filters: Filters, only: str | None = None) -> Dashboard:
    """Everything the dashboard shows for ``program`` within ``filters``, read from the rollups only.

    ``only`` (a key of ``TABLE_KEYS``) builds just that table (for a download)."""
    values = point_values(program)
    wanted = set(TABLE_KEYS) if only is None else {only}
    mix = member_mix_get(program=program, filters=filters)
    activity = activity_get(program=program, filters=filters, mix=mix)
    liability = liability_get(program=program, filters=filters, values=values)
    cells = cache(lambda: facts_read(program, filters))  # read once, and only when a figure wants the facts
    builders = {
        "sales": lambda: sales_table(cells()),
        "members": lambda: members_table(cells()),
        "points": lambda: points_table(cells(), values),
        "liability": lambda: liability_table(liability),
        "activity": lambda: activity_table(activity),
        "card_types": lambda: card_types_table(program, cells()),
        "stores": lambda: stores_table(program, cells()),
        "tiers": lambda: tiers_table(program, cells(), mix),
        "cohorts": lambda: cohorts_table(program, filters),
        "rfm": lambda: rfm_table(program, filters, mix),
        "stamps": lambda: stamps_table(cells()),
        "joining": lambda: joining_table(program, filters, mix),
    }
    tables = {key: _rounded(builders[key]()) for key in TABLE_KEYS if key in wanted}
    if only is not None:
        return Dashboard(program, filters, Kpis(), Kpis(), activity, liability, tables)
    return Dashboard(
        program=program,
        filters=filters,
        kpis=kpis_get(cells=cells(), values=values),
        previous=kpis_get(cells=cells(), values=values, previous=True),
        activity=activity,
        liability=liability,
        tables=tables,
    )
