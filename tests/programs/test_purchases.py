from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from programs import clock
from programs.choices import (
    Bucket,
    CardStatus,
    EntryKind,
    RewardStatus,
    Rounding,
    SpendBasis,
    StampBasis,
    TierBasis,
    Unit,
)
from programs.errors import (
    BelowMinimumCheck,
    CardBlocked,
    CardReplaced,
    CardTypeInactive,
    DuplicateReceipt,
    InsufficientPoints,
    InvalidInput,
    NoRewardAvailable,
    RedemptionLimitExceeded,
    RedemptionNotAllowed,
    StoreInactive,
    WrongProgram,
)
from programs.factories import (
    CardTypeFactory,
    DiscountThresholdFactory,
    EarningRuleFactory,
    ProgramFactory,
    StoreFactory,
    TierFactory,
)
from programs.models import LedgerEntry, Lot, Purchase, StampReward, TierChange
from programs.pricing import Line
from programs.services.cards import card_adjust, card_block
from programs.services.purchases import purchase_quote, purchase_record, purchase_refund
from tenancy.actors import SYSTEM
from tests.conftest import D
from tests.programs.invariants import assert_ledger_consistent

KYIV = ZoneInfo("Europe/Kyiv")


def buy(card, store, receipt, total=None, **kwargs):
    return purchase_record(
        card=card, store=store, receipt_id=receipt, total=None if total is None else D(total), **kwargs
    )


def entries(card, **filters):
    return list(LedgerEntry.objects.filter(card=card, **filters).order_by("id"))


# --- Discount kinds ------------------------------------------------------------------------------------------


def test_discount_card_gives_fixed_percent_and_no_points(program, store, make_card):
    card = make_card(CardTypeFactory(program=program, discount=True, discount_percent=D(10)))
    purchase = buy(card, store, "r1", "250.00").purchase
    assert purchase.discount_percent == D(10)
    assert purchase.discount_amount == D("25.00")
    assert purchase.paid_amount == D("225.00")
    assert purchase.points_earned == 0
    assert not LedgerEntry.objects.filter(card=card).exists()


def test_accumulative_discount_counts_the_amount_before_discount_by_default(program, store, make_card):
    card_type = CardTypeFactory(program=program, accumulative=True)
    for spend, percent in ((0, 5), (500, 7), (2000, 10)):
        DiscountThresholdFactory(card_type=card_type, min_spend=D(spend), percent=D(percent))
    card = make_card(card_type)
    paid = [buy(card, store, f"r{n}", total).purchase for n, total in enumerate(("400", "200", "1500"))]
    assert [purchase.paid_amount for purchase in paid] == [D("380.00"), D("190.00"), D("1395.00")]
    # Paid 1 965, spent 2 100 at the till: the 2 000 step is reached.
    card.member.refresh_from_db()
    assert card.member.lifetime_spend == D(2100)
    assert buy(card, store, "r4", "100").purchase.discount_percent == D(10)


def test_the_part_paid_with_points_can_be_left_out_of_total_spend(program, store, cashback_type, make_card):
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(100), reason="opening", actor=SYSTEM)
    buy(card, store, "r1", "300", redeem_points=D(100))
    card.member.refresh_from_db()
    assert card.member.lifetime_spend == D(300)  # the default: points pay like money
    cashback_type.spend_counts_points = False
    cashback_type.save()
    card.refresh_from_db()
    buy(card, store, "r2", "300", redeem_points=D(10))
    card.member.refresh_from_db()
    assert card.member.lifetime_spend == D(590)


@pytest.mark.parametrize("crossing", ["old", "new"])
def test_the_purchase_that_reaches_a_tier_is_priced_as_the_program_says(
    program, store, cashback_type, make_card, crossing
):
    program.tier_crossing_rate = crossing
    program.save()
    TierFactory(program=program, name="Standard", threshold=0)
    TierFactory(program=program, name="Gold", threshold=D(5000), cashback_percent=D(7), multiplier=D("1.5"))
    card = make_card(cashback_type)
    quote = purchase_quote(card=card, total=D(6000))
    result = buy(card, store, "r1", "6000")
    expected = D(300) if crossing == "old" else D(630)  # 5 % as Standard, or 7 % × 1.5 as Gold
    assert quote.points_earned == result.purchase.points_earned == expected
    card.member.refresh_from_db()
    assert card.member.tier.name == "Gold"
    assert_ledger_consistent(card)


