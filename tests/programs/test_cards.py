from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from programs import clock
from programs.choices import Bucket, CardStatus, EntryKind, RewardStatus, RuleKind, StampBasis, Unit
from programs.errors import CardReplaced, InsufficientPoints, InsufficientStamps, InvalidInput, MemberExists
from programs.factories import CardTypeFactory, EarningRuleFactory, TierFactory
from programs.models import AuditEvent, Card, LedgerEntry, Lot, Member, StampReward
from programs.pricing import Line
from programs.services.bonuses import birthday_bonuses_grant
from programs.services.cards import card_adjust, card_block, card_issue, card_replace, card_unblock, luhn_digit
from programs.services.members import member_create, member_update
from programs.services.purchases import purchase_record
from tenancy.actors import Actor
from tests.conftest import D
from tests.programs.invariants import assert_ledger_consistent

KYIV = ZoneInfo("Europe/Kyiv")


def test_enrolment_issues_cards_with_valid_numbers_and_lowest_tier(program, cashback_type):
    standard = TierFactory(program=program, name="Standard", threshold=0)
    TierFactory(program=program, name="Gold", threshold=D(1000))
    stamp_type = CardTypeFactory(program=program, stamps=True)
    member = member_create(program=program, phone="050 123 45 67", first_name="Olena")
    assert str(member.phone) == "+380501234567"  # normalised to E.164
    assert member.tier == standard
    cards = list(member.cards.order_by("card_type_id"))
    assert [card.card_type for card in cards] == [cashback_type, stamp_type]
    for card in cards:
        assert len(card.number) == 13 and card.number[-1] == luhn_digit(card.number[:-1])
    assert AuditEvent.objects.filter(action="member.create", object_id=str(member.pk)).exists()


def test_enrolment_refuses_duplicates_and_bad_phones(program, cashback_type):
    member_create(program=program, phone="+380501234567")
    with pytest.raises(MemberExists):
        member_create(program=program, phone="0501234567")
    with pytest.raises(InvalidInput):
        member_create(program=program, phone="12")
    with pytest.raises(InvalidInput):
        member_create(program=program, phone="+380501234568", email="not-an-email")
    assert Member.objects.count() == 1


def test_one_live_card_per_member_and_type(program, cashback_type, make_card):
    card = make_card(cashback_type)
    with pytest.raises(InvalidInput):
        card_issue(member=card.member, card_type=cashback_type)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.create(
            program=program, member=card.member, card_type=cashback_type, number="999", status=CardStatus.BLOCKED
        )


def test_plastic_number_can_be_linked_once(program, cashback_type):
    member = member_create(program=program, phone="+380501234567", card_types=[])
    card = card_issue(member=member, card_type=cashback_type, number="4000 1234")
    assert card.number == "40001234"
    other = member_create(program=program, phone="+380501234568", card_types=[])
    with pytest.raises(InvalidInput):
        card_issue(member=other, card_type=cashback_type, number="40001234")


def test_registration_and_profile_bonuses_are_given_once(program, cashback_type):
    EarningRuleFactory(
        program=program,
        kind=RuleKind.REGISTRATION,
        name="Welcome",
        bonus_points=D(100),
        bucket=Bucket.PROMO,
        expiry_days=30,
    )
    EarningRuleFactory(program=program, kind=RuleKind.PROFILE_COMPLETED, name="Profile", bonus_points=D(50))
    member = member_create(program=program, phone="+380501234567", first_name="Ivan")
    card = member.cards.get()
    card.refresh_from_db()
    assert card.points_balance == D(100)
    welcome = Lot.objects.get(card=card)
    assert welcome.bucket == Bucket.PROMO and welcome.expires_at is not None
    member_update(member=member, last_name="Petrenko", email="ivan@example.com", birth_date=date(1990, 5, 1))
    card.refresh_from_db()
    assert card.points_balance == D(100)  # gender still missing
    member_update(member=member, gender="m")
    card.refresh_from_db()
    assert card.points_balance == D(150)
    member_update(member=member, gender="f")
    card.refresh_from_db()
    assert card.points_balance == D(150)
    assert AuditEvent.objects.filter(action="member.update").count() == 3


def test_member_update_refuses_unknown_fields_and_saves_nothing_on_error(program, cashback_type):
    member = member_create(program=program, phone="+380501234567", first_name="Ivan")
    with pytest.raises(InvalidInput):
        member_update(member=member, tier=None)
    with pytest.raises(InvalidInput):
        member_update(member=member, first_name="Ivan2", email="broken")
    member.refresh_from_db()
    assert member.first_name == "Ivan"


