"""Row locks under real concurrency (PostgreSQL): many tills hitting one card at once."""

import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from programs import clock
from programs.choices import EntryKind
from programs.errors import InsufficientPoints, RefundExceedsPurchase
from programs.factories import CardTypeFactory, ProgramFactory, RedemptionRuleFactory, StoreFactory
from programs.models import LedgerEntry, Lot, Purchase
from programs.services.cards import card_adjust
from programs.services.expiry import lots_expire
from programs.services.members import member_create
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import SYSTEM
from tests.programs.invariants import assert_ledger_consistent

THREADS = 25


def run_concurrently(target, count):
    """Start ``count`` threads at the same moment; each gets its index. Returns (results, errors) by index."""
    barrier = threading.Barrier(count)
    results, errors = {}, {}

    def worker(index):
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as error:
            errors[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.fixture
def world(transactional_db, django_db_serialized_rollback, postgres_only):
    program = ProgramFactory(slug="busy")
    store = StoreFactory(program=program, code="till")
    # Purchases here earn nothing, so only the redemptions move the balance.
    card_type = CardTypeFactory(program=program, cashback_percent=Decimal(5), earn_min_purchase=Decimal(10**6))
    RedemptionRuleFactory(card_type=card_type, max_share_percent=Decimal(100))
    card = member_create(program=program, phone="+380501112233").cards.get()
    card_adjust(card=card, amount=Decimal(100), reason="start", actor=SYSTEM)
    return store, card


def test_concurrent_redemptions_never_overdraw(world):
    store, card = world

    def redeem(index):
        return purchase_record(
            card=card, store=store, receipt_id=f"r{index}", total=Decimal(50), redeem_points=Decimal(10)
        )

    results, errors = run_concurrently(redeem, THREADS)
    assert len(results) == 10
    assert len(errors) == THREADS - 10
    assert all(isinstance(error, InsufficientPoints) for error in errors.values()), errors
    card.refresh_from_db()
    assert card.points_balance == 0
    assert Purchase.objects.count() == 10
    assert_ledger_consistent(card)


def test_the_same_receipt_from_many_tills_is_recorded_once(world):
    store, card = world
    results, errors = run_concurrently(
        lambda index: purchase_record(
            card=card, store=store, receipt_id="same", total=Decimal(50), redeem_points=Decimal(10)
        ),
        THREADS,
    )
    assert not errors
    assert sum(not result.replayed for result in results.values()) == 1
    assert len({result.purchase.pk for result in results.values()}) == 1
    card.refresh_from_db()
    assert card.points_balance == Decimal(90)
    assert_ledger_consistent(card)


def test_concurrent_refunds_of_one_purchase_never_refund_twice(world):
    store, card = world
    purchase = purchase_record(
        card=card, store=store, receipt_id="big", total=Decimal(100), redeem_points=Decimal(40)
    ).purchase
    results, errors = run_concurrently(
        lambda index: purchase_refund(purchase=purchase, refund_id=f"ref{index}", amount=Decimal(30)), THREADS
    )
    # 100 can be refunded in three parts of 30; the rest must be refused.
    assert len(results) == 3
    assert all(isinstance(error, RefundExceedsPurchase) for error in errors.values()), errors
    purchase.refresh_from_db()
    assert purchase.refunded_amount == Decimal(90)
    assert purchase.points_returned == Decimal(36)
    assert LedgerEntry.objects.filter(purchase=purchase, kind="return").count() == 3
    card.refresh_from_db()
    assert card.points_balance == Decimal(96)
    assert_ledger_consistent(card)


def test_expiry_waits_for_a_till_holding_the_card_and_expires_each_lot_once(world):
    store, card = world
    now = clock.now()
    card_adjust(card=card, amount=Decimal(10), reason="due", actor=SYSTEM, expires_at=now + timedelta(days=1))
    lot = Lot.objects.get(card=card, amount=Decimal(10))
    Lot.objects.filter(pk=lot.pk).update(expires_at=now - timedelta(hours=1))
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def till():
        # A redemption expires the due lot itself (expire-on-touch) and keeps the card locked a while.
        try:
            with transaction.atomic():
                purchase_record(card=card, store=store, receipt_id="r", total=Decimal(50), redeem_points=Decimal(5))
                holding.set()
                release.wait(30)
        finally:
            connections.close_all()

    def job():
        try:
            outcome["cards"] = lots_expire(at=now)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=till), threading.Thread(target=job)]
    threads[0].start()
    assert holding.wait(30)
    threads[1].start()
    # The job picked the lot while the till's change was uncommitted; it must now wait for the card's lock.
    with connection.cursor() as cursor:
        for _ in range(300):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the expiry job never waited for the card's lock")
    release.set()
    for thread in threads:
        thread.join(60)
    assert outcome == {"cards": 1}
    # Read after the lock: the job saw the lot closed and wrote nothing more for it.
    assert list(LedgerEntry.objects.filter(lot=lot, kind=EntryKind.EXPIRY).values_list("amount", flat=True)) == [
        Decimal(-10)
    ]
    card.refresh_from_db()
    assert card.points_balance == Decimal(95)
    assert_ledger_consistent(card)
