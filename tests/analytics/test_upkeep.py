"""The outbox consumer keeps the rollups equal to the engine's rows, and a refund or an expiry months later lands
on its own day."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum

from analytics.models import DailyFact, LiabilitySnapshot, MemberFact, MemberMonth
from programs import clock
from programs.choices import StampBasis
from programs.factories import CardTypeFactory, TierFactory
from programs.services.expiry import lots_expire
from programs.services.members import member_create
from programs.services.purchases import purchase_record, purchase_refund
from tests.analytics.support import analytics_dispatch, facts_direct, facts_rolled_up

KYIV = ZoneInfo("Europe/Kyiv")


def test_purchase_then_refund_months_later_each_on_its_own_day(program, store, cashback_type, make_card, db):
    program.timezone = "Europe/Kyiv"
    program.save(update_fields=["timezone"])
    cashback_type.points_expiry_days = 60
    cashback_type.save(update_fields=["points_expiry_days"])
    # 23:30 in Kyiv on 31 January is still January there (21:30 UTC).
    bought = datetime(2026, 1, 31, 23, 30, tzinfo=KYIV)
    with clock.travel(bought):
        card = make_card(cashback_type)
        result = purchase_record(card=card, store=store, receipt_id="r1", total=Decimal("1000.00"))
    analytics_dispatch()
    january = DailyFact.objects.get(program=program, day=bought.date(), purchases=1)
    assert january.revenue == Decimal("1000.00")
    assert january.points_earned_cashback == Decimal("50.00")
    assert january.store_id == store.pk and january.card_type_id == cashback_type.pk

    refunded = datetime(2026, 5, 3, 10, 0, tzinfo=KYIV)
    with clock.travel(refunded):
        purchase_refund(purchase=result.purchase, refund_id="f1", amount=Decimal("200.00"))
    analytics_dispatch()
    may = DailyFact.objects.get(program=program, day=refunded.date(), refunds=1)
    assert may.refunded == Decimal("200.00")
    # The purchase's day is untouched.
    january = DailyFact.objects.get(program=program, day=bought.date(), purchases=1)
    assert january.revenue == Decimal("1000.00") and january.refunds == 0

    member = MemberFact.objects.get(member_id=card.member_id)
    assert member.purchases == 1 and member.monetary == Decimal("800.00")
    assert member.first_purchase_on == bought.date() == member.last_purchase_on
    assert MemberMonth.objects.get(member_id=card.member_id).month == bought.date().replace(day=1)
    assert facts_rolled_up(program) == facts_direct(program)


def test_expiry_lands_on_the_day_the_points_expired(program, store, cashback_type, make_card, db):
    cashback_type.points_expiry_days = 30
    cashback_type.save(update_fields=["points_expiry_days"])
    start = datetime(2026, 3, 2, 12, tzinfo=KYIV)
    with clock.travel(start):
        card = make_card(cashback_type)
        purchase_record(card=card, store=store, receipt_id="r1", total=Decimal("400.00"))
    analytics_dispatch()
    assert LiabilitySnapshot.objects.get(program=program).outstanding == Decimal("20.00")
    later = start + timedelta(days=45)
    with clock.travel(later):
        assert lots_expire(at=clock.now()) >= 1  # as the nightly job calls it
    analytics_dispatch()
    expired = DailyFact.objects.get(program=program, points_expired_cashback__gt=0)
    assert expired.day == later.astimezone(ZoneInfo(program.timezone)).date()
    assert expired.points_expired_cashback == Decimal("20.00")
    assert expired.store_id is None
    assert facts_rolled_up(program) == facts_direct(program)


def test_stamp_rewards_issued_and_redeemed_are_counted_by_the_consumer(program, store, make_card, db):
    stamp_type = CardTypeFactory(program=program, stamps=True, stamp_goal=2, stamp_basis=StampBasis.PURCHASE)
    card = make_card(stamp_type)
    analytics_dispatch()
    for n in range(2):
        purchase_record(card=card, store=store, receipt_id=f"s{n}", total=Decimal("4.50"))
    analytics_dispatch()
    assert DailyFact.objects.aggregate(n=Sum("rewards_issued"))["n"] == 1
    card.refresh_from_db()
    purchase_record(card=card, store=store, receipt_id="free", total=Decimal("4.50"), redeem_reward=True)
    analytics_dispatch()
    totals = DailyFact.objects.aggregate(issued=Sum("rewards_issued"), redeemed=Sum("rewards_redeemed"))
    assert totals == {"issued": 1, "redeemed": 1}
    assert facts_rolled_up(program) == facts_direct(program)


def test_a_late_first_receipt_and_a_refund_in_the_same_batch_keep_the_member_exact(
    program, store, cashback_type, make_card, db
):
    program.timezone = "Europe/Kyiv"
    program.save(update_fields=["timezone"])
    with clock.travel(datetime(2026, 3, 10, 12, tzinfo=KYIV)):
        card = make_card(cashback_type)
        purchase_record(card=card, store=store, receipt_id="r1", total=Decimal("300.00"))
    analytics_dispatch()
    assert set(MemberMonth.objects.filter(member_id=card.member_id).values_list("month", "cohort")) == {
        (datetime(2026, 3, 1).date(), datetime(2026, 3, 1).date())
    }
    # One batch: a receipt from February sent late (the member's first purchase now), another purchase, and a
    # refund of part of it.
    with clock.travel(datetime(2026, 4, 2, 9, tzinfo=KYIV)):
        purchase_record(
            card=card,
            store=store,
            receipt_id="r0",
            total=Decimal("100.00"),
            purchased_at=datetime(2026, 2, 27, 18, tzinfo=KYIV),
        )
        second = purchase_record(card=card, store=store, receipt_id="r2", total=Decimal("500.00")).purchase
        purchase_refund(purchase=second, refund_id="f2", amount=Decimal("120.00"))
    analytics_dispatch()

    fact = MemberFact.objects.get(member_id=card.member_id)
    assert fact.purchases == 3
    assert fact.monetary == Decimal("780.00")  # 300 + 100 + 500 - 120, the refund taken off once
    assert (fact.first_purchase_on, fact.last_purchase_on) == (
        datetime(2026, 2, 27).date(),
        datetime(2026, 4, 2).date(),
    )
    february, march, april = (datetime(2026, month, 1).date() for month in (2, 3, 4))
    rows = {row.month: (row.cohort, row.purchases, row.spend) for row in MemberMonth.objects.filter(member=card.member)}
    assert rows == {
        february: (february, 1, Decimal("100.00")),
        march: (february, 1, Decimal("300.00")),
        april: (february, 1, Decimal("380.00")),
    }
    assert facts_rolled_up(program) == facts_direct(program)


def test_a_deleted_member_or_tier_leaves_no_member_rollups_behind(program, store, cashback_type, make_card, db):
    """The member-level rollups have no constraints in the database: Django's delete collector keeps them."""
    kept = make_card(cashback_type)
    purchase_record(card=kept, store=store, receipt_id="r1", total=Decimal("100.00"))
    gone = member_create(program=program, phone="+380501234567", card_types=[])  # no card, no purchase: deletable
    analytics_dispatch()
    tier = TierFactory(program=program)
    MemberFact.objects.filter(member=kept.member).update(tier=tier)
    MemberMonth.objects.create(program=program, member=gone, month=date(2026, 1, 1), cohort=date(2026, 1, 1))
    assert MemberFact.objects.filter(member=gone).exists()

    gone.delete()
    tier.delete()

    assert not MemberFact.objects.filter(member_id=gone.pk).exists()
    assert not MemberMonth.objects.filter(member_id=gone.pk).exists()
    assert MemberMonth.objects.filter(member=kept.member).count() == 1
    assert MemberFact.objects.get(member=kept.member).tier_id is None