def test_birthday_bonus_once_a_year_in_program_time_zone(program, cashback_type):
    EarningRuleFactory(
        program=program,
        kind=RuleKind.BIRTHDAY,
        name="Birthday",
        bonus_points=D(200),
        bucket=Bucket.PROMO,
        expiry_days=14,
    )
    member = member_create(program=program, phone="+380501234567", birth_date=date(1990, 3, 10))
    card = member.cards.get()
    # 23:30 UTC on 9 March is already 10 March in Kyiv.
    assert birthday_bonuses_grant(at=datetime(2027, 3, 9, 23, 30, tzinfo=ZoneInfo("UTC"))) == 1
    assert birthday_bonuses_grant(at=datetime(2027, 3, 10, 18, tzinfo=KYIV)) == 0
    card.refresh_from_db()
    assert card.points_balance == D(200)
    assert birthday_bonuses_grant(at=datetime(2027, 3, 11, 12, tzinfo=KYIV)) == 0
    assert birthday_bonuses_grant(at=datetime(2028, 3, 10, 12, tzinfo=KYIV)) == 1
    card.refresh_from_db()
    assert card.points_balance == D(400)


def test_leap_day_birthdays_get_the_bonus_on_28_february(program, cashback_type):
    EarningRuleFactory(program=program, kind=RuleKind.BIRTHDAY, bonus_points=D(10))
    member_create(program=program, phone="+380501234567", birth_date=date(2000, 2, 29))
    assert birthday_bonuses_grant(at=datetime(2027, 2, 28, 12, tzinfo=KYIV)) == 1
    assert birthday_bonuses_grant(at=datetime(2028, 2, 28, 12, tzinfo=KYIV)) == 0
    assert birthday_bonuses_grant(at=datetime(2028, 2, 29, 12, tzinfo=KYIV)) == 1


# --- Staff actions -------------------------------------------------------------------------------------------


def test_adjustment_needs_a_reason_and_is_audited(cashback_type, make_card, staff):
    card = make_card(cashback_type)
    with pytest.raises(InvalidInput):
        card_adjust(card=card, amount=D(10), reason="  ", actor=Actor.staff(staff))
    card_adjust(card=card, amount=D(10), reason="Compensation for a late order", actor=Actor.staff(staff))
    entry = LedgerEntry.objects.get(card=card)
    assert (entry.kind, entry.amount, entry.actor, entry.reason) == (
        EntryKind.ADJUSTMENT,
        D(10),
        staff,
        "Compensation for a late order",
    )
    event = AuditEvent.objects.get(action="card.adjust")
    assert event.actor == staff
    assert event.changes == {"points_balance": ["0.00", "10.00"]}
    assert event.reason == "Compensation for a late order"


def test_negative_adjustment_cannot_overdraw(cashback_type, make_card, staff):
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(10), reason="gift", actor=Actor.staff(staff))
    with pytest.raises(InsufficientPoints):
        card_adjust(card=card, amount=D(-11), reason="fix", actor=Actor.staff(staff))
    card_adjust(card=card, amount=D(-10), reason="fix", actor=Actor.staff(staff))
    card.refresh_from_db()
    assert card.points_balance == 0
    with pytest.raises(InsufficientStamps):
        card_adjust(card=card, amount=D(-1), unit=Unit.STAMPS, reason="fix", actor=Actor.staff(staff))
    assert_ledger_consistent(card)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"amount": D(0)},
        {"amount": D("0.001")},
        {"amount": D("1.5"), "unit": Unit.STAMPS},
        {"amount": D(10), "bucket": Bucket.PROMO},
        {"amount": D(10), "expires_at": datetime(2000, 1, 1, tzinfo=KYIV)},
    ],
)
def test_invalid_adjustments(cashback_type, make_card, staff, kwargs):
    card = make_card(cashback_type)
    with pytest.raises(InvalidInput):
        card_adjust(card=card, reason="x", actor=Actor.staff(staff), **kwargs)
    assert not LedgerEntry.objects.filter(card=card).exists()