def test_accumulative_discount_grows_with_the_amount_paid(program, store, make_card):
    card_type = CardTypeFactory(program=program, accumulative=True, spend_basis=SpendBasis.PAID)
    for spend, percent in ((0, 5), (500, 7), (2000, 10)):
        DiscountThresholdFactory(card_type=card_type, min_spend=D(spend), percent=D(percent))
    card = make_card(card_type)
    first = buy(card, store, "r1", "400").purchase
    assert first.discount_percent == D(5)
    # 380 counted (after discount): below 500, still 5 %.
    assert buy(card, store, "r2", "200").purchase.discount_percent == D(5)
    # Spend is now 380 + 190 = 570: 7 %.
    third = buy(card, store, "r3", "1500").purchase
    assert third.discount_percent == D(7)
    assert third.discount_amount == D("105.00")
    # 570 + 1395 = 1965 < 2000, still 7 %; one more purchase crosses 2000.
    assert buy(card, store, "r4", "100").purchase.discount_percent == D(7)
    assert buy(card, store, "r5", "100").purchase.discount_percent == D(10)


def test_tier_discount_raises_a_discount_card(program, store, make_card):
    TierFactory(program=program, name="Standard", threshold=0)
    TierFactory(program=program, name="Gold", threshold=D(1000), discount_percent=D(15))
    card = make_card(CardTypeFactory(program=program, discount=True, discount_percent=D(10)))
    assert buy(card, store, "r1", "1200").purchase.discount_percent == D(10)
    card.member.refresh_from_db()
    assert card.member.tier.name == "Gold"
    assert buy(card, store, "r2", "100").purchase.discount_percent == D(15)


# --- Cashback ------------------------------------------------------------------------------------------------


def test_cashback_credits_percent_of_the_paid_amount(store, cashback_type, make_card):
    card = make_card(cashback_type)
    result = buy(card, store, "r1", "199.90")
    assert result.purchase.points_earned == D("9.00")  # 9.995 rounded down to whole points
    assert result.card.points_balance == D("9.00")
    [entry] = entries(card)
    assert (entry.kind, entry.bucket, entry.amount, entry.balance_after) == (
        EntryKind.ACCRUAL,
        Bucket.CASHBACK,
        D(9),
        D(9),
    )
    assert entry.purchase == result.purchase
    assert_ledger_consistent(card)


@pytest.mark.parametrize(
    ("rounding", "expected"), [(Rounding.DOWN, "9.00"), (Rounding.HALF_UP, "10.00"), (Rounding.CENTS, "9.98")]
)
def test_points_rounding_is_configurable(store, cashback_type, make_card, rounding, expected):
    cashback_type.rounding = rounding
    cashback_type.save()
    card = make_card(cashback_type)
    assert buy(card, store, "r1", "199.50").purchase.points_earned == D(expected)


def test_points_expire_after_the_card_types_days(store, cashback_type, make_card):
    cashback_type.points_expiry_days = 365
    cashback_type.save()
    card = make_card(cashback_type)
    at = datetime(2026, 3, 1, 12, tzinfo=KYIV)
    with clock.travel(at):
        buy(card, store, "r1", "1000")
    lot = Lot.objects.get(card=card)
    assert lot.expires_at == at + timedelta(days=365)


def test_below_card_minimum_earns_nothing(store, cashback_type, make_card):
    cashback_type.earn_min_purchase = D(100)
    cashback_type.save()
    card = make_card(cashback_type)
    assert buy(card, store, "r1", "99.99").purchase.points_earned == 0
    assert buy(card, store, "r2", "100").purchase.points_earned == D(5)


