"""The purchase path's hand-built statements (``programs.services._fastsql``) write exactly what the ORM writes.

Each test runs one statement builder and its plain ORM equivalent on two fresh copies of the same rows (each in a
savepoint that is rolled back after it) and compares the affected tables as ``Model.objects.values()``. Rows the
write created are named by their table and order rather than by their ids (sequences are not rolled back on
PostgreSQL), and so are the foreign keys that point at them; every other value, timestamps included (the clock is
frozen), must be equal. On SQLite the builders take their one-statement-per-step paths, on PostgreSQL their
combined ones (CTEs, ``UPDATE … FROM (VALUES …)``), so the suite's two runs cover both.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import models, transaction
from django.utils import timezone

from programs.choices import Bucket, EntryKind, EventType, TierChangeReason, Unit
from programs.factories import TierFactory
from programs.models import Card, CardType, Event, LedgerEntry, Lot, Member, Program, Purchase, PurchaseLine, TierChange
from programs.services import _fastsql as fastsql
from programs.services.ledger import CARD_BALANCES, LOT_FROM_ENTRY
from tests.conftest import D

NOW = datetime(2026, 11, 22, 12, 30, 1, 123456, tzinfo=UTC)
LINE_COLUMNS = ("position", "sku", "category", "quantity", "amount", "refunded_quantity", "refunded_amount")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """``auto_now`` fields read ``timezone.now()`` when a row is written: the same instant in both runs."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)


@pytest.fixture
def cards(store, cashback_type, make_card):
    return [make_card(cashback_type), make_card(cashback_type, first_name="Olena", email="olena@example.com")]


def _snapshot(tables: tuple[type[models.Model], ...], before: dict) -> dict:
    new_ids = {}
    for model in tables:
        fresh = sorted(set(model.objects.values_list("pk", flat=True)) - before[model])
        new_ids[model] = {pk: f"new {model.__name__} #{index}" for index, pk in enumerate(fresh)}
    snapshot = {}
    for model in tables:
        pk = model._meta.pk.attname
        targets = {
            field.attname: field.related_model
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model in new_ids
        }
        rows = []
        for row in model.objects.order_by("pk").values():
            row[pk] = new_ids[model].get(row[pk], row[pk])
            for attname, target in targets.items():
                row[attname] = new_ids[target].get(row[attname], row[attname])
            rows.append(row)
        snapshot[model.__name__] = rows
    return snapshot


def both(fast, orm, *tables: type[models.Model]) -> tuple[dict, dict, list, list]:
    """Run ``fast`` and ``orm`` each on a fresh copy of the current rows; their snapshots of ``tables`` and what
    each returned."""
    snapshots, results = [], []
    for write in (fast, orm):
        with transaction.atomic():
            before = {model: set(model.objects.values_list("pk", flat=True)) for model in tables}
            results.append(write())
            snapshots.append(_snapshot(tables, before))
            transaction.set_rollback(True)
    return snapshots[0], snapshots[1], results[0], results[1]


def assert_same(fast, orm, *tables: type[models.Model]):
    fast_rows, orm_rows, fast_result, orm_result = both(fast, orm, *tables)
    assert fast_rows == orm_rows
    assert any(fast_rows.values()), "the comparison saw no rows"
    return fast_result, orm_result


def fresh(model: type[models.Model], pk) -> models.Model:
    return model.objects.get(pk=pk)


# --- Builders (the values of each test's rows: text, decimals, nulls, JSON, dates, aware datetimes, keys) ---------


def entries_for(card: Card, *, count: int = 3) -> list[LedgerEntry]:
    return [
        LedgerEntry(
            program_id=card.program_id,
            card_id=card.pk,
            unit=Unit.POINTS if index % 2 == 0 else Unit.STAMPS,
            kind=EntryKind.ACCRUAL,
            amount=D("12.34") + index,
            bucket=Bucket.PROMO if index == 1 else Bucket.CASHBACK,
            balance_after=D("100.01") + index,
            reason="Double points on accessories · receipt R-1" if index else "",
            expires_at=None if index == 2 else NOW + timedelta(days=365 + index),
            created_at=NOW,
        )
        for index in range(count)
    ]


