from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from programs import clock
from programs.choices import Bucket, DowngradePolicy, EntryKind, RuleKind, TierChangeReason, Unit
from programs.factories import EarningRuleFactory, TierFactory
from programs.jobs import SCHEDULES
from programs.models import EventCursor, LedgerEntry, Lot, Member, TierChange
from programs.schedules import schedules_ensure, schedules_registered
from programs.services.api_keys import api_key_create
from programs.services.cards import card_adjust
from programs.services.expiry import lots_expire
from programs.services.purchases import purchase_record
from programs.services.tiers import tiers_review
from tenancy.actors import SYSTEM, Actor
from tests.conftest import D
from tests.programs.invariants import assert_ledger_consistent

# --- Expiry --------------------------------------------------------------------------------------------------


@pytest.fixture
def expired_chunks(django_capture_on_commit_callbacks):
    """Run ``lots_expire`` with its after-commit callbacks executed; returns the card ids of each chunk."""

    def run(**kwargs) -> list[list[int]]:
        chunks = []
        with django_capture_on_commit_callbacks(execute=True):
            lots_expire(**kwargs, progress=chunks.append)
        return chunks

    return run


def test_expiry_closes_due_lots_with_one_entry_each(cashback_type, make_card, staff):
    cards = [make_card(cashback_type) for _ in range(3)]
    now = clock.now()
    for index, card in enumerate(cards):
        card_adjust(card=card, amount=D(10), reason="a", actor=Actor.staff(staff), expires_at=now + timedelta(days=1))
        card_adjust(
            card=card, amount=D(5 + index), reason="b", actor=Actor.staff(staff), expires_at=now + timedelta(days=2)
        )
        card_adjust(card=card, amount=D(100), reason="keep", actor=Actor.staff(staff))
    # Two lots per card are due; a chunk of 2 lots forces several chunks and cards split across them.
    changed = lots_expire(at=now + timedelta(days=3), chunk=2)
    assert changed >= 3
    for index, card in enumerate(cards):
        card.refresh_from_db()
        assert card.points_balance == D(100)
        expiries = list(LedgerEntry.objects.filter(card=card, kind=EntryKind.EXPIRY).order_by("id"))
        assert [entry.amount for entry in expiries] == [D(-10), D(-(5 + index))]
        assert [entry.balance_after for entry in expiries] == [D(105 + index), D(100)]
        assert {entry.lot.entry.reason for entry in expiries} == {"a", "b"}
        assert_ledger_consistent(card)
    assert lots_expire(at=now + timedelta(days=3)) == 0  # nothing left: a re-run changes nothing


@pytest.mark.parametrize("path", ["nightly job", "on touch"])
def test_an_expiry_entry_says_which_bonus_or_receipt_expired(program, store, cashback_type, make_card, client, path):
    cashback_type.points_expiry_days = 30
    cashback_type.save()
    EarningRuleFactory(
        program=program,
        name="Welcome bonus",
        kind=RuleKind.REGISTRATION,
        bonus_points=D(20),
        bucket=Bucket.PROMO,
        expiry_days=10,
    )
    card = make_card(cashback_type)  # 20 welcome points, for 10 days
    purchase_record(card=card, store=store, receipt_id="R-7", total=D(1000))  # 50 points, for 30 days
    at = clock.now() + timedelta(days=31)
    if path == "nightly job":
        lots_expire(at=at)
    else:  # a till touches the card first: its due lots expire before anything is spent
        with clock.travel(at):
            purchase_record(card=card, store=store, receipt_id="R-8", total=D(100))  # 5 points
            card_adjust(card=card, amount=D(-1), reason="correction", actor=SYSTEM)
    expiries = LedgerEntry.objects.filter(card=card, kind=EntryKind.EXPIRY).order_by("amount")
    assert [(entry.amount, entry.rule and entry.rule.name, entry.reason) for entry in expiries] == [
        (D(-50), None, ""),
        (D(-20), "Welcome bonus", "Welcome bonus"),
    ]
    key = api_key_create(program=program, store=store, name="till", actor=SYSTEM).plaintext
    ledger_page = client.get(f"/api/v1/cards/{card.number}/ledger/", HTTP_AUTHORIZATION=f"Bearer {key}").json()
    reasons = sorted(entry["reason"] for entry in ledger_page["results"] if entry["kind"] == "expiry")
    assert reasons == ["Welcome bonus", "earned with receipt R-7"]
    assert_ledger_consistent(card)


def test_expiry_leaves_lots_that_are_not_due(cashback_type, make_card, staff):
    card = make_card(cashback_type)
    now = clock.now()
    card_adjust(card=card, amount=D(10), reason="a", actor=Actor.staff(staff), expires_at=now + timedelta(days=5))
    assert lots_expire(at=now + timedelta(days=4)) == 0
    assert Lot.objects.get(card=card).remaining == D(10)