def test_tier_cashback_rate_and_multiplier(program, store, cashback_type, make_card):
    TierFactory(program=program, name="Standard", threshold=0)
    TierFactory(program=program, name="Gold", threshold=D(5000), cashback_percent=D(7), multiplier=D("1.5"))
    card = make_card(cashback_type)
    assert buy(card, store, "r1", "6000").purchase.points_earned == D(300)  # 5 % as Standard
    card.member.refresh_from_db()
    assert card.member.tier.name == "Gold"
    assert buy(card, store, "r2", "1000").purchase.points_earned == D(105)  # 7 % × 1.5


# --- Earning rules -------------------------------------------------------------------------------------------


def test_category_multiplier_adds_extra_points_as_separate_entry(program, store, cashback_type, make_card):
    rule = EarningRuleFactory(program=program, name="Accessories ×2", categories="Accessories", multiplier=D(2))
    card = make_card(cashback_type)
    result = buy(
        card,
        store,
        "r1",
        lines=[Line(amount=D(600), category="shoes"), Line(amount=D(400), category="accessories")],
    )
    assert result.purchase.points_earned == D(70)  # 50 base + 20 extra on 400
    base, extra = entries(card)
    assert (base.amount, base.rule) == (D(50), None)
    assert (extra.amount, extra.rule, extra.reason) == (D(20), rule, "Accessories ×2")


def test_sku_multiplier_and_stacking(program, store, cashback_type, make_card):
    EarningRuleFactory(program=program, skus="SKU-1", multiplier=D(3))
    EarningRuleFactory(program=program, multiplier=D(2))  # whole check
    card = make_card(cashback_type)
    result = buy(card, store, "r1", lines=[Line(amount=D(100), sku="sku-1"), Line(amount=D(100), sku="sku-2")])
    # base 10; ×3 rule +10 on 100; ×2 rule +10 on 200
    assert result.purchase.points_earned == D(30)


def test_happy_hours_and_weekdays_in_program_time_zone(program, store, cashback_type, make_card):
    from datetime import time

    EarningRuleFactory(
        program=program,
        name="Morning",
        multiplier=D(2),
        weekdays=[0, 1, 2, 3, 4],
        time_from=time(10),
        time_until=time(12),
    )
    card = make_card(cashback_type)
    monday_11_kyiv = datetime(2026, 11, 23, 11, 0, tzinfo=KYIV)
    monday_13_kyiv = datetime(2026, 11, 23, 13, 0, tzinfo=KYIV)
    saturday_11_kyiv = datetime(2026, 11, 28, 11, 0, tzinfo=KYIV)
    assert buy(card, store, "a", "100", purchased_at=monday_11_kyiv).purchase.points_earned == D(10)
    assert buy(card, store, "b", "100", purchased_at=monday_13_kyiv).purchase.points_earned == D(5)
    assert buy(card, store, "c", "100", purchased_at=saturday_11_kyiv).purchase.points_earned == D(5)
    # 09:30 UTC is 11:30 in Kyiv (UTC+2 in winter): the program's zone decides.
    utc_0930 = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("UTC"))
    assert buy(card, store, "d", "100", purchased_at=utc_0930).purchase.points_earned == D(10)


def test_happy_hours_across_midnight(program, store, cashback_type, make_card):
    from datetime import time

    EarningRuleFactory(program=program, multiplier=D(2), time_from=time(22), time_until=time(2))
    card = make_card(cashback_type)
    assert buy(card, store, "a", "100", purchased_at=datetime(2026, 5, 1, 23, tzinfo=KYIV)).purchase.points_earned == 10
    assert buy(card, store, "b", "100", purchased_at=datetime(2026, 5, 2, 1, tzinfo=KYIV)).purchase.points_earned == 10
    assert buy(card, store, "c", "100", purchased_at=datetime(2026, 5, 2, 3, tzinfo=KYIV)).purchase.points_earned == 5