def purchase_for(card: Card, store, *, receipt_id: str = "R-1") -> Purchase:
    return Purchase(
        program_id=card.program_id,
        store=store,
        card=card,
        member_id=card.member_id,
        receipt_id=receipt_id,
        fingerprint="f" * 64,
        purchased_at=NOW - timedelta(minutes=5),
        created_at=NOW,
        total=D("1500.00"),
        discount_percent=D("5.00"),
        discount_amount=D("75.00"),
        points_redeemed=D("100.00"),
        redeemed_value=D("100.00"),
        paid_amount=D("1325.00"),
        points_earned=D("51.00"),
        stamps_earned=D("0"),
        spend_counted=D("1425.00"),
    )


LINES = [
    (0, "DRS-001", "dresses", D("1.000"), D("1200.00"), D("0"), D("0")),
    (1, "", "accessories", D("2.500"), D("300.00"), D("0.500"), D("60.00")),
]


def events_for(card: Card) -> list[Event]:
    return [
        Event(
            type=EventType.CARD_BALANCES_CHANGED,
            program_id=card.program_id,
            card_id=card.pk,
            member_id=card.member_id,
            payload={"cause": "purchase", "points": "12.34", "nested": {"list": [1, None, True]}},
            created_at=NOW,
        ),
        Event(type=EventType.MEMBER_CREATED, program_id=card.program_id, member_id=card.member_id, created_at=NOW),
    ]


def card_moved(card_id: int, *, points: str) -> Card:
    card = fresh(Card, card_id)
    card.points_balance, card.stamps_balance = D(points), D("3")
    card.points_debt, card.stamps_debt = D("0.01"), D("0")
    card.updated_at = NOW
    return card


def member_counted(member_id: int) -> Member:
    member = fresh(Member, member_id)
    member.lifetime_spend, member.purchase_count, member.points_earned_total = D("1425.00"), 7, D("51.00")
    return member


# --- Inserts -------------------------------------------------------------------------------------------------


def test_insert_matches_bulk_create(cards):
    card = cards[0]

    def fast():
        entries = entries_for(card)
        fastsql.insert(entries)
        return [(entry.pk is not None, entry._state.adding) for entry in entries]

    def orm():
        entries = LedgerEntry.objects.bulk_create(entries_for(card))
        return [(entry.pk is not None, entry._state.adding) for entry in entries]

    fast_result, orm_result = assert_same(fast, orm, LedgerEntry)
    assert fast_result == orm_result == [(True, False)] * 3


def test_insert_fills_auto_now_and_prepares_every_field_type(program):
    """Members: a phone, an e-mail, a date, a nullable key and an ``auto_now`` timestamp, as the ORM saves them."""
    tier = TierFactory(program=program)

    def members():
        return [
            Member(
                program=program,
                phone="+380501234567",
                first_name="Олена",
                email="olena@example.com",
                birth_date=date(1990, 5, 17),
                tier=tier,
                tier_achieved_at=NOW,
                joined_at=NOW,
            ),
            Member(program=program, phone="+380671112233", joined_at=NOW),
        ]

    assert_same(lambda: fastsql.insert(members()), lambda: Member.objects.bulk_create(members()), Member)


def test_insert_on_conflict_skips_the_row_like_the_orm_check(cards, store):
    card = cards[0]
    purchase_for(card, store).save()

    def fast():
        return fastsql.insert([purchase_for(card, store)], on_conflict=("store_id", "receipt_id"))

    def orm():
        if Purchase.objects.filter(store=store, receipt_id="R-1").exists():
            return False
        purchase_for(card, store).save()
        return True

    assert assert_same(fast, orm, Purchase) == (False, False)
    assert assert_same(
        lambda: fastsql.insert([purchase_for(card, store, receipt_id="R-2")], on_conflict=("store_id", "receipt_id")),
        lambda: purchase_for(card, store, receipt_id="R-2").save() or True,
        Purchase,
    ) == (True, True)


def test_insert_with_derived_opens_the_lots_the_ledger_would(cards):
    card = cards[0]

    def fast():
        entries = entries_for(card)
        fastsql.insert_with_derived(entries, Lot, LOT_FROM_ENTRY)
        return [entry.pk for entry in entries] == sorted(entry.pk for entry in entries)

    def orm():
        entries = LedgerEntry.objects.bulk_create(entries_for(card))
        Lot.objects.bulk_create(
            Lot(**{lot_column: getattr(entry, entry_column) for lot_column, entry_column in LOT_FROM_ENTRY.items()})
            for entry in entries
        )
        return True

    assert assert_same(fast, orm, LedgerEntry, Lot) == (True, True)