def test_expiry_runs_a_fixed_number_of_statements_per_chunk(cashback_type, make_card, staff):
    now = clock.now()

    def expire_lots_of(cards: int, days: int) -> int:
        for _ in range(cards):
            card = make_card(cashback_type)
            for hours in (1, 2, 3):
                due = now + timedelta(days=days, hours=hours)
                card_adjust(card=card, amount=D(1), reason="x", actor=Actor.staff(staff), expires_at=due)
        with CaptureQueriesContext(connection) as queries:
            lots_expire(at=now + timedelta(days=days + 1), chunk=1000)
        return len(queries)

    # No per-lot queries: 60 lots take the same statements as 6.
    assert expire_lots_of(2, days=1) == expire_lots_of(20, days=3)
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 66


def test_expiry_of_promo_and_stamps_keeps_bucket(cashback_type, make_card, staff):
    card = make_card(cashback_type)
    now = clock.now()
    card_adjust(
        card=card,
        amount=D(7),
        reason="p",
        actor=Actor.staff(staff),
        bucket=Bucket.PROMO,
        expires_at=now + timedelta(hours=1),
    )
    lots_expire(at=now + timedelta(hours=2))
    entry = LedgerEntry.objects.get(card=card, kind=EntryKind.EXPIRY)
    assert entry.bucket == Bucket.PROMO
    assert_ledger_consistent(card)


def test_expiry_carries_a_card_split_across_chunks_on_one_running_balance(
    cashback_type, make_card, staff, expired_chunks
):
    first, second = make_card(cashback_type), make_card(cashback_type)
    now = clock.now()
    card_adjust(card=first, amount=D(50), reason="keep", actor=Actor.staff(staff))
    for amount in (1, 2, 3, 4, 5):
        card_adjust(
            card=first, amount=D(amount), reason="due", actor=Actor.staff(staff), expires_at=now + timedelta(hours=1)
        )
    card_adjust(card=second, amount=D(7), reason="due", actor=Actor.staff(staff), expires_at=now + timedelta(hours=1))
    # Chunks of 2 lots: the first card's five due lots take three chunks, the last one shared with the second card.
    chunks = expired_chunks(at=now + timedelta(hours=2), chunk=2)
    assert chunks == [[first.pk], [first.pk], [first.pk, second.pk]]
    expiries = LedgerEntry.objects.filter(card=first, kind=EntryKind.EXPIRY).order_by("id")
    assert [(entry.amount, entry.balance_after) for entry in expiries] == [
        (D(-1), D(64)),
        (D(-2), D(62)),
        (D(-3), D(59)),
        (D(-4), D(55)),
        (D(-5), D(50)),
    ]
    for card, balance in ((first, D(50)), (second, D(0))):
        card.refresh_from_db()
        assert card.points_balance == balance
        assert_ledger_consistent(card)
    assert expired_chunks(at=now + timedelta(hours=2), chunk=2) == []  # a re-run finds nothing


def test_expiry_of_cashback_promo_and_stamps_on_one_card(cashback_type, make_card, staff):
    card = make_card(cashback_type)
    now = clock.now()
    due = now + timedelta(hours=1)
    card_adjust(card=card, amount=D("10.25"), reason="cashback", actor=Actor.staff(staff), expires_at=due)
    card_adjust(
        card=card, amount=D("3.50"), reason="promo", actor=Actor.staff(staff), bucket=Bucket.PROMO, expires_at=due
    )
    card_adjust(card=card, amount=D(4), reason="stamps", actor=Actor.staff(staff), unit=Unit.STAMPS, expires_at=due)
    card_adjust(card=card, amount=D(2), reason="stamps kept", actor=Actor.staff(staff), unit=Unit.STAMPS)
    card_adjust(
        card=card,
        amount=D(20),
        reason="kept",
        actor=Actor.staff(staff),
        bucket=Bucket.PROMO,
        expires_at=due + timedelta(days=9),
    )
    lots_expire(at=now + timedelta(hours=2))
    card.refresh_from_db()
    assert (card.points_balance, card.stamps_balance) == (D(20), D(2))
    expiries = LedgerEntry.objects.filter(card=card, kind=EntryKind.EXPIRY).order_by("id")
    # Each unit runs its own balance: points 33.75 -> 23.50 -> 20, stamps 6 -> 2.
    assert [(entry.unit, entry.bucket, entry.amount, entry.balance_after) for entry in expiries] == [
        (Unit.POINTS, Bucket.CASHBACK, D("-10.25"), D("23.50")),
        (Unit.POINTS, Bucket.PROMO, D("-3.50"), D(20)),
        (Unit.STAMPS, Bucket.CASHBACK, D(-4), D(2)),
    ]
    assert all(entry.created_at == now + timedelta(hours=2) for entry in expiries)
    assert_ledger_consistent(card)