def test_rule_date_range_and_minimum_purchase(program, store, cashback_type, make_card):
    from datetime import date

    EarningRuleFactory(
        program=program,
        multiplier=D(2),
        valid_from=date(2026, 12, 1),
        valid_until=date(2026, 12, 31),
        min_purchase=D(500),
    )
    card = make_card(cashback_type)
    dec = datetime(2026, 12, 15, 12, tzinfo=KYIV)
    assert buy(card, store, "a", "1000", purchased_at=dec).purchase.points_earned == D(100)
    assert buy(card, store, "b", "400", purchased_at=dec).purchase.points_earned == D(20)
    jan = datetime(2027, 1, 1, 12, tzinfo=KYIV)
    assert buy(card, store, "c", "1000", purchased_at=jan).purchase.points_earned == D(50)


def test_promo_rule_bonus_goes_to_promo_bucket_with_hard_expiry(program, store, cashback_type, make_card):
    from datetime import date

    EarningRuleFactory(program=program, multiplier=D(3), bucket=Bucket.PROMO, expires_on=date(2027, 1, 31))
    card = make_card(cashback_type)
    buy(card, store, "a", "100", purchased_at=datetime(2026, 12, 10, tzinfo=KYIV))
    promo = Lot.objects.get(card=card, bucket=Bucket.PROMO)
    assert promo.amount == D(10)
    assert promo.expires_at == datetime(2027, 2, 1, tzinfo=KYIV)  # end of 31 January, Kyiv time


def test_rule_for_another_card_type_does_not_apply(program, store, cashback_type, make_card):
    other = CardTypeFactory(program=program)
    EarningRuleFactory(program=program, card_type=other, multiplier=D(2))
    card = make_card(cashback_type)
    assert buy(card, store, "a", "100").purchase.points_earned == D(5)


# --- Redemption ----------------------------------------------------------------------------------------------


def test_redemption_pays_part_of_the_check_and_cashback_is_on_the_rest(store, cashback_type, make_card):
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(100), reason="welcome", actor=SYSTEM)
    result = buy(card, store, "r1", "300", redeem_points=D(80))
    purchase = result.purchase
    assert purchase.points_redeemed == D(80)
    assert purchase.redeemed_value == D(80)
    assert purchase.paid_amount == D(220)
    assert purchase.points_earned == D(11)  # 5 % of 220
    assert result.card.points_balance == D(31)
    assert_ledger_consistent(card)


def test_points_paid_part_earns_when_the_rule_says_so(store, cashback_type, make_card):
    rule = cashback_type.redemption_rules.get()
    rule.paid_part_earns = True
    rule.save()
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(100), reason="welcome", actor=SYSTEM)
    assert buy(card, store, "r1", "300", redeem_points=D(80)).purchase.points_earned == D(15)


def test_redemption_limits(store, cashback_type, make_card):
    rule = cashback_type.redemption_rules.get()
    rule.min_check = D(200)
    rule.point_value = D("0.5")  # 1 point pays 0.50
    rule.save()
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(1000), reason="welcome", actor=SYSTEM)
    quote = purchase_quote(card=card, total=D(300))
    assert quote.points_redeemable == D(300)  # 50 % of 300 = 150 money = 300 points
    with pytest.raises(RedemptionLimitExceeded):
        buy(card, store, "r1", "300", redeem_points=D(301))
    with pytest.raises(BelowMinimumCheck):
        buy(card, store, "r2", "199", redeem_points=D(10))
    with pytest.raises(InsufficientPoints):
        buy(card, store, "r3", "5000", redeem_points=D(1001))
    assert not Purchase.objects.exists()
    purchase = buy(card, store, "r4", "300", redeem_points=D(300)).purchase
    assert purchase.redeemed_value == D(150)


def test_redemption_without_a_rule_or_on_a_stamp_card_is_refused(program, store, make_card):
    card = make_card(CardTypeFactory(program=program))
    card_adjust(card=card, amount=D(100), reason="gift", actor=SYSTEM)
    with pytest.raises(RedemptionNotAllowed):
        buy(card, store, "r1", "100", redeem_points=D(10))


