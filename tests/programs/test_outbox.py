"""The event outbox (``programs.outbox``): every change writes its events in its own transaction, and every
registered consumer gets each committed event at least once, in commit order, whatever another consumer or the
process does in between."""

import os
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.db import connection, transaction

from programs import clock, outbox
from programs.choices import Bucket, EntryKind, EventType, RuleKind
from programs.factories import EarningRuleFactory, TierFactory
from programs.models import Card, Event, EventCursor, LedgerEntry, Purchase
from programs.services.bonuses import birthday_bonuses_grant
from programs.services.cards import card_adjust, card_block, card_replace, card_unblock
from programs.services.expiry import lots_expire
from programs.services.members import member_create, member_update
from programs.services.purchases import purchase_record, purchase_refund
from tenancy.actors import Actor
from tests.conftest import D
from tests.programs.invariants import assert_outbox_tells_balances
from tests.webhooks.conftest import FakeReceiver, outbox_caught_up
from webhooks.client import transport_override
from webhooks.factories import WebhookEndpointFactory

ROOT = Path(__file__).resolve().parents[2]
KYIV = ZoneInfo("Europe/Kyiv")


def written_since(mark: int) -> Counter:
    """What the events after ``mark`` say: (type, cause) pairs (cause only for balance changes), counted."""
    return Counter(
        (event.type, event.payload.get("cause")) for event in Event.objects.filter(pk__gt=mark).order_by("pk")
    )


def last_event_id() -> int:
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def funded(make_card, cashback_type, staff):
    card = make_card(cashback_type)
    card_adjust(card=card, amount=D(300), reason="goodwill", actor=Actor.staff(staff))
    card.refresh_from_db()
    return card


def last_position() -> tuple[int, int]:
    return outbox.events_end()


def at(position: tuple[int, int]) -> dict:
    """The fields of a cursor standing at ``position``."""
    return {"tx": position[0], "event_id": position[1]}


def at_end() -> dict:
    return at(last_position())


BALANCES = EventType.CARD_BALANCES_CHANGED


# --- Writing: which change writes what --------------------------------------------------------------------------


def test_a_purchase_writes_its_record_and_the_balance_change(funded, store):
    mark = last_event_id()
    result = purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200), redeem_points=D(20))

    assert written_since(mark) == Counter({(EventType.PURCHASE_RECORDED, None): 1, (BALANCES, "purchase"): 1})
    balances = Event.objects.get(pk__gt=mark, type=BALANCES)
    assert balances.payload["purchase_id"] == result.purchase.pk
    assert (balances.program_id, balances.card_id, balances.member_id) == (
        funded.program_id,
        funded.pk,
        funded.member_id,
    )
    assert_outbox_tells_balances(Card.objects.get(pk=funded.pk))


def test_a_refund_writes_the_refund_and_the_balance_change(funded, store):
    purchase = purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200)).purchase
    mark = last_event_id()

    refund = purchase_refund(purchase=purchase, refund_id="RF-1", amount=D(200))

    assert written_since(mark) == Counter({(EventType.PURCHASE_REFUNDED, None): 1, (BALANCES, "refund"): 1})
    assert Event.objects.get(pk__gt=mark, type=BALANCES).payload["refund_id"] == refund.pk
    assert_outbox_tells_balances(Card.objects.get(pk=funded.pk))


def test_a_refund_that_only_leaves_a_debt_still_announces_it(funded, store, staff):
    """The points the purchase earned were spent already: the refund writes no entry, only a debt, and the
    balances event says so (found by the property test)."""
    purchase = purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200)).purchase
    card_adjust(card=funded, amount=D(-310), reason="spent elsewhere", actor=Actor.staff(staff))
    mark = last_event_id()

    purchase_refund(purchase=purchase, refund_id="RF-1")

    assert written_since(mark) == Counter({(EventType.PURCHASE_REFUNDED, None): 1, (BALANCES, "refund"): 1})
    assert Event.objects.get(pk__gt=mark, type=BALANCES).payload["debts"] == {"points": "10.00", "stamps": "0.00"}
    assert_outbox_tells_balances(Card.objects.get(pk=funded.pk))


