"""Moving points and stamps: the only code that writes ledger entries, lots and cached balances.

Every function here expects to run inside ``transaction.atomic`` with the card locked by ``cards_lock``;
it changes the card's balances in memory and the caller saves the card once at the end
(``card_save_balances``). The rules it enforces:

* every movement is an append-only ``LedgerEntry`` with the balance after it;
* credits open a ``Lot``; debits consume open lots soonest-expiring first (lots already past their expiry are
  expired first, so nothing expired is ever spent);
* a card's balance never goes below zero: a debit that may not fail (a refund taking back points that were
  already spent) records the shortfall as debt, which the next credits settle. Debt is in the ledger too: a
  ``debt`` entry (amount 0, ``debt_change`` +owed, linked to the refund) and ``debt_settlement`` entries that
  name the refunds they settle; the card's ``*_debt`` column is the sum of its entries' ``debt_change``.
"""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import F, Model, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from programs import outbox, payloads
from programs.choices import Bucket, EntryKind, EventType, Unit
from programs.credits import Credit
from programs.errors import InsufficientPoints, InsufficientStamps
from programs.models import Card, CardType, Event, LedgerEntry, Lot, LotAllocation, Member, Program
from programs.services import _fastsql as fastsql

ZERO = Decimal("0")


def cards_lock(*, card_ids, with_member: bool = False) -> dict[int, Card]:
    """Lock cards (and optionally their members) ``FOR UPDATE`` in primary-key order and return them fresh,
    with their card type and program attached (and member).

    The single way to lock before moving points: a fixed order means two transactions touching the same cards
    never deadlock. Must be called inside ``transaction.atomic``. (SQLite has no row locks; Kartka runs its
    transactions there in IMMEDIATE mode, which serialises writers.)
    """
    ids = sorted(set(card_ids))
    if not ids:
        return {}
    models, relations = (Card, CardType, Program), ("card_type", "program")
    if with_member:
        models, relations = (*models, Member), (*relations, "member")
    suffix = "ORDER BY t0.id"
    if connection.features.has_select_for_update_of:
        suffix += " FOR UPDATE OF t0, t3" if with_member else " FOR UPDATE OF t0"
    where = "t0.id IN (" + ", ".join(["%s"] * len(ids)) + ")"
    cards = fastsql.select_joined(models, relations, where, ids, suffix=suffix, defer={Member: _MEMBER_UNREAD})
    return {card.pk: card for card in cards}


# Personal data that moving points never reads: left out of the lock (parsing a phone number alone costs a
# tenth of a purchase), loaded on first access by whoever needs it.
_MEMBER_UNREAD = (
    "phone",
    "email",
    "birth_date",
    "gender",
    "consent_email",
    "consent_sms",
    "consent_push",
    "consent_telegram",
    "profile_completed_at",
    "birthday_bonus_year",
)


CARD_BALANCES = ("points_balance", "stamps_balance", "points_debt", "stamps_debt", "updated_at")


def card_save_balances(
    *,
    card: Card,
    now: datetime,
    cause: str,
    also: list[tuple[Model, tuple[str, ...]]] = (),
    events: list[Event] = (),
    purchase_id: int | None = None,
    refund_id: int | None = None,
) -> None:
    """Persist the balances changed in memory by the functions below, and in the same round trip the named
    fields of the other rows in ``also`` (``(instance, field names)`` pairs, e.g. the member's counters) and the
    outbox ``events`` of the caller's change.

    If entries were posted to the card since it was locked (or last saved), a ``card.balances_changed`` event
    with ``cause`` (a ``BalanceCause``) joins them: every write of the ledger is announced, once per card and
    save. The events are written in the caller's transaction and wake the dispatcher after its commit.
    """
    card.updated_at = now
    events = list(events)
    if card.__dict__.pop("_ledger_moved", False):
        payload = payloads.card_balances_changed(card, cause=cause, purchase_id=purchase_id, refund_id=refund_id)
        events.append(
            outbox.event_new(
                type=EventType.CARD_BALANCES_CHANGED,
                program_id=card.program_id,
                card_id=card.pk,
                member_id=card.member_id,
                payload=payload,
                at=now,
                program=_cached_program(card),
            )
        )
    fastsql.updates_and_insert([(card, CARD_BALANCES), *also], events)
    if events:
        outbox.events_committed(events)


def _cached_program(card: Card):
    return Card._meta.get_field("program").get_cached_value(card, default=None)


def _set_balance(card: Card, unit: str, value: Decimal) -> None:
    if unit == Unit.POINTS:
        card.points_balance = value
    else:
        card.stamps_balance = value


