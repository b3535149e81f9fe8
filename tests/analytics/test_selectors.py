"""The dashboard's figures from the daily facts, against the same sums taken directly over the rows: for random
cells over two years, each filter (card type, store, tier) and each period length (by day, week and month), this
period and the one before. The rollups themselves are held to the ledger in ``test_properties``; this holds the
reading of them."""

import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from analytics.models import DailyFact
from analytics.selectors import CENT, FACT_SUMS, Filters, dashboard_get, granularity
from programs.factories import CardTypeFactory, ProgramFactory, RedemptionRuleFactory, StoreFactory, TierFactory

pytestmark = pytest.mark.django_db

LAST = date(2026, 11, 30)
COUNTS = {"purchases", "refunds", "rewards_issued", "rewards_redeemed", "new_members", "cards_issued"}
COUNTS |= {"tier_upgrades", "tier_downgrades"}


@pytest.fixture
def world():
    program = ProgramFactory()
    card_types = [CardTypeFactory(program=program), CardTypeFactory(program=program)]
    RedemptionRuleFactory(card_type=card_types[0], point_value=Decimal("0.25"))
    stores = [StoreFactory(program=program) for _ in range(12)]
    tiers = [TierFactory(program=program), TierFactory(program=program, threshold=Decimal("1000"))]
    rng = random.Random(20261207)
    cells = {}
    for _ in range(3000):
        key = (
            LAST - timedelta(days=rng.randrange(800)),
            rng.choice([*card_types, None]),
            rng.choice([*stores, None]),
            rng.choice([*tiers, None]),
        )
        cells[key] = {
            name: rng.randrange(6) if name in COUNTS else Decimal(rng.randrange(100_000)) / 100 for name in FACT_SUMS
        }
    DailyFact.objects.bulk_create(
        DailyFact(program=program, day=day, card_type=card_type, store=store, tier=tier, **sums)
        for (day, card_type, store, tier), sums in cells.items()
    )
    return SimpleNamespace(program=program, card_types=card_types, stores=stores, tiers=tiers, cells=cells)


def _period(day: date, filters: Filters) -> date:
    step = granularity(filters)
    if step == "day":
        return day
    if step == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _expected(world, filters: Filters) -> dict:
    """Every figure from the facts, summed here one cell at a time."""
    card_types = world.card_types
    values = {card_types[0].pk: Decimal("0.25"), card_types[1].pk: Decimal("1")}
    previous = filters.previous()
    found = {"kpis": {}, "previous": {}, "sales": {}, "members": {}, "points": {}, "stamps": {}}
    found |= {"card_types": {}, "stores": {}, "tiers": {}}

    def add(table, key, *amounts):
        totals = found[table].setdefault(key, [0] * len(amounts))
        for index, amount in enumerate(amounts):
            totals[index] += amount

    for (day, card_type, store, tier), sums in world.cells.items():
        if filters.card_type_id and (card_type is None or card_type.pk != filters.card_type_id):
            continue
        if filters.tier_id and (tier is None or tier.pk != filters.tier_id):
            continue
        in_store = not filters.store_id or (store is not None and store.pk == filters.store_id)
        value = values.get(card_type.pk if card_type else None, Decimal("1"))
        earned = (sums["points_earned_cashback"] + sums["points_earned_promo"]) * value
        expired = (sums["points_expired_cashback"] + sums["points_expired_promo"]) * value
        redeemed = sums["points_redeemed"] * value
        for kpis, window in (("kpis", filters), ("previous", previous)):
            if not window.first <= day <= window.last:
                continue
            if in_store:
                add(kpis, "sums", sums["purchases"], sums["revenue"], sums["refunded"], earned, redeemed, expired)
            add(kpis, "joined", sums["new_members"], sums["cards_issued"], sums["tier_upgrades"])
        if not filters.first <= day <= filters.last:
            continue
        period = _period(day, filters)
        add("members", period, sums["new_members"], sums["cards_issued"])
        add("tiers", tier.name if tier else None, sums["tier_upgrades"], sums["tier_downgrades"])
        if not in_store:
            continue
        add("sales", period, sums["purchases"], sums["revenue"], sums["refunded"])
        add("points", period, earned, redeemed, expired)
        add("stamps", period, sums["stamps_issued"], sums["rewards_issued"], sums["rewards_redeemed"])
        if card_type:
            add("card_types", card_type.name, sums["purchases"], sums["revenue"], sums["cards_issued"])
        if store:
            add("stores", store.name, sums["revenue"], sums["purchases"])
    return found


def _kpis(kpis) -> list:
    return [
        kpis.purchases,
        kpis.revenue,
        kpis.refunded,
        kpis.points_earned,
        kpis.points_redeemed,
        kpis.points_expired,
        kpis.new_members,
        kpis.cards_issued,
        kpis.tier_upgrades,
    ]


def _cents(values) -> list:
    return [value.quantize(CENT) if isinstance(value, Decimal) else value for value in values]


@pytest.mark.parametrize("days", [30, 120, 365])
@pytest.mark.parametrize("cut", ["all", "card_type", "store", "tier", "store_and_tier"])
def test_every_figure_is_the_sum_of_its_cells(world, days, cut):
    card_types, stores, tiers = world.card_types, world.stores, world.tiers
    filters = Filters(first=LAST - timedelta(days=days - 1), last=LAST)
    if cut == "card_type":
        filters = Filters(filters.first, filters.last, card_type_id=card_types[0].pk)
    if cut in ("store", "store_and_tier"):
        filters = Filters(filters.first, filters.last, store_id=stores[3].pk)
    if cut == "store_and_tier":
        filters = Filters(filters.first, filters.last, store_id=stores[3].pk, tier_id=tiers[1].pk)
    if cut == "tier":
        filters = Filters(filters.first, filters.last, tier_id=tiers[0].pk)
    expected = _expected(world, filters)

    dashboard = dashboard_get(program=world.program, filters=filters)

    tables = {key: table.rows for key, table in dashboard.tables.items()}
    for kpis, found in (("kpis", dashboard.kpis), ("previous", dashboard.previous)):
        purchases, revenue, refunded, earned, redeemed, expired = expected[kpis].get("sums", [0, 0, 0, 0, 0, 0])
        assert _kpis(found) == _cents([purchases, revenue, refunded, earned, redeemed, expired]) + expected[kpis].get(
            "joined", [0, 0, 0]
        )
    if cut in ("all", "store"):
        assert purchases, "the previous period holds purchases, so comparing it means something"
    assert tables["sales"] == [
        [period, p, r, f, (r / p).quantize(CENT) if p else Decimal(0)]
        for period, (p, r, f) in sorted(expected["sales"].items())
    ]
    assert tables["members"] == [[period, *sums] for period, sums in sorted(expected["members"].items())]
    assert tables["points"] == [[period, *_cents(sums)] for period, sums in sorted(expected["points"].items())]
    assert tables["stamps"] == [[period, *sums] for period, sums in sorted(expected["stamps"].items())]
    assert tables["card_types"] == sorted(
        ([name, *sums] for name, sums in expected["card_types"].items()), key=lambda row: -row[2]
    )
    top = sorted(([name, *sums] for name, sums in expected["stores"].items() if sums[1]), key=lambda row: -row[1])
    assert tables["stores"] == [[name, r, p, (r / p).quantize(CENT)] for name, r, p in top[:10]]
    assert {row[0]: row[2:] for row in tables["tiers"]} == {
        tier.name: expected["tiers"].get(tier.name, [0, 0]) for tier in tiers
    }
    assert len(tables["sales"]) > 1