@pytest.mark.parametrize("lines", [LINES, []], ids=["with lines", "no lines"])
def test_insert_with_children_writes_the_purchase_and_its_lines(cards, store, lines):
    card = cards[0]

    def fast():
        purchase = purchase_for(card, store)
        inserted = fastsql.insert_with_children(
            purchase,
            on_conflict=("store_id", "receipt_id"),
            children=PurchaseLine,
            parent_fk="purchase",
            names=LINE_COLUMNS,
            rows=lines,
        )
        return inserted, Purchase.objects.filter(pk=purchase.pk).exists()

    def orm():
        purchase = purchase_for(card, store)
        purchase.save()
        PurchaseLine.objects.bulk_create(
            PurchaseLine(purchase=purchase, **dict(zip(LINE_COLUMNS, row, strict=True))) for row in lines
        )
        return True, True

    assert assert_same(fast, orm, Purchase, PurchaseLine) == ((True, True), (True, True))


def test_insert_with_children_writes_nothing_on_a_conflict(cards, store):
    card = cards[0]
    purchase_for(card, store).save()

    def fast():
        return fastsql.insert_with_children(
            purchase_for(card, store),
            on_conflict=("store_id", "receipt_id"),
            children=PurchaseLine,
            parent_fk="purchase",
            names=LINE_COLUMNS,
            rows=LINES,
        )

    assert assert_same(fast, lambda: False, Purchase, PurchaseLine) == (False, False)


def test_insert_rows_matches_bulk_create_and_returns_the_keys(cards, store):
    purchase = purchase_for(cards[0], store)
    purchase.save()
    rows = [(purchase.pk, *line) for line in LINES]
    names = ("purchase", *LINE_COLUMNS)

    def orm():
        created = PurchaseLine.objects.bulk_create(
            PurchaseLine(purchase_id=row[0], **dict(zip(LINE_COLUMNS, row[1:], strict=True))) for row in rows
        )
        return sorted((line.pk, line.position) for line in created)

    def fast():
        returned = fastsql.insert_rows(PurchaseLine, names, rows, returning=("id", "position"))
        assert sorted(returned) == sorted(PurchaseLine.objects.filter(purchase=purchase).values_list("id", "position"))
        return sorted(returned)

    fast_keys, orm_keys = assert_same(fast, orm, PurchaseLine)
    assert [position for _, position in fast_keys] == [position for _, position in orm_keys] == [0, 1]

    def fast_without_returning():
        return fastsql.insert_rows(PurchaseLine, names, rows, returning=())

    assert assert_same(fast_without_returning, orm, PurchaseLine)[0] == []


# --- Updates -------------------------------------------------------------------------------------------------


def test_update_matches_save_update_fields(cards):
    card, member = cards[0], cards[0].member

    assert_same(
        lambda: fastsql.update(card_moved(card.pk, points="99.99"), CARD_BALANCES),
        lambda: card_moved(card.pk, points="99.99").save(update_fields=CARD_BALANCES),
        Card,
    )
    names = ("lifetime_spend", "purchase_count", "points_earned_total")
    assert_same(
        lambda: fastsql.update(member_counted(member.pk), names),
        lambda: member_counted(member.pk).save(update_fields=names),
        Member,
    )


def test_update_writes_nulls_and_keys(cards, program):
    member = cards[0].member
    tier = TierFactory(program=program)
    names = ("tier", "tier_achieved_at", "tier_below_since")

    def changed(*, promoted: bool) -> Member:
        row = fresh(Member, member.pk)
        row.tier, row.tier_achieved_at, row.tier_below_since = (tier, NOW, None) if promoted else (None, None, NOW)
        return row

    for promoted in (True, False):
        assert_same(
            lambda promoted=promoted: fastsql.update(changed(promoted=promoted), names),
            lambda promoted=promoted: changed(promoted=promoted).save(update_fields=names),
            Member,
        )


@pytest.mark.parametrize("count", [1, 3])
def test_update_many_matches_saving_each(cards, count):
    card = cards[0]
    lots = []
    for entry in LedgerEntry.objects.bulk_create(entries_for(card, count=count)):
        lots.append(
            Lot(**{lot_column: getattr(entry, entry_column) for lot_column, entry_column in LOT_FROM_ENTRY.items()})
        )
    Lot.objects.bulk_create(lots)
    lot_ids = [lot.pk for lot in lots]

    def spent() -> list[Lot]:
        rows = list(Lot.objects.filter(pk__in=lot_ids).order_by("pk"))
        for index, lot in enumerate(rows):
            lot.remaining = lot.amount - D("1.11") * (index + 1)
        return rows

    def orm():
        for lot in spent():
            lot.save(update_fields=("remaining",))

    assert_same(lambda: fastsql.update_many(spent(), ("remaining",)), orm, Lot)