def test_a_replacement_that_moves_only_a_debt_announces_it_on_both_cards(funded, store, staff):
    """The old card holds nothing but a debt: the debt moves to the new card and both cards' balances events
    say so (found by the property test: purchase, points expire, full refund, replace)."""
    purchase = purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200)).purchase
    card_adjust(card=funded, amount=D(-310), reason="spent elsewhere", actor=Actor.staff(staff))
    purchase_refund(purchase=purchase, refund_id="RF-1")
    mark = last_event_id()

    new = card_replace(card=funded, reason="lost", actor=Actor.staff(staff))

    told = {event.card_id: event.payload["debts"] for event in Event.objects.filter(pk__gt=mark, type=BALANCES)}
    assert told == {funded.pk: {"points": "0.00", "stamps": "0.00"}, new.pk: {"points": "10.00", "stamps": "0.00"}}
    for card in Card.objects.filter(pk__in=[funded.pk, new.pk]):
        assert_outbox_tells_balances(card)


def test_staff_actions_on_a_card(funded, staff):
    mark = last_event_id()
    card_adjust(card=funded, amount=D(-50), reason="correction", actor=Actor.staff(staff))
    card_block(card=funded, reason="lost", actor=Actor.staff(staff))
    card_unblock(card=funded, reason="found", actor=Actor.staff(staff))
    new = card_replace(card=funded, reason="damaged", actor=Actor.staff(staff))

    assert written_since(mark) == Counter(
        {
            (BALANCES, "adjustment"): 1,
            (EventType.CARD_BLOCKED, None): 1,
            (EventType.CARD_UNBLOCKED, None): 1,
            (EventType.CARD_REPLACED, None): 1,
            (EventType.CARD_ISSUED, None): 1,
            (BALANCES, "replacement"): 2,  # the old card emptied, the new one filled
        }
    )
    replaced = Event.objects.get(pk__gt=mark, type=EventType.CARD_REPLACED)
    assert replaced.payload["new_card"] == {"id": new.pk, "number": new.number}
    for card in (funded, new):
        assert_outbox_tells_balances(Card.objects.get(pk=card.pk))


def test_joining_and_profile_bonuses(program, cashback_type):
    EarningRuleFactory(
        program=program, kind=RuleKind.REGISTRATION, bonus_points=D(100), bucket=Bucket.PROMO, expiry_days=30
    )
    EarningRuleFactory(program=program, kind=RuleKind.PROFILE_COMPLETED, bonus_points=D(50))
    mark = last_event_id()

    member = member_create(program=program, phone="+380501234567", first_name="Ivan", card_types=[cashback_type])

    assert written_since(mark) == Counter(
        {(EventType.MEMBER_CREATED, None): 1, (EventType.CARD_ISSUED, None): 1, (BALANCES, "joining_bonus"): 1}
    )
    mark = last_event_id()
    member_update(member=member, last_name="Petrenko", email="ivan@example.com", birth_date=date(1990, 5, 1))
    member_update(member=member, gender="m")

    assert written_since(mark) == Counter({(EventType.MEMBER_UPDATED, None): 2, (BALANCES, "profile_bonus"): 1})
    updates = Event.objects.filter(pk__gt=mark, type=EventType.MEMBER_UPDATED).order_by("pk")
    assert [event.payload["fields"] for event in updates] == [["birth_date", "email", "last_name"], ["gender"]]
    assert_outbox_tells_balances(member.cards.get())


def test_a_birthday_bonus(program, cashback_type):
    EarningRuleFactory(
        program=program, kind=RuleKind.BIRTHDAY, bonus_points=D(200), bucket=Bucket.PROMO, expiry_days=14
    )
    member = member_create(program=program, phone="+380501234567", birth_date=date(1990, 3, 10))
    mark = last_event_id()

    assert birthday_bonuses_grant(at=datetime(2027, 3, 10, 12, tzinfo=KYIV)) == 1

    assert written_since(mark) == Counter({(BALANCES, "birthday_bonus"): 1})
    assert_outbox_tells_balances(member.cards.get())