def test_redemption_spends_soonest_expiring_lots_first(store, cashback_type, make_card):
    card = make_card(cashback_type)
    now = clock.now()
    card_adjust(card=card, amount=D(50), reason="never", actor=SYSTEM)
    card_adjust(card=card, amount=D(30), reason="late", actor=SYSTEM, expires_at=now + timedelta(days=60))
    card_adjust(
        card=card, amount=D(20), reason="soon", actor=SYSTEM, bucket=Bucket.PROMO, expires_at=now + timedelta(days=5)
    )
    buy(card, store, "r1", "1000", redeem_points=D(40))
    adjusted = Lot.objects.filter(card=card, entry__kind=EntryKind.ADJUSTMENT).select_related("entry")
    remaining = {lot.entry.reason: lot.remaining for lot in adjusted}
    assert remaining == {"soon": 0, "late": D(10), "never": D(50)}
    # One redemption entry per bucket touched: promo 20, cashback 20.
    redemptions = {e.bucket: e.amount for e in entries(card, kind=EntryKind.REDEMPTION)}
    assert redemptions == {Bucket.PROMO: D(-20), Bucket.CASHBACK: D(-20)}
    assert_ledger_consistent(card)


def test_expired_points_cannot_be_spent(store, cashback_type, make_card):
    card = make_card(cashback_type)
    start = clock.now()
    card_adjust(card=card, amount=D(50), reason="short", actor=SYSTEM, expires_at=start + timedelta(days=1))
    with clock.travel(start + timedelta(days=2)):
        quote = purchase_quote(card=card, total=D(1000))
        assert quote.points_available == 0
        with pytest.raises(InsufficientPoints):
            buy(card, store, "r1", "1000", redeem_points=D(10))
    assert_ledger_consistent(card)


# --- Idempotency and refusal ---------------------------------------------------------------------------------


def test_same_receipt_twice_returns_the_first_result_without_a_second_effect(store, cashback_type, make_card):
    card = make_card(cashback_type)
    lines = [Line(amount=D(100), sku="A"), Line(amount=D(50), sku="B")]
    first = buy(card, store, "r1", lines=lines)
    again = buy(card, store, "r1", lines=lines)
    assert again.replayed and not first.replayed
    assert again.purchase.pk == first.purchase.pk
    card.refresh_from_db()
    assert card.points_balance == D(7)
    assert Purchase.objects.count() == 1
    assert LedgerEntry.objects.filter(card=card).count() == 1


def test_same_receipt_with_different_content_is_a_clash(store, cashback_type, make_card):
    card = make_card(cashback_type)
    buy(card, store, "r1", "100")
    with pytest.raises(DuplicateReceipt):
        buy(card, store, "r1", "101")
    other_card = make_card(cashback_type)
    with pytest.raises(DuplicateReceipt):
        buy(other_card, store, "r1", "100")
    # The same receipt id in another store is another receipt.
    other_store = StoreFactory(program=store.program, code="second")
    assert not buy(card, other_store, "r1", "100").replayed


def test_blocked_replaced_and_expired_cards_are_refused(program, store, cashback_type, make_card):
    from datetime import date

    from programs.services.cards import card_replace

    card = make_card(cashback_type)
    card_block(card=card, reason="lost", actor=SYSTEM)
    with pytest.raises(CardBlocked):
        buy(card, store, "r1", "100")
    member_card = make_card(cashback_type)
    card_replace(card=member_card, reason="damaged", actor=SYSTEM)
    member_card.refresh_from_db()
    assert member_card.status == CardStatus.REPLACED
    with pytest.raises(CardReplaced):
        buy(member_card, store, "r2", "100")
    old_type = CardTypeFactory(program=program, valid_until=date(2020, 12, 31))
    old_type_card = make_card(old_type)
    with pytest.raises(CardTypeInactive):
        buy(old_type_card, store, "r3", "100")
    assert not Purchase.objects.exists()


def test_store_of_another_program_is_refused(store, cashback_type, make_card):
    card = make_card(cashback_type)
    foreign_store = StoreFactory(program=ProgramFactory(slug="other"))
    with pytest.raises(WrongProgram):
        buy(card, foreign_store, "r1", "100")


