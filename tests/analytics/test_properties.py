"""Property test: for any history of purchases, redemptions, refunds (also months later), expiry runs and staff
adjustments, the rollups kept by the outbox consumer equal the facts computed straight from the engine's rows, and
so does a full recompute."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from analytics import rollups
from analytics.models import DailyFact, MemberFact, MemberMonth
from programs import clock
from programs.choices import Bucket
from programs.errors import LoyaltyError
from programs.factories import CardTypeFactory, ProgramFactory, RedemptionRuleFactory, StoreFactory, TierFactory
from programs.models import Purchase
from programs.services.cards import card_adjust
from programs.services.expiry import lots_expire
from programs.services.members import member_create
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import SYSTEM
from tests.analytics.support import (
    analytics_dispatch,
    facts_direct,
    facts_rolled_up,
    summaries_direct,
    summaries_rolled_up,
)

START = datetime(2026, 1, 5, 21, 30, tzinfo=ZoneInfo("Europe/Kyiv"))  # late evening: days split differently in UTC
amounts = st.integers(min_value=1, max_value=300_000).map(lambda n: Decimal(n) / 100)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("purchase"), st.integers(0, 2), st.integers(0, 1), amounts, st.booleans()),
        st.tuples(st.just("refund"), st.integers(0, 30), st.floats(0.05, 1)),
        st.tuples(st.just("expire")),
        st.tuples(st.just("adjust"), st.integers(0, 2), st.integers(-50, 200), st.sampled_from(list(Bucket))),
    ),
    min_size=1,
    max_size=14,
)


class World:
    def __init__(self):
        program = ProgramFactory(slug="prop-analytics", timezone="Europe/Kyiv")
        self.program = program
        self.stores = [StoreFactory(program=program, code="s1"), StoreFactory(program=program, code="s2")]
        card_type = CardTypeFactory(program=program, cashback_percent=Decimal(5), points_expiry_days=20)
        RedemptionRuleFactory(card_type=card_type, point_value=Decimal("0.5"), max_share_percent=Decimal(50))
        TierFactory(program=program, name="Base", threshold=Decimal(0))
        TierFactory(program=program, name="Gold", threshold=Decimal(2000))
        self.cards = [
            member_create(program=program, phone=f"+3805055500{n:02d}", card_types=[card_type]).cards.get()
            for n in range(3)
        ]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, gaps=st.lists(st.integers(0, 70), min_size=14, max_size=14))
def test_rollups_equal_the_engine_rows(db, ops, gaps):
    with transaction.atomic():
        sid = transaction.savepoint()
        moment = START
        with clock.travel(moment):
            world = World()
        analytics_dispatch()
        receipts = 0
        for op, gap in zip(ops, gaps, strict=False):
            moment += timedelta(hours=gap * 6 + 1)
            note(f"{moment:%Y-%m-%d %H:%M} {op}")
            with clock.travel(moment):
                try:
                    if op[0] == "purchase":
                        _, card, store, total, redeem = op
                        card = world.cards[card]
                        card.refresh_from_db()
                        receipts += 1
                        # Now and then a receipt sent late: bought two days ago.
                        at = moment - timedelta(days=2) if receipts % 3 == 0 else None
                        purchase_record(
                            card=card,
                            store=world.stores[store],
                            receipt_id=f"r{receipts}",
                            total=total,
                            redeem_points=min(card.points_balance, total / 4).quantize(Decimal("0.01"))
                            if redeem
                            else 0,
                            purchased_at=at,
                        )
                    elif op[0] == "refund":
                        purchases = list(Purchase.objects.filter(program=world.program).order_by("pk"))
                        if purchases:
                            purchase = purchases[op[1] % len(purchases)]
                            left = purchase.total - purchase.refunded_amount
                            amount = (left * Decimal(str(op[2]))).quantize(Decimal("0.01"))
                            if amount > 0:
                                purchase_refund(purchase=purchase, refund_id=f"f{moment:%s}", amount=amount)
                    elif op[0] == "expire":
                        # As the nightly job calls it: with the clock's moment, in UTC (SQLite keeps the offset the
                        # hand-written expiry statement is given, and its date functions read that text as UTC).
                        lots_expire(at=clock.now())
                    else:
                        _, card, amount, bucket = op
                        if amount:
                            card_adjust(
                                card=world.cards[card],
                                amount=Decimal(amount),
                                reason="test",
                                actor=SYSTEM,
                                bucket=bucket,
                                expires_at=moment + timedelta(days=10) if bucket == Bucket.PROMO else None,
                            )
                except LoyaltyError:
                    pass
            # The consumer runs after some operations only: batches of several changes, as the sweep makes them.
            if gap % 2 == 0:
                analytics_dispatch()
        analytics_dispatch()
        expected = facts_direct(world.program)
        assert facts_rolled_up(world.program) == expected
        # The member facts and months the consumer kept agree with the purchases.
        members_agree_with_purchases(world.program)
        # The member summaries the consumer kept by increments equal the member facts grouped.
        assert summaries_rolled_up(world.program) == summaries_direct(world.program)

        # A full recompute from scratch writes the same facts, and the member facts agree with the purchases.
        DailyFact.objects.filter(program=world.program).delete()
        bounds = rollups.history_bounds(world.program)
        with clock.travel(moment):
            rollups.rollups_recompute(program=world.program, first=bounds[0], last=bounds[1] + timedelta(days=3))
        assert facts_rolled_up(world.program) == expected
        assert summaries_rolled_up(world.program) == summaries_direct(world.program)
        members_agree_with_purchases(world.program)
        transaction.savepoint_rollback(sid)


def members_agree_with_purchases(program):
    """Each member's facts and months are what their purchases say: how many, net spend (also in the 90 days either
    side of joining), first and last day, one month row per month bought in, each in the first purchase's cohort."""
    zone = ZoneInfo(program.timezone)
    window = timedelta(days=90)
    facts = list(MemberFact.objects.filter(program=program).select_related("member"))
    assert len(facts) == program.members.count()
    for fact in facts:
        purchases = list(Purchase.objects.filter(member_id=fact.member_id))
        joined = fact.member.joined_at

        def net(rows):
            return sum((p.total - p.refunded_amount for p in rows), Decimal("0"))

        assert fact.purchases == len(purchases)
        assert fact.monetary == net(purchases)
        assert fact.spend_before_joining == net(p for p in purchases if joined - window <= p.purchased_at < joined)
        assert fact.spend_after_joining == net(p for p in purchases if joined <= p.purchased_at < joined + window)
        days = sorted(p.purchased_at.astimezone(zone).date() for p in purchases)
        assert (fact.first_purchase_on, fact.last_purchase_on) == ((days[0], days[-1]) if days else (None, None))
        months: dict = {}
        for p in purchases:
            month = p.purchased_at.astimezone(zone).date().replace(day=1)
            count, spend = months.get(month, (0, Decimal("0")))
            months[month] = (count + 1, spend + p.total - p.refunded_amount)
        rows = MemberMonth.objects.filter(member_id=fact.member_id)
        assert {row.month: (row.purchases, row.spend) for row in rows} == months
        assert {row.cohort for row in rows} == ({days[0].replace(day=1)} if days else set())