def test_a_tier_change_rides_with_its_purchase(program, funded, store):
    TierFactory(program=program, name="Gold", threshold=D(1000))
    mark = last_event_id()

    purchase_record(card=funded, store=store, receipt_id="R-1", total=D(1500))

    assert written_since(mark)[(EventType.TIER_CHANGED, None)] == 1


def test_expiry_writes_one_event_per_card_not_per_lot(cashback_type, make_card, staff):
    now = clock.now()
    cards = [make_card(cashback_type) for _ in range(3)]
    for card in cards[:2]:
        for amount in (D(10), D(20), D(30)):
            card_adjust(
                card=card, amount=amount, reason="promo", actor=Actor.staff(staff), expires_at=now + timedelta(days=1)
            )
        card_adjust(card=card, amount=D(5), reason="kept", actor=Actor.staff(staff))
    card_adjust(card=cards[2], amount=D(7), reason="kept", actor=Actor.staff(staff))
    mark = last_event_id()

    assert lots_expire(at=now + timedelta(days=2)) == 2  # cards
    assert LedgerEntry.objects.filter(kind=EntryKind.EXPIRY).count() == 6  # lots

    assert written_since(mark) == Counter({(BALANCES, "expiry"): 2})
    for event in Event.objects.filter(pk__gt=mark):
        assert event.payload["expired"] == {"points": "60.00", "stamps": "0.00"}
        assert event.payload["card"]["balances"] == {"points": "5.00", "stamps": "0.00"}
    for card in cards:
        assert_outbox_tells_balances(Card.objects.get(pk=card.pk))


def test_a_change_that_rolls_back_leaves_no_event(funded, store):
    mark = last_event_id()

    with pytest.raises(RuntimeError), transaction.atomic():
        purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200))
        assert written_since(mark)  # written, but only inside the transaction
        raise RuntimeError("the till lost power")

    assert written_since(mark) == Counter()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_are_only_recorded_inside_a_transaction(program):
    event = outbox.event_new(type=EventType.MEMBER_UPDATED, program_id=program.pk, payload={}, at=clock.now())

    with pytest.raises(transaction.TransactionManagementError):
        outbox.events_record([event])
    assert not Event.objects.exists()


# --- Reading: consumers, cursors, order --------------------------------------------------------------------------


class Recorder:
    """A test consumer: records the ids it is handed; fails while ``failing`` is set."""

    def __init__(self, name):
        self.name = name
        self.seen: list[int] = []
        self.failing = False

    def __call__(self, events):
        if self.failing:
            raise ConnectionError("the far side is down")
        self.seen.extend(event.pk for event in events)


@pytest.fixture
def recorders():
    made = []

    def make(name, **options):
        recorder = Recorder(name)
        made.append((name, outbox.consumer_register(name, recorder, **options)))
        return recorder, made[-1][1]

    yield make
    for name, _consumer in made:
        outbox.consumer_unregister(name)


def test_a_failing_consumer_keeps_its_place_and_holds_back_no_one(funded, store, recorders):
    steady, steady_consumer = recorders("test-steady")
    flaky, flaky_consumer = recorders("test-flaky")
    for name in ("test-steady", "test-flaky"):
        EventCursor.objects.create(consumer=name, **at_end())
    mark = last_event_id()
    purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200))
    written = list(Event.objects.filter(pk__gt=mark).order_by("tx", "pk"))
    flaky.failing = True

    assert outbox.consumer_dispatch(flaky_consumer) is None
    assert outbox.consumer_dispatch(steady_consumer) == len(written) == 2

    assert steady.seen == [event.pk for event in written]
    cursor = EventCursor.objects.get(consumer="test-flaky")
    assert (cursor.failures, cursor.last_error) == (1, "ConnectionError: the far side is down")
    assert cursor.retry_at > clock.now()
    assert outbox.consumer_dispatch(flaky_consumer) is None  # not before its pause is over

    flaky.failing = False
    with clock.travel(cursor.retry_at + timedelta(seconds=1)):
        assert outbox.consumer_dispatch(flaky_consumer) == 2
    assert flaky.seen == steady.seen  # the same events, once each for it
    cursor.refresh_from_db()
    assert (cursor.failures, cursor.retry_at, cursor.last_error) == (0, None, "")
    assert outbox.consumer_dispatch(flaky_consumer) == 0