def _set_debt(card: Card, unit: str, value: Decimal) -> None:
    card._ledger_moved = True
    if unit == Unit.POINTS:
        card.points_debt = value
    else:
        card.stamps_debt = value


def _debt_post(*, card: Card, unit: str, kind: str, change: Decimal, now: datetime, **links) -> LedgerEntry:
    """Write an entry that moves only the card's debt (amount 0, ``debt_change`` ``change``) and the debt column."""
    entry = _entry(card=card, unit=unit, kind=kind, amount=ZERO, bucket=Bucket.CASHBACK, now=now, **links)
    entry.debt_change = change
    fastsql.insert([entry])
    _set_debt(card, unit, card.debt(unit) + change)
    return entry


def reward_use_post(*, card: Card, reward, now: datetime, **links) -> LedgerEntry:
    """Record that a stamp reward was given (a ``reward_use`` entry: what, when, at which purchase). It moves
    nothing: the reward's stamps left the balance when it was issued (``reward_issue``)."""
    reason = card.card_type.reward_description or _("Stamp card reward")
    entry = _entry(
        card=card,
        unit=Unit.STAMPS,
        kind=EntryKind.REWARD_USE,
        amount=ZERO,
        bucket=Bucket.CASHBACK,
        now=now,
        reward=reward,
        reason=reason[:300],
        **links,
    )
    fastsql.insert([entry])
    return entry


def debts_transfer(*, source: Card, target: Card, now: datetime, **links) -> None:
    """Move ``source``'s debts to ``target`` (a card replacement): a ``transfer_out`` entry on the old card and a
    ``transfer_in`` entry on the new one carry the debt; both cards' next ``card_save_balances`` writes the
    columns and announces the move."""
    for unit in (Unit.POINTS, Unit.STAMPS):
        debt = source.debt(unit)
        if debt:
            moved = {**links, "reason": _("Refund debt moved from card %(number)s") % {"number": source.number}}
            _debt_post(card=target, unit=unit, kind=EntryKind.TRANSFER_IN, change=debt, now=now, **moved)
            moved["reason"] = _("Refund debt moved to card %(number)s") % {"number": target.number}
            _debt_post(card=source, unit=unit, kind=EntryKind.TRANSFER_OUT, change=-debt, now=now, **moved)


def _debts_outstanding(*, card: Card, unit: str) -> list[tuple[LedgerEntry, Decimal]]:
    """The entries that made the card's current debt and what each still owes, oldest first. Debts settle in
    the order they arose, so the outstanding ones are the newest that add up to the debt."""
    debt = card.debt(unit)
    outstanding = []
    entries = (
        LedgerEntry.objects.filter(card_id=card.pk, unit=unit, debt_change__gt=0)
        .select_related("refund", "refund__purchase")
        .order_by("-id")
    )
    for entry in entries.iterator(chunk_size=20):
        if debt <= 0:
            break
        part = min(debt, entry.debt_change)
        outstanding.append((entry, part))
        debt -= part
    outstanding.reverse()
    return outstanding


def _debt_source(entry: LedgerEntry) -> str:
    if entry.refund_id:
        return _("refund %(refund)s of receipt %(receipt)s") % {
            "refund": entry.refund.refund_id,
            "receipt": entry.refund.purchase.receipt_id,
        }
    return entry.reason


def _debt_settle(*, card: Card, unit: str, now: datetime, **links) -> None:
    """Settle the card's debt from its balance (after a credit), naming the refunds whose debt it settles."""
    debt = card.debt(unit)
    settle = min(debt, card.balance(unit))
    if settle <= 0:
        return
    settled, left = [], settle
    for entry, owed in _debts_outstanding(card=card, unit=unit):
        if left <= 0:
            break
        settled.append(entry)
        left -= owed
    sources = [source for source in dict.fromkeys(_debt_source(entry) for entry in settled) if source]
    links = {**links, "reason": (_("Settles %(what)s") % {"what": "; ".join(sources)})[:300] if sources else ""}
    first_refund = next((entry.refund for entry in settled if entry.refund_id), None)
    if first_refund is not None and links.get("refund") is None:
        links["refund"] = first_refund
    _debit(card=card, unit=unit, kind=EntryKind.DEBT_SETTLEMENT, amount=settle, now=now, settles_debt=True, **links)
    _set_debt(card, unit, debt - settle)


# Links of an entry that are foreign keys: they are given as rows (or None) and stored by id, which spares
# Django's related-object descriptors on every entry of the hot path.
_ENTRY_FOREIGN_KEYS = frozenset({"purchase", "refund", "reward", "store", "actor", "lot", "rule"})