def test_closed_store_records_nothing_but_its_refunds_still_work(store, cashback_type, make_card):
    card = make_card(cashback_type)
    first = buy(card, store, "r1", "100").purchase
    store.is_active = False
    store.save()
    with pytest.raises(StoreInactive) as refused:
        buy(card, store, "r2", "100")
    assert refused.value.field == "store"
    assert list(Purchase.objects.values_list("receipt_id", flat=True)) == ["r1"]
    refund = purchase_refund(purchase=first, refund_id="back-1")  # goods bought there may come back elsewhere
    assert refund.points_reversed == first.points_earned
    assert_ledger_consistent(card)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"total": D("-1")},
        {"total": D("10.001")},
        {"total": D(100), "lines": [Line(amount=D(60)), Line(amount=D(30))]},
        {"lines": [Line(amount=D(-5))]},
        {"lines": [Line(amount=D(5), quantity=D(0))]},
        {},
    ],
)
def test_receipts_that_do_not_add_up_are_invalid(store, cashback_type, make_card, kwargs):
    card = make_card(cashback_type)
    with pytest.raises(InvalidInput):
        purchase_record(card=card, store=store, receipt_id="r1", **kwargs)
    with pytest.raises(InvalidInput):
        purchase_record(card=card, store=store, receipt_id=" ", total=D(1))
    assert not Purchase.objects.exists()


# --- Stamps --------------------------------------------------------------------------------------------------


@pytest.fixture
def stamp_type(program):
    return CardTypeFactory(
        program=program, stamps=True, stamp_goal=9, stamp_basis=StampBasis.ITEM, stamp_categories="coffee"
    )


def coffee(n, price="60"):
    return [Line(amount=D(price) * n, quantity=D(n), category="coffee")]


def test_stamps_per_qualifying_item_and_reward_at_goal(store, stamp_type, make_card):
    card = make_card(stamp_type)
    buy(card, store, "r1", lines=[*coffee(4), Line(amount=D(40), category="pastry")])
    card.refresh_from_db()
    assert card.stamps_balance == D(4)
    result = buy(card, store, "r2", lines=coffee(6))
    assert result.card.stamps_balance == D(1)  # 10 stamps: one reward of 9, one stamp left
    [reward] = StampReward.objects.filter(card=card)
    assert reward.status == RewardStatus.AVAILABLE
    assert reward.issued_by_purchase == result.purchase
    assert_ledger_consistent(card)


def test_reward_is_redeemed_at_the_pos_and_free_items_earn_no_stamp(store, stamp_type, make_card):
    card = make_card(stamp_type)
    with pytest.raises(NoRewardAvailable):
        buy(card, store, "r0", lines=coffee(1), redeem_reward=True)
    buy(card, store, "r1", lines=coffee(9))
    result = buy(card, store, "r2", lines=[Line(amount=D(0), category="coffee")], redeem_reward=True)
    reward = StampReward.objects.get(card=card)
    assert reward.status == RewardStatus.REDEEMED
    assert reward.redeemed_by_purchase == result.purchase
    assert result.card.stamps_balance == 0
    [used] = entries(card, kind=EntryKind.REWARD_USE)  # what was given, when, at which purchase
    assert (used.reward, used.purchase, used.store, used.amount) == (reward, result.purchase, store, 0)
    assert used.created_at == reward.redeemed_at
    with pytest.raises(NoRewardAvailable):
        buy(card, store, "r3", lines=coffee(1), redeem_reward=True)


def test_stamp_per_purchase_or_visit(program, store, make_card):
    card_type = CardTypeFactory(program=program, stamps=True, stamp_goal=3, stamp_basis=StampBasis.PURCHASE)
    card = make_card(card_type)
    buy(card, store, "visit-1", "35.00")
    buy(card, store, "buy-1", lines=coffee(5))
    buy(card, store, "nothing-paid", "0")  # a 0.00 receipt never earns
    card.refresh_from_db()
    assert card.stamps_balance == D(2)


