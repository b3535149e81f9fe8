from datetime import timedelta

import pytest

from programs import clock
from programs.choices import Bucket, EntryKind, RewardStatus, StampBasis
from programs.errors import DuplicateRefund, InvalidInput, RefundExceedsPurchase
from programs.factories import CardTypeFactory, EarningRuleFactory, TierFactory
from programs.models import LedgerEntry, Lot, Refund, StampReward, TierChange
from programs.pricing import Line
from programs.services.cards import card_adjust
from programs.services.expiry import lots_expire
from programs.services.purchases import RefundLineRequest, purchase_record, purchase_refund
from tenancy.actors import SYSTEM
from tests.conftest import D
from tests.programs.invariants import assert_ledger_consistent


def buy(card, store, receipt, total=None, **kwargs):
    return purchase_record(
        card=card, store=store, receipt_id=receipt, total=None if total is None else D(total), **kwargs
    ).purchase


def balance(card):
    card.refresh_from_db()
    return card.points_balance


def test_full_refund_takes_back_earned_points_and_spend(store, cashback_type, make_card):
    card = make_card(cashback_type)
    purchase = buy(card, store, "r1", "1000")
    refund = purchase_refund(purchase=purchase, refund_id="ref-1")
    assert refund.amount == D(1000)
    assert refund.points_reversed == D(50)
    assert balance(card) == 0
    purchase.refresh_from_db()
    assert purchase.refunded_amount == D(1000) and purchase.is_fully_refunded
    member = card.member
    member.refresh_from_db()
    assert (member.lifetime_spend, member.purchase_count, member.points_earned_total) == (0, 0, 0)
    [reversal] = LedgerEntry.objects.filter(card=card, kind=EntryKind.REVERSAL)
    assert (reversal.amount, reversal.refund, reversal.purchase) == (D(-50), refund, purchase)
    assert_ledger_consistent(card)


def test_refund_is_never_applied_twice(store, cashback_type, make_card):
    card = make_card(cashback_type)
    purchase = buy(card, store, "r1", "1000")
    first = purchase_refund(purchase=purchase, refund_id="ref-1", amount=D(400))
    again = purchase_refund(purchase=purchase, refund_id="ref-1", amount=D(400))
    assert again.pk == first.pk
    assert (first.replayed, again.replayed) == (False, True)
    assert Refund.objects.count() == 1
    assert balance(card) == D(30)
    with pytest.raises(DuplicateRefund):
        purchase_refund(purchase=purchase, refund_id="ref-1", amount=D(100))
    with pytest.raises(RefundExceedsPurchase):
        purchase_refund(purchase=purchase, refund_id="ref-2", amount=D("600.01"))
    purchase_refund(purchase=purchase, refund_id="ref-3")  # the rest
    with pytest.raises(RefundExceedsPurchase):
        purchase_refund(purchase=purchase, refund_id="ref-4")
    assert balance(card) == 0
    assert_ledger_consistent(card)


def test_partial_refunds_in_parts_take_back_exactly_what_was_earned(store, cashback_type, make_card):
    cashback_type.rounding = "cents"
    cashback_type.save()
    card = make_card(cashback_type)
    purchase = buy(card, store, "r1", "100.00")  # 5.00 points
    for index, part in enumerate(["33.33", "33.33", "33.34"]):
        purchase_refund(purchase=purchase, refund_id=f"p{index}", amount=D(part))
    purchase.refresh_from_db()
    assert purchase.points_reversed == purchase.points_earned == D(5)
    assert balance(card) == 0
    assert_ledger_consistent(card)