def _entry(*, card: Card, unit: str, kind: str, amount: Decimal, bucket: str, now: datetime, **fields) -> LedgerEntry:
    balance = card.balance(unit) + amount
    _set_balance(card, unit, balance)
    # Read (and reset) by card_save_balances: this save announces a ledger change.
    card._ledger_moved = True
    values = {
        (f"{name}_id" if name in _ENTRY_FOREIGN_KEYS else name): (value.pk if isinstance(value, Model) else value)
        for name, value in fields.items()
    }
    return LedgerEntry(
        program_id=card.program_id,
        card_id=card.pk,
        unit=unit,
        kind=kind,
        amount=amount,
        bucket=bucket,
        balance_after=balance,
        created_at=now,
        **values,
    )


# A credit's lot repeats its entry (``remaining`` starts at the amount): lot column -> entry column.
LOT_FROM_ENTRY = {
    "program_id": "program_id",
    "card_id": "card_id",
    "unit": "unit",
    "bucket": "bucket",
    "amount": "amount",
    "remaining": "amount",
    "expires_at": "expires_at",
    "entry_id": "id",
    "created_at": "created_at",
}


def _entries_with_lots_insert(entries: list[LedgerEntry]) -> None:
    """Insert credit entries and open one lot for each (one statement on PostgreSQL)."""
    fastsql.insert_with_derived(entries, Lot, LOT_FROM_ENTRY)


def credits_post(
    *, card: Card, unit: str, kind: str, credits: list[Credit], now: datetime, **links
) -> list[LedgerEntry]:
    """Post credits as entries with one new lot each, then let them settle any debt of the card.

    ``links`` are the entry's references (purchase, refund, store, actor, reward). Zero credits are skipped.
    Returns the credit entries (settlement entries are written too but not returned).
    """
    entries = [
        _entry(
            card=card,
            unit=unit,
            kind=kind,
            amount=credit.amount,
            bucket=credit.bucket,
            now=now,
            reason=credit.reason,
            rule_id=credit.rule_id,
            expires_at=credit.expires_at,
            **links,
        )
        for credit in credits
        if credit.amount > 0
    ]
    if not entries:
        return []
    _entries_with_lots_insert(entries)
    if card.debt(unit) > 0:
        _debt_settle(card=card, unit=unit, now=now, **links)
    return entries


def open_lots(*, card: Card, unit: str, now: datetime) -> list[Lot]:
    """The card's open lots in spending order (soonest expiry first, never-expiring last, then by age), after
    expiring those already due (expire-on-touch). The card must be locked."""
    lots = fastsql.select_joined(
        (Lot,),
        (),
        "t0.card_id = %s AND t0.unit = %s AND t0.remaining > 0",
        [card.pk, unit],
        suffix="ORDER BY t0.expires_at ASC NULLS LAST, t0.id ASC",
    )
    due = [lot for lot in lots if lot.expires_at is not None and lot.expires_at <= now]
    if due:
        # What expires says why it had been given: the reason and rule of the entry that opened the lot.
        sources = {
            pk: (rule_id, reason)
            for pk, rule_id, reason in LedgerEntry.objects.filter(pk__in=[lot.entry_id for lot in due]).values_list(
                "pk", "rule_id", "reason"
            )
        }
        expiry = []
        for lot in due:
            rule_id, reason = sources.get(lot.entry_id, (None, ""))
            expiry.append(
                _entry(
                    card=card,
                    unit=unit,
                    kind=EntryKind.EXPIRY,
                    amount=-lot.remaining,
                    bucket=lot.bucket,
                    now=now,
                    lot=lot,
                    rule_id=rule_id,
                    reason=reason,
                )
            )
            lot.remaining = ZERO
        fastsql.insert(expiry)
        fastsql.update_many(due, ("remaining",))
    return [lot for lot in lots if lot.remaining > 0]


def available(*, card: Card, unit: str, now: datetime) -> Decimal:
    """What the card can spend now: its open lots that are not past expiry (read from the database)."""
    live = Lot.objects.for_card(card, unit).spendable(now)
    return live.aggregate(total=Coalesce(Sum("remaining"), ZERO))["total"]