@pytest.mark.parametrize("basis", [StampBasis.PURCHASE, StampBasis.ITEM])
@pytest.mark.parametrize("free_line", [True, False], ids=["free-item-at-0.00", "free-item-inside-a-paid-line"])
def test_every_tenth_coffee_is_free_card_after_card(program, store, make_card, basis, free_line):
    """Nine paid coffees fill the card, the tenth is free and earns nothing, card after card: 3 of 30 free."""
    card_type = CardTypeFactory(program=program, stamps=True, stamp_goal=9, stamp_basis=basis)
    card = make_card(card_type)
    free, number = [], 0
    while number < 30:
        number += 1
        rewards = StampReward.objects.filter(card=card, status=RewardStatus.AVAILABLE).count()
        if number % 10 == 0:
            assert rewards == 1, f"coffee {number}: no reward after nine paid ones"
            if free_line:
                lines = [Line(amount=D(0), category="coffee")]
            else:  # the free coffee rung with the next, paid one: one line of two, priced for one
                lines = [Line(amount=D(60), quantity=D(2), category="coffee")]
            quote = purchase_quote(card=card, lines=lines, redeem_reward=True)
            result = buy(card, store, f"c{number}", lines=lines, redeem_reward=True)
            assert quote.stamps == result.purchase.stamps_earned == (D(0) if free_line else D(1))
            free.append(number)
            number += 0 if free_line else 1
        else:
            assert rewards == 0, f"coffee {number}: a reward before the card was full"
            buy(card, store, f"c{number}", lines=coffee(1))
    assert free == [10, 20, 30]
    assert StampReward.objects.filter(card=card, status=RewardStatus.REDEEMED).count() == 3
    assert_ledger_consistent(card)


def test_stamps_expire(store, stamp_type, make_card):
    from programs.services.expiry import lots_expire

    stamp_type.stamp_expiry_days = 30
    stamp_type.save()
    card = make_card(stamp_type)
    start = clock.now()
    buy(card, store, "r1", lines=coffee(3))
    lots_expire(at=start + timedelta(days=31))
    card.refresh_from_db()
    assert card.stamps_balance == 0
    assert entries(card, kind=EntryKind.EXPIRY)[0].unit == Unit.STAMPS
    assert_ledger_consistent(card)


def test_stamps_past_expiry_count_for_no_reward_before_the_expiry_job_has_run(store, stamp_type, make_card):
    stamp_type.stamp_expiry_days = 30
    stamp_type.save()
    card = make_card(stamp_type)
    start = clock.now()
    buy(card, store, "r1", lines=coffee(2))
    with clock.travel(start + timedelta(days=31)):  # the 2 stamps are due; the nightly job has not run yet
        result = buy(card, store, "r2", lines=coffee(7))  # 9 in the balance, but only 7 alive
    assert result.card.stamps_balance == D(7)
    assert not StampReward.objects.filter(card=card).exists()
    assert [e.amount for e in entries(card, kind=EntryKind.EXPIRY)] == [D(-2)]
    assert_ledger_consistent(card)


# --- Tiers ---------------------------------------------------------------------------------------------------


def test_upgrade_applies_immediately_and_is_recorded(program, store, cashback_type, make_card):
    standard = TierFactory(program=program, name="Standard", threshold=0)
    silver = TierFactory(program=program, name="Silver", threshold=D(1000))
    gold = TierFactory(program=program, name="Gold", threshold=D(3000))
    card = make_card(cashback_type)
    card.member.refresh_from_db()
    assert card.member.tier == standard
    purchase = buy(card, store, "r1", "3500").purchase
    card.member.refresh_from_db()
    assert card.member.tier == gold  # skips Silver straight to Gold
    change = TierChange.objects.get(member=card.member)
    assert (change.from_tier, change.to_tier, change.purchase) == (standard, gold, purchase)
    assert silver not in {change.to_tier}


def test_tier_basis_points_and_purchase_count(program, store, cashback_type, make_card):
    program.tier_basis = TierBasis.PURCHASES
    program.save()
    TierFactory(program=program, name="Standard", threshold=0)
    TierFactory(program=program, name="Regular", threshold=D(3))
    card = make_card(cashback_type)
    for n in range(3):
        buy(card, store, f"r{n}", "10")
    card.member.refresh_from_db()
    assert card.member.tier.name == "Regular"

    program.tier_basis = TierBasis.POINTS
    program.save()
    TierFactory(program=program, name="Collector", threshold=D(100))
    buy(card, store, "big", "2000")  # 100 points earned
    card.member.refresh_from_db()
    assert card.member.tier.name == "Collector"