def test_expiry_chunk_size_comes_from_the_setting(settings, cashback_type, make_card, staff, expired_chunks):
    cards = [make_card(cashback_type) for _ in range(3)]
    now = clock.now()
    for card in cards:
        for hours in (1, 2):
            card_adjust(
                card=card, amount=D(1), reason="x", actor=Actor.staff(staff), expires_at=now + timedelta(hours=hours)
            )
    settings.KARTKA_EXPIRY_CHUNK = 2
    assert expired_chunks(at=now + timedelta(hours=3)) == [[card.pk] for card in cards]
    for card in cards:
        card_adjust(card=card, amount=D(1), reason="y", actor=Actor.staff(staff), expires_at=now + timedelta(hours=4))
    settings.KARTKA_EXPIRY_CHUNK = 1000
    assert expired_chunks(at=now + timedelta(hours=5)) == [[card.pk for card in cards]]
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 9


def test_expiry_refuses_a_chunk_below_one_lot(db):
    with pytest.raises(ValueError, match="at least 1 lot"):
        lots_expire(at=clock.now(), chunk=-1)


# --- Tier review ---------------------------------------------------------------------------------------------


@pytest.fixture
def tiered(program, store, cashback_type, make_card):
    program.tier_window_days = 365
    program.save()
    standard = TierFactory(program=program, name="Standard", threshold=0)
    gold = TierFactory(program=program, name="Gold", threshold=D(1000))
    card = make_card(cashback_type)
    start = clock.now()
    purchase_record(card=card, store=store, receipt_id="r1", total=D(1200))
    member = Member.objects.get(pk=card.member_id)
    assert member.tier == gold
    return program, member, standard, gold, start


def test_review_never_downgrades_with_never_policy(tiered):
    program, member, _standard, gold, start = tiered
    program.downgrade_policy = DowngradePolicy.NEVER
    program.save()
    tiers_review(at=start + timedelta(days=400))
    member.refresh_from_db()
    assert member.tier == gold


def test_review_downgrades_at_period_end(tiered):
    program, member, standard, gold, start = tiered
    program.downgrade_policy = DowngradePolicy.PERIOD_END
    program.save()
    # The purchase leaves the window after 365 days, but the period since reaching Gold also ends then.
    tiers_review(at=start + timedelta(days=300))
    member.refresh_from_db()
    assert member.tier == gold
    counts = tiers_review(at=start + timedelta(days=366))
    member.refresh_from_db()
    assert member.tier == standard
    assert counts["downgraded"] == 1
    assert TierChange.objects.filter(member=member).order_by("-id").first().reason == TierChangeReason.PERIOD_END


def test_review_downgrades_after_grace_period(tiered):
    program, member, standard, gold, start = tiered
    program.downgrade_policy = DowngradePolicy.GRACE
    program.downgrade_grace_days = 30
    program.save()
    below = start + timedelta(days=366)
    assert tiers_review(at=below)["marked"] == 1
    member.refresh_from_db()
    assert (member.tier, member.tier_below_since) == (gold, below)
    tiers_review(at=below + timedelta(days=29))
    member.refresh_from_db()
    assert member.tier == gold
    tiers_review(at=below + timedelta(days=31))
    member.refresh_from_db()
    assert member.tier == standard
    assert member.tier_below_since is None


def test_grace_is_cleared_when_the_member_qualifies_again(tiered, store):
    program, member, _standard, gold, start = tiered
    program.downgrade_policy = DowngradePolicy.GRACE
    program.save()
    below = start + timedelta(days=366)
    tiers_review(at=below)
    card = member.cards.get()
    with clock.travel(below + timedelta(days=1)):
        purchase_record(card=card, store=store, receipt_id="r2", total=D(1500))
    tiers_review(at=below + timedelta(days=2))
    member.refresh_from_db()
    assert (member.tier, member.tier_below_since) == (gold, None)


def test_review_upgrades_members_when_an_owner_lowers_a_threshold(program, store, cashback_type, make_card):
    TierFactory(program=program, name="Standard", threshold=0)
    gold = TierFactory(program=program, name="Gold", threshold=D(1000))
    card = make_card(cashback_type)
    purchase_record(card=card, store=store, receipt_id="r1", total=D(800))
    gold.threshold = D(500)
    gold.save()
    assert tiers_review(at=clock.now())["upgraded"] == 1
    assert Member.objects.get(pk=card.member_id).tier == gold


def test_schedules_are_registered_by_the_project(db):
    schedules_ensure()
    schedules_ensure()
    assert set(Schedule.objects.values_list("name", flat=True)) >= set(SCHEDULES)
    expiry = Schedule.objects.get(name="kartka.expire_lots")
    assert (expiry.func, expiry.schedule_type, expiry.repeats) == ("programs.jobs.expire_lots", "I", -1)


def test_migrate_writes_every_schedule_the_apps_declared_and_the_outbox_cursors(db):
    """Apps declare schedules when ready (no database then); the post-migrate receiver writes them all, with the
    outbox consumers' cursors. The test database was migrated before this test: nothing here writes."""
    declared = schedules_registered()
    assert set(SCHEDULES) <= set(declared)
    assert {"kartka.webhooks_sweep", "kartka.webhooks_purge"} <= set(declared)  # another app's, same registry
    rows = {row.name: (row.func, row.schedule_type, row.minutes) for row in Schedule.objects.all()}
    assert {name: rows.get(name) for name in declared} == declared
    assert EventCursor.objects.filter(consumer="webhooks").exists()