def _debit(
    *,
    card: Card,
    unit: str,
    kind: str,
    amount: Decimal,
    now: datetime,
    lots: list[Lot] | None = None,
    settles_debt: bool = False,
    **links,
) -> list[LedgerEntry]:
    """Consume ``amount`` from open lots (caller has checked it is available); one entry per bucket touched.
    ``settles_debt``: the entries pay off debt (their ``debt_change`` is their amount)."""
    if lots is None:
        lots = open_lots(card=card, unit=unit, now=now)
    taken: dict[str, list[tuple[Lot, Decimal]]] = defaultdict(list)
    left = amount
    for lot in lots:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        if take <= 0:
            continue
        lot.remaining -= take
        left -= take
        taken[lot.bucket].append((lot, take))
    if left > 0:
        error = InsufficientPoints if unit == Unit.POINTS else InsufficientStamps
        raise error(available=amount - left, requested=amount)
    entries = [
        _entry(
            card=card,
            unit=unit,
            kind=kind,
            amount=-sum((take for _, take in parts), ZERO),
            bucket=bucket,
            now=now,
            **links,
        )
        for bucket, parts in taken.items()
    ]
    if settles_debt:
        for entry in entries:
            entry.debt_change = entry.amount
    fastsql.insert(entries)
    touched = [lot for parts in taken.values() for lot, _ in parts]
    fastsql.update_many(touched, ("remaining",))
    fastsql.insert(
        [
            LotAllocation(entry=entry, lot=lot, amount=take)
            for entry, parts in zip(entries, taken.values(), strict=True)
            for lot, take in parts
        ]
    )
    return entries


def debit_post(
    *, card: Card, unit: str, kind: str, amount: Decimal, now: datetime, lots: list[Lot] | None = None, **links
) -> list[LedgerEntry]:
    """Spend ``amount`` (> 0) from the card's lots, soonest-expiring first (``lots``: what ``open_lots`` just
    returned for this card and unit, when the caller has read it already).

    Raises ``InsufficientPoints`` / ``InsufficientStamps`` when the unexpired balance is smaller.
    """
    if amount <= 0:
        return []
    if lots is None:
        lots = open_lots(card=card, unit=unit, now=now)
    return _debit(card=card, unit=unit, kind=kind, amount=amount, now=now, lots=lots, **links)


def debit_or_owe(
    *, card: Card, unit: str, kind: str, amount: Decimal, now: datetime, prefer_entries=None, **links
) -> Decimal:
    """Take back up to ``amount``; what the card no longer has becomes debt, written as a ``debt`` entry with
    the same links (the refund). Returns the debt added.

    Lots opened by ``prefer_entries`` (a purchase's own accruals, when a refund takes them back) go first.
    """
    if amount <= 0:
        return ZERO
    lots = open_lots(card=card, unit=unit, now=now)
    if prefer_entries is not None:
        preferred = {entry.pk for entry in prefer_entries}
        lots.sort(key=lambda lot: lot.entry_id not in preferred)  # stable: the rest keep their order
    have = sum((lot.remaining for lot in lots), ZERO)
    take = min(have, amount)
    if take > 0:
        _debit(card=card, unit=unit, kind=kind, amount=take, now=now, lots=lots, **links)
    owed = amount - take
    if owed > 0:
        _debt_post(card=card, unit=unit, kind=EntryKind.DEBT, change=owed, now=now, **links)
    return owed


def allocations_return(
    *, card: Card, unit: str, kind: str, source_entries, amount: Decimal, now: datetime, **links
) -> list[LedgerEntry]:
    """Give ``amount`` back to the lots that ``source_entries`` consumed, latest-expiring lots first.

    The points keep their original expiry: a lot already past it expires at the next touch or expiry run.
    """
    if amount <= 0:
        return []
    allocations = list(
        LotAllocation.objects.filter(entry__in=source_entries)
        .select_related("lot")
        .order_by(F("lot__expires_at").desc(nulls_first=True), "-lot_id")
    )
    net: dict[int, Decimal] = defaultdict(lambda: ZERO)
    lots: dict[int, Lot] = {}
    for allocation in allocations:
        net[allocation.lot_id] += allocation.amount
        lots[allocation.lot_id] = allocation.lot
    given: dict[str, list[tuple[Lot, Decimal]]] = defaultdict(list)
    left = amount
    for lot_id, consumed in net.items():
        if left <= 0:
            break
        back = min(consumed, left)
        if back <= 0:
            continue
        lot = lots[lot_id]
        lot.remaining += back
        left -= back
        given[lot.bucket].append((lot, back))
    entries = [
        _entry(
            card=card,
            unit=unit,
            kind=kind,
            amount=sum((back for _, back in parts), ZERO),
            bucket=bucket,
            now=now,
            **links,
        )
        for bucket, parts in given.items()
    ]
    fastsql.insert(entries)
    fastsql.update_many([lot for parts in given.values() for lot, _ in parts], ("remaining",))
    fastsql.insert(
        [
            LotAllocation(entry=entry, lot=lot, amount=-back)
            for entry, parts in zip(entries, given.values(), strict=True)
            for lot, back in parts
        ]
    )
    if left > 0:
        raise AssertionError(f"cannot return {left} more than was consumed")
    return entries