def test_refund_by_lines(store, cashback_type, make_card):
    card = make_card(cashback_type)
    purchase = buy(
        card,
        store,
        "r1",
        lines=[Line(amount=D(600), sku="coat"), Line(amount=D(400), sku="socks", quantity=D(4))],
    )
    coat, socks = purchase.lines.order_by("position")
    refund = purchase_refund(
        purchase=purchase, refund_id="x", lines=[RefundLineRequest(line_id=socks.pk, quantity=D(1))]
    )
    assert refund.amount == D(100)
    assert refund.points_reversed == D(5)
    socks.refresh_from_db()
    assert (socks.refunded_quantity, socks.refunded_amount) == (D(1), D(100))
    with pytest.raises(RefundExceedsPurchase):
        purchase_refund(purchase=purchase, refund_id="y", lines=[RefundLineRequest(line_id=socks.pk, quantity=D(4))])
    with pytest.raises(InvalidInput):
        purchase_refund(purchase=purchase, refund_id="z", lines=[RefundLineRequest(line_id=999999, quantity=D(1))])
    with pytest.raises(InvalidInput):
        purchase_refund(purchase=purchase, refund_id="w", amount=D(1), lines=[RefundLineRequest(coat.pk, D(1))])
    purchase_refund(
        purchase=purchase, refund_id="v", lines=[RefundLineRequest(coat.pk, D(1)), RefundLineRequest(socks.pk, D(3))]
    )
    purchase.refresh_from_db()
    assert purchase.is_fully_refunded
    assert balance(card) == 0
    assert_ledger_consistent(card)


def test_refund_returns_spent_points_to_their_original_lots(store, cashback_type, make_card):
    card = make_card(cashback_type)
    now = clock.now()
    card_adjust(card=card, amount=D(30), reason="soon", actor=SYSTEM, expires_at=now + timedelta(days=10))
    card_adjust(card=card, amount=D(70), reason="later", actor=SYSTEM, expires_at=now + timedelta(days=100))
    purchase = buy(card, store, "r1", "400", redeem_points=D(60))  # 30 from "soon", 30 from "later"; earns 17
    assert balance(card) == D(57)
    purchase_refund(purchase=purchase, refund_id="all")
    lots = {
        lot.entry.reason: lot
        for lot in Lot.objects.filter(card=card, entry__kind=EntryKind.ADJUSTMENT).select_related("entry")
    }
    assert lots["soon"].remaining == D(30) and lots["later"].remaining == D(70)
    assert balance(card) == D(100)
    returned = LedgerEntry.objects.get(card=card, kind=EntryKind.RETURN)
    assert returned.amount == D(60)
    assert_ledger_consistent(card)


def test_partial_refund_after_redemption_restores_exactly(store, cashback_type, make_card):
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(100), reason="gift", actor=SYSTEM)
    purchase = buy(card, store, "r1", "1000", redeem_points=D(100))  # pays 100, earns 45
    assert balance(card) == D(45)
    purchase_refund(purchase=purchase, refund_id="a", amount=D(250))  # 25 %: +25 returned, -11.25 → 11
    purchase.refresh_from_db()
    assert purchase.points_returned == D(25)
    assert purchase.points_reversed == D("11.25")
    purchase_refund(purchase=purchase, refund_id="b", amount=D(750))
    purchase.refresh_from_db()
    assert (purchase.points_returned, purchase.points_reversed) == (D(100), D(45))
    assert balance(card) == D(100)
    assert_ledger_consistent(card)


def test_returned_points_keep_their_original_expiry(store, cashback_type, make_card):
    card = make_card(cashback_type)
    start = clock.now()
    card_adjust(card=card, amount=D(40), reason="short", actor=SYSTEM, expires_at=start + timedelta(days=3))
    purchase = buy(card, store, "r1", "200", redeem_points=D(40))
    with clock.travel(start + timedelta(days=5)):
        purchase_refund(purchase=purchase, refund_id="late")
        lots_expire(at=clock.now())
    card.refresh_from_db()
    # The 40 points went back to a lot that had expired meanwhile, so they expired again.
    assert card.points_balance == 0
    kinds = list(LedgerEntry.objects.filter(card=card).order_by("id").values_list("kind", "amount"))
    assert (EntryKind.RETURN, D(40)) in kinds and (EntryKind.EXPIRY, D(-40)) in kinds
    assert_ledger_consistent(card)


