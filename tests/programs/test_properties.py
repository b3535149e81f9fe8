"""Property test: any sequence of purchases, redemptions, refunds, expiry runs, adjustments and replays keeps
every ledger invariant (cached balance == sum of entries == open lots, never negative, lots consistent)."""

import os
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from programs import clock
from programs.choices import Bucket, StampBasis, Unit
from programs.errors import LoyaltyError
from programs.factories import (
    CardTypeFactory,
    EarningRuleFactory,
    ProgramFactory,
    RedemptionRuleFactory,
    StoreFactory,
    TierFactory,
)
from programs.models import Card, Purchase
from programs.pricing import Line
from programs.services.cards import card_adjust, card_replace
from programs.services.expiry import lots_expire
from programs.services.members import member_create
from programs.services.purchases import RefundLineRequest, purchase_quote, purchase_record, purchase_refund
from tenancy.actors import SYSTEM
from tests.programs.invariants import assert_ledger_consistent

START = datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Europe/Kyiv"))
cents = st.integers(min_value=0, max_value=500_000).map(lambda n: Decimal(n) / 100)

purchase_op = st.tuples(
    st.just("purchase"),
    st.lists(st.tuples(cents, st.integers(1, 4), st.sampled_from(["coffee", "shoes", "accessories"])), max_size=3),
    st.sampled_from([None, "max", "half", "too_much"]),
    st.booleans(),  # on the stamp card
)
refund_op = st.tuples(
    st.just("refund"), st.integers(0, 20), st.sampled_from(["full", "amount", "line"]), st.floats(0.01, 1)
)
expire_op = st.tuples(st.just("expire"), st.integers(1, 200))
adjust_op = st.tuples(
    st.just("adjust"), st.integers(-300, 300), st.sampled_from([Bucket.CASHBACK, Bucket.PROMO]), st.integers(1, 90)
)
replay_op = st.tuples(st.just("replay"), st.integers(0, 20))
replace_op = st.tuples(st.just("replace"))
operations = st.lists(
    st.one_of(purchase_op, purchase_op, refund_op, expire_op, adjust_op, replay_op, replace_op), min_size=1, max_size=18
)


class World:
    def __init__(self):
        program = ProgramFactory(slug="prop")
        self.store = StoreFactory(program=program, code="s1")
        cashback = CardTypeFactory(program=program, cashback_percent=Decimal(5), points_expiry_days=60)
        RedemptionRuleFactory(card_type=cashback, max_share_percent=Decimal(50), min_check=Decimal(10))
        CardTypeFactory(program=program, stamps=True, stamp_goal=4, stamp_basis=StampBasis.ITEM, stamp_expiry_days=45)
        TierFactory(program=program, name="Standard", threshold=0)
        TierFactory(program=program, name="Gold", threshold=Decimal(3000), multiplier=Decimal(2))
        EarningRuleFactory(
            program=program, categories="accessories", multiplier=Decimal(3), bucket=Bucket.PROMO, expiry_days=20
        )
        member = member_create(program=program, phone="+380501112233")
        self.cards = {card.card_type.kind: card for card in member.cards.select_related("card_type")}
        self.calls = []  # (card kind, kwargs) of recorded purchases, for replays

    def card(self, kind):
        card = self.cards[kind]
        card.refresh_from_db()
        if card.replaced_by_id:
            card = Card.objects.get(pk=card.replaced_by_id)
            self.cards[kind] = card
        return card


def apply(world: World, op) -> None:
    name = op[0]
    if name == "purchase":
        _, raw_lines, redeem, on_stamps = op
        card = world.card("stamps" if on_stamps else "cashback")
        lines = [Line(amount=amount, quantity=Decimal(qty), category=cat) for amount, qty, cat in raw_lines]
        total = sum((line.amount for line in lines), Decimal(0)) if lines else Decimal("123.45")
        points = Decimal(0)
        if redeem and not on_stamps:
            quote = purchase_quote(card=card, total=total, lines=lines or None)
            points = {
                "max": quote.points_redeemable,
                "half": (quote.points_redeemable / 2).quantize(Decimal("0.01")),
                "too_much": quote.points_redeemable + Decimal(1),
            }[redeem]
        kwargs = {
            "store": world.store,
            "receipt_id": f"r{len(world.calls)}",
            "total": total,
            "lines": lines or None,
            "redeem_points": points,
        }
        purchase_record(card=card, **kwargs)
        world.calls.append((card, kwargs))
    elif name == "refund":
        _, index, how, share = op
        purchases = list(Purchase.objects.order_by("id"))
        if not purchases:
            return
        purchase = purchases[index % len(purchases)]
        refund_id = f"f{purchase.refunds.count()}-{index}"
        if how == "full":
            purchase_refund(purchase=purchase, refund_id=refund_id)
        elif how == "amount":
            amount = (purchase.total * Decimal(str(share))).quantize(Decimal("0.01"))
            purchase_refund(purchase=purchase, refund_id=refund_id, amount=amount)
        else:
            line = purchase.lines.first()
            if line is None:
                return
            purchase_refund(purchase=purchase, refund_id=refund_id, lines=[RefundLineRequest(line.pk, Decimal(1))])
    elif name == "expire":
        lots_expire(at=clock.now())
    elif name == "adjust":
        _, amount, bucket, days = op
        if amount:
            card_adjust(
                card=world.card("cashback"),
                amount=Decimal(amount),
                reason="prop",
                actor=SYSTEM,
                bucket=bucket,
                expires_at=clock.now() + timedelta(days=days),
            )
    elif name == "replay":
        if world.calls:
            card, kwargs = world.calls[op[1] % len(world.calls)]
            before = (Purchase.objects.count(), card.entries.count())
            try:
                result = purchase_record(card=card, **kwargs)
            except LoyaltyError:
                return  # the card was replaced or blocked since: refused, not replayed
            assert result.replayed
            assert (Purchase.objects.count(), card.entries.count()) == before
    elif name == "replace":
        card_replace(card=world.card("cashback"), reason="prop", actor=SYSTEM)


# KARTKA_PROPERTY_EXAMPLES=500 for a deeper local run. Every example runs in its own transaction that is rolled
# back, so the function-scoped test database starts empty each time.
@settings(
    max_examples=int(os.environ.get("KARTKA_PROPERTY_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=operations)
def test_random_operation_sequences_keep_ledger_invariants(db, ops):
    with transaction.atomic():
        world = World()
        moment = START
        for step, op in enumerate(ops):
            note(f"step {step}: {op!r}")
            moment += timedelta(days=op[1]) if op[0] == "expire" else timedelta(hours=7)
            with clock.travel(moment):
                try:
                    with transaction.atomic():
                        apply(world, op)
                except LoyaltyError:
                    pass  # a refused operation must leave nothing behind: checked below
            for card in Card.objects.all():
                assert_ledger_consistent(card)
                assert card.points_balance >= 0 and card.stamps_balance >= 0, step
            for purchase in Purchase.objects.all():
                assert purchase.points_reversed <= purchase.points_earned
                assert purchase.points_returned <= purchase.points_redeemed
                assert purchase.refunded_amount <= purchase.total
        transaction.set_rollback(True)


def test_units_are_separate(db):
    world = World()
    card = world.card("cashback")
    card_adjust(card=card, amount=Decimal(5), unit=Unit.STAMPS, reason="x", actor=SYSTEM)
    card.refresh_from_db()
    assert (card.points_balance, card.stamps_balance) == (0, 5)