def test_pauses_grow_with_failures_in_a_row(funded, recorders):
    flaky, consumer = recorders("test-flaky")
    EventCursor.objects.create(consumer="test-flaky")
    flaky.failing = True
    pauses = []
    for _ in range(5):
        cursor = EventCursor.objects.get(consumer="test-flaky")
        at = max(clock.now(), cursor.retry_at or clock.now()) + timedelta(seconds=1)
        with clock.travel(at):
            assert outbox.consumer_dispatch(consumer) is None
        cursor.refresh_from_db()
        pauses.append(cursor.retry_at - at)
    assert pauses == [*outbox.RETRY_PAUSES, outbox.RETRY_PAUSES[-1]]


def test_a_consumer_gets_only_its_types_but_its_cursor_passes_the_rest(funded, store, recorders):
    picky, consumer = recorders("test-picky", types=[EventType.PURCHASE_RECORDED])
    EventCursor.objects.create(consumer="test-picky", **at_end())
    purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200))

    assert outbox.consumer_dispatch(consumer) == 2
    assert picky.seen == [Event.objects.get(type=EventType.PURCHASE_RECORDED).pk]


def test_a_consumer_that_names_its_reads_gets_rows_of_those_columns(funded, store):
    from django.db.models import BigIntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    got = []
    consumer = outbox.consumer_register(
        "test-reads",
        got.extend,
        types=[EventType.PURCHASE_RECORDED],
        reads={
            "card_id": "card_id",
            "moment": "created_at",
            "purchase_id": Cast(KT("payload__purchase__id"), BigIntegerField()),
        },
    )
    try:
        EventCursor.objects.create(consumer="test-reads", **at_end())
        purchase = purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200)).purchase

        assert outbox.consumer_dispatch(consumer) == 2  # the balance change passed over, as for any consumer
    finally:
        outbox.consumer_unregister("test-reads")
    event = Event.objects.get(type=EventType.PURCHASE_RECORDED)
    [row] = got
    assert row._fields == ("tx", "pk", "type", "card_id", "moment", "purchase_id")
    assert (row.tx, row.pk, row.type, row.card_id, row.moment, row.purchase_id) == (
        event.tx,
        event.pk,
        EventType.PURCHASE_RECORDED,
        funded.pk,
        event.created_at,
        purchase.pk,
    )
    cursor = EventCursor.objects.get(consumer="test-reads")
    assert (cursor.tx, cursor.event_id) == Event.objects.order_by("-tx", "-pk").values_list("tx", "pk").first()


def test_events_are_handed_in_order_in_batches(funded, store, recorders):
    recorder, consumer = recorders("test-batches", batch=4)  # the consumer's own batch size
    EventCursor.objects.create(consumer="test-batches", **at_end())
    for number in range(3):
        purchase_record(card=funded, store=store, receipt_id=f"R-{number}", total=D(100))

    moved = [outbox.consumer_dispatch(consumer) for _ in range(3)]

    assert moved == [4, 2, 0]
    assert recorder.seen == list(Event.objects.order_by("tx", "pk").values_list("pk", flat=True))[-6:]


def test_a_new_consumer_starts_at_the_end_of_the_outbox(funded, recorders):
    recorder, consumer = recorders("test-newcomer")

    assert outbox.cursors_ensure() == 1
    assert outbox.consumer_dispatch(consumer) == 0
    assert recorder.seen == []