def test_block_and_unblock_are_audited(cashback_type, make_card, staff):
    card = make_card(cashback_type)
    with pytest.raises(InvalidInput):
        card_block(card=card, reason="", actor=Actor.staff(staff))
    card_block(card=card, reason="Reported lost", actor=Actor.staff(staff))
    card.refresh_from_db()
    assert (card.status, card.status_reason) == (CardStatus.BLOCKED, "Reported lost")
    card_unblock(card=card, reason="Found", actor=Actor.staff(staff))
    card.refresh_from_db()
    assert card.status == CardStatus.ACTIVE
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "changes"))
    assert ("card.block", {"status": ["active", "blocked"]}) in actions
    assert ("card.unblock", {"status": ["blocked", "active"]}) in actions


def test_replacement_moves_lots_with_their_expiry_debts_and_rewards(program, store, cashback_type, make_card, staff):
    card = make_card(cashback_type)
    now = clock.now()
    card_adjust(
        card=card,
        amount=D(30),
        reason="promo",
        bucket=Bucket.PROMO,
        expires_at=now + timedelta(days=9),
        actor=Actor.staff(staff),
    )
    card_adjust(card=card, amount=D(70), reason="gift", actor=Actor.staff(staff))
    card_adjust(card=card, amount=D(5), reason="stale", expires_at=now + timedelta(seconds=1), actor=Actor.staff(staff))
    with clock.travel(now + timedelta(seconds=2)):
        new = card_replace(card=card, reason="Damaged", actor=Actor.staff(staff))
    card.refresh_from_db()
    assert (card.status, card.replaced_by, card.points_balance) == (CardStatus.REPLACED, new, 0)
    new.refresh_from_db()
    assert new.points_balance == D(100)  # the stale 5 expired on the old card
    moved = sorted((lot.bucket, lot.remaining, lot.expires_at) for lot in Lot.objects.filter(card=new))
    assert moved == [(Bucket.CASHBACK, D(70), None), (Bucket.PROMO, D(30), now + timedelta(days=9))]
    assert LedgerEntry.objects.filter(card=card, kind=EntryKind.EXPIRY).get().amount == D(-5)
    assert new.number != card.number
    with pytest.raises(CardReplaced):
        card_replace(card=card, reason="again", actor=Actor.staff(staff))
    with pytest.raises(CardReplaced):
        card_adjust(card=card, amount=D(1), reason="x", actor=Actor.staff(staff))
    assert_ledger_consistent(card)
    assert_ledger_consistent(new)
    assert AuditEvent.objects.filter(action="card.replace").get().changes["replaced_by"] == [None, new.number]


def test_replacement_of_a_stamp_card_moves_stamps_and_unused_rewards(program, store, make_card, staff):
    stamp_type = CardTypeFactory(program=program, stamps=True, stamp_goal=3, stamp_basis=StampBasis.ITEM)
    card = make_card(stamp_type)
    purchase_record(card=card, store=store, receipt_id="r1", lines=[Line(amount=D(200), quantity=D(4))])
    new = card_replace(card=card, reason="Plastic to virtual", actor=Actor.staff(staff), number="77001")
    new.refresh_from_db()
    assert new.number == "77001"
    assert new.stamps_balance == D(1)
    assert StampReward.objects.get(status=RewardStatus.AVAILABLE).card == new
    assert_ledger_consistent(new)


# --- Database invariants -------------------------------------------------------------------------------------


def test_database_refuses_negative_balances_and_duplicate_receipts(store, cashback_type, make_card):
    card = make_card(cashback_type)
    with pytest.raises(IntegrityError), transaction.atomic():
        Card.objects.filter(pk=card.pk).update(points_balance=D(-1))
    purchase_record(card=card, store=store, receipt_id="r1", total=D(100))
    from programs.models import Purchase

    purchase = Purchase.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Purchase.objects.create(
            program=purchase.program,
            store=store,
            card=card,
            member=card.member,
            receipt_id="r1",
            fingerprint="x",
            purchased_at=purchase.purchased_at,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Purchase.objects.filter(pk=purchase.pk).update(refunded_amount=D(101))
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(program=card.program, card=card, kind=EntryKind.ADJUSTMENT, amount=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lot.objects.filter(card=card).update(remaining=D(1000))


def test_decimal_values_are_never_floats(store, cashback_type, make_card):
    card = make_card(cashback_type)
    result = purchase_record(card=card, store=store, receipt_id="r1", total=D("19.99"))
    card.refresh_from_db()
    for value in (card.points_balance, result.purchase.total, result.purchase.points_earned):
        assert isinstance(value, Decimal)