def test_points_already_spent_become_debt_settled_by_later_accruals(store, cashback_type, make_card):
    card = make_card(cashback_type)
    first = buy(card, store, "r1", "1000")  # earns 50
    buy(card, store, "r2", "200", redeem_points=D(50))  # spends them, earns 7
    refund = purchase_refund(purchase=first, refund_id="all")
    assert refund.points_reversed == D(50)
    assert refund.points_debt == D(43)
    card.refresh_from_db()
    assert (card.points_balance, card.points_debt) == (0, D(43))
    buy(card, store, "r3", "1000")  # earns 50: 43 settle the debt
    card.refresh_from_db()
    assert (card.points_balance, card.points_debt) == (D(7), 0)
    assert LedgerEntry.objects.filter(card=card, kind=EntryKind.DEBT_SETTLEMENT).get().amount == D(-43)
    assert_ledger_consistent(card)


def test_refund_debt_is_a_ledger_entry_of_the_refund_and_its_settlement_names_it(store, cashback_type, make_card):
    card = make_card(cashback_type)
    first = buy(card, store, "r1", "1000")  # earns 50
    buy(card, store, "r2", "200", redeem_points=D(50))  # spends them, earns 7
    refund = purchase_refund(purchase=first, refund_id="RF-1")
    debt = LedgerEntry.objects.get(card=card, kind=EntryKind.DEBT)
    assert (debt.unit, debt.amount, debt.debt_change, debt.balance_after) == ("points", 0, D(43), 0)
    assert (debt.refund, debt.purchase) == (refund, first)
    buy(card, store, "r3", "400")  # earns 20: settles 20 of the 43
    buy(card, store, "r4", "1000")  # earns 50: settles the other 23
    settlements = LedgerEntry.objects.filter(card=card, kind=EntryKind.DEBT_SETTLEMENT).order_by("id")
    assert [(entry.amount, entry.debt_change) for entry in settlements] == [(D(-20), D(-20)), (D(-23), D(-23))]
    for entry in settlements:
        assert entry.refund == refund
        assert entry.reason == "Settles refund RF-1 of receipt r1"
    assert_ledger_consistent(card)


def test_refund_reverts_the_upgrade_it_paid_for(program, store, cashback_type, make_card):
    standard = TierFactory(program=program, name="Standard", threshold=0)
    gold = TierFactory(program=program, name="Gold", threshold=D(1000))
    card = make_card(cashback_type)
    purchase = buy(card, store, "r1", "1500")
    card.member.refresh_from_db()
    assert card.member.tier == gold
    purchase_refund(purchase=purchase, refund_id="x", amount=D(600))
    card.member.refresh_from_db()
    assert card.member.tier == standard
    assert TierChange.objects.filter(member=card.member).order_by("-id").first().reason == "refund"


def test_refund_reverts_an_upgrade_only_when_the_member_no_longer_qualifies(program, store, cashback_type, make_card):
    standard = TierFactory(program=program, name="Standard", threshold=0)
    gold = TierFactory(program=program, name="Gold", threshold=D(1000))
    card = make_card(cashback_type)
    upgrading = buy(card, store, "r1", "1000")
    buy(card, store, "r2", "600")
    purchase_refund(purchase=upgrading, refund_id="part", amount=D(500))
    card.member.refresh_from_db()
    assert card.member.tier == gold  # 1100 still counts
    purchase_refund(purchase=upgrading, refund_id="rest")
    card.member.refresh_from_db()
    assert card.member.tier == standard  # 600: the upgrade it paid for is undone


def test_rule_bonus_and_promo_are_reversed_too(program, store, cashback_type, make_card):
    EarningRuleFactory(program=program, multiplier=D(3), bucket=Bucket.PROMO, expiry_days=30)
    card = make_card(cashback_type)
    purchase = buy(card, store, "r1", "1000")  # 50 + 100 promo
    assert purchase.points_earned == D(150)
    purchase_refund(purchase=purchase, refund_id="x")
    assert balance(card) == 0
    assert_ledger_consistent(card)


# --- Stamps --------------------------------------------------------------------------------------------------


@pytest.fixture
def stamp_type(program):
    return CardTypeFactory(program=program, stamps=True, stamp_goal=5, stamp_basis=StampBasis.ITEM, stamp_categories="")