def test_old_events_every_consumer_passed_are_purged(funded, store, recorders):
    _lagging, consumer = recorders("test-lagging")
    before_purchase = last_position()
    purchase_record(card=funded, store=store, receipt_id="R-1", total=D(100))
    outbox_caught_up()  # every other consumer is through
    EventCursor.objects.create(consumer="test-lagging", **at(before_purchase))
    later = clock.now() + timedelta(days=31)

    with clock.travel(later):
        assert outbox.events_purge_old() > 0
    assert Event.objects.count() == 2  # the purchase's two events: the laggard has not read them yet

    assert outbox.consumer_dispatch(consumer) == 2
    with clock.travel(later):
        assert outbox.events_purge_old() == 2
    assert not Event.objects.exists()
    with clock.travel(clock.now() + timedelta(days=29)):
        assert outbox.events_purge_old() == 0


# --- Crashes between the commit and the dispatch ----------------------------------------------------------------


def test_an_event_whose_wake_was_lost_is_delivered_by_the_sweep(
    program, funded, store, django_capture_on_commit_callbacks
):
    """Simulated: the purchase commits but its on-commit hooks never run (the process died in between)."""
    endpoint = WebhookEndpointFactory(
        program=program, url="https://crm.example.com/hooks", events=["purchase.recorded"]
    )
    outbox_caught_up()
    receiver = FakeReceiver()
    with transport_override(httpx.MockTransport(receiver)):
        with django_capture_on_commit_callbacks(execute=False) as lost:
            purchase_record(card=funded, store=store, receipt_id="R-1", total=D(200))
        assert lost  # the wake was registered, and is dropped here
        assert receiver.requests == []

        with django_capture_on_commit_callbacks(execute=True):
            outbox.events_dispatch()

    assert [body["type"] for body in receiver.bodies] == ["purchase.recorded"]
    assert str(receiver.requests[0].url) == endpoint.url


CRASHING_PURCHASE = textwrap.dedent(
    """
    import os, sys
    from decimal import Decimal
    import django
    django.setup()
    from django.db import transaction
    from programs.models import Card, Store
    from programs.services.purchases import purchase_record

    card = Card.objects.get(pk=int(sys.argv[1]))
    store = Store.objects.get(pk=int(sys.argv[2]))
    with transaction.atomic():
        # The first on-commit hook: the process dies right after the commit, before the outbox's wake runs.
        transaction.on_commit(lambda: os._exit(17))
        purchase_record(card=card, store=store, receipt_id="R-CRASH", total=Decimal("200"))
    print("never reached")
    """
)