def test_updates_match_saving_each(cards):
    card, other = cards

    def pairs():
        return [
            (card_moved(card.pk, points="10.00"), CARD_BALANCES),
            (card_moved(other.pk, points="20.50"), CARD_BALANCES),
            (member_counted(card.member_id), ("lifetime_spend", "purchase_count", "points_earned_total")),
        ]

    def orm():
        for obj, names in pairs():
            obj.save(update_fields=names)

    assert_same(lambda: fastsql.updates(pairs()), orm, Card, Member)
    assert_same(
        lambda: fastsql.updates(pairs()[:1]),
        lambda: [obj.save(update_fields=names) for obj, names in pairs()[:1]],
        Card,
    )


@pytest.mark.parametrize("shape", ["updates and inserts", "updates only", "inserts only"])
def test_updates_and_insert_matches_saves_and_bulk_create(cards, shape):
    """The ledger's save of a card: its balances, the member's counters and the outbox events (JSON payloads)."""
    card = cards[0]

    def pairs():
        if shape == "inserts only":
            return []
        return [
            (card_moved(card.pk, points="42.00"), CARD_BALANCES),
            (member_counted(card.member_id), ("lifetime_spend", "purchase_count", "points_earned_total")),
        ]

    def objs():
        return [] if shape == "updates only" else events_for(card)

    def orm():
        for obj, names in pairs():
            obj.save(update_fields=names)
        Event.objects.bulk_create(objs())

    assert_same(lambda: fastsql.updates_and_insert(pairs(), objs()), orm, Card, Member, Event)


def test_updates_and_insert_writes_other_models_too(cards, program):
    """The tiers service's shape: a member's update and a tier change in one round trip."""
    card = cards[0]
    tier = TierFactory(program=program)
    names = ("tier", "tier_achieved_at", "tier_below_since")

    def promoted() -> Member:
        member = fresh(Member, card.member_id)
        member.tier, member.tier_achieved_at, member.tier_below_since = tier, NOW, None
        return member

    def change() -> TierChange:
        return TierChange(
            program_id=card.program_id,
            member_id=card.member_id,
            from_tier=None,
            to_tier=tier,
            reason=TierChangeReason.UPGRADE,
            created_at=NOW,
        )

    def orm():
        promoted().save(update_fields=names)
        change().save()

    assert_same(lambda: fastsql.updates_and_insert([(promoted(), names)], [change()]), orm, Member, TierChange)


# --- Reads ---------------------------------------------------------------------------------------------------


def _fields(obj: models.Model) -> dict:
    deferred = obj.get_deferred_fields()
    return {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.attname not in deferred
    }


def test_select_joined_reads_what_select_related_reads(cards):
    ids = [card.pk for card in cards]
    unread = ("phone", "email", "birth_date")
    where = "t0.id IN (" + ", ".join(["%s"] * len(ids)) + ")"
    found = fastsql.select_joined(
        (Card, CardType, Program, Member),
        ("card_type", "program", "member"),
        where,
        ids,
        suffix="ORDER BY t0.id",
        defer={Member: unread},
    )
    expected = list(
        Card.objects.filter(pk__in=ids)
        .select_related("card_type", "program", "member")
        .defer(*(f"member__{name}" for name in unread))
        .order_by("pk")
    )
    assert [card.pk for card in found] == ids
    for card, orm_card in zip(found, expected, strict=True):
        assert _fields(card) == _fields(orm_card)
        assert not card._state.adding and card._state.db == orm_card._state.db
        for relation in ("card_type", "program", "member"):
            related = Card._meta.get_field(relation).get_cached_value(card)  # attached: no query to read it
            assert _fields(related) == _fields(getattr(orm_card, relation))
        assert card.member.get_deferred_fields() == set(unread)
        assert card.member.phone == orm_card.member.phone  # a deferred field still loads on access


def test_lookup_reads_what_values_list_reads(cards, store):
    """The receipt check's read: the raw key and text columns of the first matching row, or ``None``."""
    purchase = purchase_for(cards[0], store)
    purchase.save()
    names = ("id", "fingerprint", "receipt_id")
    found = fastsql.lookup(Purchase, names, store_id=store.pk, receipt_id="R-1")
    assert found == Purchase.objects.filter(store_id=store.pk, receipt_id="R-1").values_list(*names).get()
    assert found[0] == purchase.pk
    assert fastsql.lookup(Purchase, ("id",), store_id=store.pk, receipt_id="R-404") is None