def test_rolling_window_counts_only_recent_spend(program, store, cashback_type, make_card):
    program.tier_window_days = 365
    program.save()
    TierFactory(program=program, name="Standard", threshold=0)
    TierFactory(program=program, name="Silver", threshold=D(1000))
    card = make_card(cashback_type)
    now = clock.now()
    buy(card, store, "old", "900", purchased_at=now - timedelta(days=400))
    buy(card, store, "new", "200")
    card.member.refresh_from_db()
    assert card.member.tier.name == "Standard"  # only 200 in the window
    buy(card, store, "new2", "850")
    card.member.refresh_from_db()
    assert card.member.tier.name == "Silver"


# --- Rules snapshot and query budget -------------------------------------------------------------------------


def test_rule_changes_apply_to_the_next_purchase(program, store, cashback_type, make_card):
    card = make_card(cashback_type)
    assert buy(card, store, "r1", "100").purchase.points_earned == D(5)
    cashback_type.cashback_percent = D(8)
    cashback_type.save()
    assert buy(card, store, "r2", "100").purchase.points_earned == D(8)
    rule = EarningRuleFactory(program=program, multiplier=D(2))
    assert buy(card, store, "r3", "100").purchase.points_earned == D(16)
    rule.delete()
    assert buy(card, store, "r4", "100").purchase.points_earned == D(8)


def test_purchase_query_budget(program, store, cashback_type, make_card, django_assert_num_queries):
    TierFactory(program=program, name="Standard", threshold=0)
    EarningRuleFactory(program=program, categories="accessories", multiplier=D(2))
    card = make_card(cashback_type)
    buy(card, store, "warm-up", "100")
    lines = [Line(amount=D(600), category="shoes"), Line(amount=D(400), category="accessories")]
    # lock, purchase with its lines (the receipt check is its ON CONFLICT), entries with their lots, card with
    # member and the outbox's events, and the savepoint pair; SQLite has no data-modifying CTEs: each table on its
    # own.
    expected = 6 if connection.vendor == "postgresql" else 10
    with django_assert_num_queries(expected):
        result = buy(card, store, "r1", lines=lines)
    assert result.purchase.points_earned == D(70)  # 5 % of 600 + 2 × 5 % of 400
    assert result.purchase.lines.count() == 2


def test_redemption_query_budget(store, cashback_type, make_card, django_assert_num_queries):
    card = make_card(cashback_type)
    now = clock.now()
    for days in (5, 30, 60):
        card_adjust(card=card, amount=D(20), reason=f"{days} days", actor=SYSTEM, expires_at=now + timedelta(days=days))
    # lock, open lots, purchase, redemption entries, lots, allocations, accrual entries with their lots, card with
    # member and the outbox's events, and the savepoint pair; on SQLite each lot, the accrual lots, the member and
    # the events are a statement more.
    expected = 10 if connection.vendor == "postgresql" else 15
    with django_assert_num_queries(expected):
        result = buy(card, store, "r1", "1000", redeem_points=D(50))
    assert result.purchase.points_redeemed == D(50)
    lots = Lot.objects.filter(card=card).soonest_expiring_first()
    assert [lot.remaining for lot in lots] == [0, 0, 10, 47]  # the rest of the 60-day lot; 5 % of 950 earned
    assert_ledger_consistent(card)


def test_expiry_days_are_24_hour_days_across_daylight_saving(store, cashback_type, make_card):
    cashback_type.points_expiry_days = 30
    cashback_type.save()
    card = make_card(cashback_type)
    before_dst = datetime(2027, 3, 20, 12, tzinfo=KYIV)  # Kyiv moves its clocks on 28 March
    with clock.travel(before_dst):
        buy(card, store, "r1", "100")
    assert Lot.objects.get(card=card).expires_at - before_dst == timedelta(days=30)