def handed_eventually(dispatch, expected: int, *, seconds: float = 300) -> int:
    """Run ``dispatch`` (returning how many events it handed on) until ``expected`` in all. PostgreSQL's snapshot
    xmin is the server's: a transaction open in another database (another test worker's test) holds the
    dispatcher back until it ends. Delayed, never skipped or reordered, which is what these tests show."""
    deadline, total = time.monotonic() + seconds, 0
    while total < expected and time.monotonic() < deadline:
        total += dispatch()
        if total < expected:
            time.sleep(0.2)
    return total


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_a_process_killed_after_the_commit_loses_no_event(postgres_only, program, cashback_type, store, make_card):
    """Real: another process commits a purchase and dies in its first on-commit hook; the minute sweep (here:
    the dispatcher run by hand, as a restarted worker would) delivers the webhook."""
    card = make_card(cashback_type)
    WebhookEndpointFactory(program=program, url="https://crm.example.com/hooks", events=["purchase.recorded"])
    outbox.events_dispatch()  # what the fixtures wrote is handed on before the crash
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}",
    }

    crashed = subprocess.run(
        [sys.executable, "-c", CRASHING_PURCHASE, str(card.pk), str(store.pk)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert crashed.returncode == 17, crashed.stderr
    assert "never reached" not in crashed.stdout
    assert Purchase.objects.filter(receipt_id="R-CRASH").exists()  # committed
    receiver = FakeReceiver()
    with transport_override(httpx.MockTransport(receiver)):

        def sweep() -> int:
            outbox.events_dispatch()
            return 1 if receiver.requests else 0

        handed_eventually(sweep, 1)
    [body] = receiver.bodies
    assert (body["type"], body["data"]["purchase"]["receipt_id"]) == ("purchase.recorded", "R-CRASH")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_postgres_hands_on_nothing_past_a_transaction_still_open(postgres_only, program, recorders):
    """A transaction that began writing first but commits last must not be skipped: while it is open, events of
    later transactions wait (they are past the snapshot's xmin), then all come in order."""
    recorder, consumer = recorders("test-xmin")
    EventCursor.objects.create(consumer="test-xmin", **at_end())
    writer, release = _slow_writer_started(program)
    with transaction.atomic():
        outbox.events_record([_event(program, "fast")])

    try:
        assert outbox.consumer_dispatch(consumer) == 0  # "fast" committed, but "slow" may still come before it
    finally:
        release.set()
        writer.join(30)

    assert handed_eventually(lambda: outbox.consumer_dispatch(consumer) or 0, 2) == 2
    assert [Event.objects.get(pk=pk).payload["name"] for pk in recorder.seen] == ["slow", "fast"]


def _slow_writer_started(program) -> tuple[threading.Thread, threading.Event]:
    """A thread whose transaction has written the event "slow" and stays open until ``release`` is set."""
    wrote, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                outbox.events_record([_event(program, "slow")])
                wrote.set()
                release.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert wrote.wait(30)
    return writer, release


def _event(program, name: str) -> Event:
    return outbox.event_new(
        type=EventType.MEMBER_UPDATED, program_id=program.pk, payload={"name": name}, at=clock.now()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_a_woken_dispatcher_waits_for_events_an_older_transaction_holds_back(postgres_only, program, recorders):
    """Events that committed while an older transaction is still open cannot be read yet (they are past the
    snapshot's xmin). The run woken for them looks again until they can be read, rather than ending and leaving
    them to the minute sweep."""
    recorder, _consumer = recorders("test-settle")
    EventCursor.objects.create(consumer="test-settle", **at_end())
    writer, release = _slow_writer_started(program)
    with transaction.atomic():
        outbox.events_record([_event(program, "fast")])
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    try:
        moved = outbox.events_dispatch(budget_seconds=120, settle_seconds=120)
    finally:
        release.set()
        writer.join(30)

    assert moved.get("test-settle") == 2
    assert time.monotonic() - started >= 0.5
    assert [Event.objects.get(pk=pk).payload["name"] for pk in recorder.seen] == ["slow", "fast"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres
def test_a_woken_dispatcher_waits_for_a_cursor_another_run_holds(postgres_only, program, recorders):
    """Another run holding the cursor may have read before this run's event committed and be about to stop: the
    woken run waits for the cursor and reads after it, instead of skipping (which left the event to the sweep)."""
    recorder, consumer = recorders("test-cursor-wait")
    EventCursor.objects.create(consumer="test-cursor-wait", **at_end())
    locked, release = threading.Event(), threading.Event()

    def other_run():
        try:
            with transaction.atomic():
                EventCursor.objects.select_for_update().get(consumer="test-cursor-wait")
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=other_run)
    holder.start()
    assert locked.wait(30)
    with transaction.atomic():
        outbox.events_record([_event(program, "mine")])
    assert outbox.consumer_dispatch(consumer) is None  # without waiting: skipped, as the sweep does
    threading.Timer(0.5, release.set).start()
    try:
        moved = outbox.events_dispatch(budget_seconds=120, settle_seconds=120)
    finally:
        release.set()
        holder.join(30)

    assert moved.get("test-cursor-wait") == 1
    assert [Event.objects.get(pk=pk).payload["name"] for pk in recorder.seen] == ["mine"]