def coffees(n):
    return [Line(amount=D(50) * n, quantity=D(n), category="coffee")]


def test_refund_takes_back_stamps_of_refunded_items(store, stamp_type, make_card):
    card = make_card(stamp_type)
    purchase = buy(card, store, "r1", lines=[*coffees(3), Line(amount=D(30), category="cake")])
    coffee_line, cake_line = purchase.lines.order_by("position")
    purchase_refund(purchase=purchase, refund_id="cake", lines=[RefundLineRequest(cake_line.pk, D(1))])
    card.refresh_from_db()
    assert card.stamps_balance == D(3)  # a refunded cake keeps the coffee stamps
    purchase_refund(purchase=purchase, refund_id="one", lines=[RefundLineRequest(coffee_line.pk, D(1))])
    card.refresh_from_db()
    assert card.stamps_balance == D(2)
    assert_ledger_consistent(card)


def test_refund_cancels_an_unused_reward_to_take_back_its_stamps(store, stamp_type, make_card):
    card = make_card(stamp_type)
    buy(card, store, "r1", lines=coffees(3))
    second = buy(card, store, "r2", lines=coffees(3))  # 6 stamps → reward (5) + 1
    reward = StampReward.objects.get(card=card)
    purchase_refund(purchase=second, refund_id="x")
    reward.refresh_from_db()
    assert reward.status == RewardStatus.VOID
    card.refresh_from_db()
    assert (card.stamps_balance, card.stamps_debt) == (D(3), 0)
    assert_ledger_consistent(card)


def test_refund_after_the_reward_was_used_owes_stamps(store, stamp_type, make_card):
    card = make_card(stamp_type)
    earning = buy(card, store, "r1", lines=coffees(5))
    buy(card, store, "r2", lines=[Line(amount=D(0), category="coffee")], redeem_reward=True)
    refund = purchase_refund(purchase=earning, refund_id="x")
    assert refund.stamps_reversed == D(5)
    card.refresh_from_db()
    assert (card.stamps_balance, card.stamps_debt) == (0, D(5))
    debt = LedgerEntry.objects.get(card=card, kind=EntryKind.DEBT)  # the refund's debt is in the ledger
    assert (debt.unit, debt.debt_change, debt.refund) == ("stamps", D(5), refund)
    buy(card, store, "r3", lines=coffees(2))  # the next stamps pay the debt
    card.refresh_from_db()
    assert (card.stamps_balance, card.stamps_debt) == (0, D(3))
    settled = LedgerEntry.objects.get(card=card, kind=EntryKind.DEBT_SETTLEMENT)
    assert (settled.amount, settled.debt_change, settled.refund) == (D(-2), D(-2), refund)
    assert settled.reason == "Settles refund x of receipt r1"
    assert_ledger_consistent(card)


def test_full_refund_of_the_redeeming_purchase_gives_the_reward_back(store, stamp_type, make_card):
    card = make_card(stamp_type)
    buy(card, store, "r1", lines=coffees(5))
    redeeming = buy(card, store, "r2", lines=[*coffees(1), Line(amount=D(0), category="coffee")], redeem_reward=True)
    refund = purchase_refund(purchase=redeeming, refund_id="x")
    assert refund.reward_returned
    assert StampReward.objects.get(card=card).status == RewardStatus.AVAILABLE
    card.refresh_from_db()
    assert card.stamps_balance == 0
    assert_ledger_consistent(card)


def test_refunds_leave_member_counters_exactly_at_zero(store, cashback_type, make_card):
    # Found by the property test: decimal arithmetic in the database drifted by 1e-15 on SQLite.
    card = make_card(cashback_type)
    first = buy(card, store, "r1", "123.45")
    second = buy(card, store, "r2", "0.02")
    purchase_refund(purchase=first, refund_id="a")
    purchase_refund(purchase=second, refund_id="b")
    card.member.refresh_from_db()
    assert (card.member.lifetime_spend, card.member.purchase_count) == (0, 0)
