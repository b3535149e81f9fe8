"""Ledger invariants every test that moves points can assert (the property test asserts them after every step)."""

from decimal import Decimal

from programs.choices import EntryKind, EventType, Unit
from programs.formats import money
from programs.models import Card, Event, LedgerEntry, Lot, LotAllocation

ZERO = Decimal("0")


def assert_ledger_consistent(card: Card) -> None:
    card.refresh_from_db()
    for unit, balance in ((Unit.POINTS, card.points_balance), (Unit.STAMPS, card.stamps_balance)):
        assert balance >= 0, (unit, balance)
        entries = LedgerEntry.objects.filter(card=card, unit=unit)
        # Summed in Python: SQLite's SUM over decimals is a float.
        total = sum(entries.values_list("amount", flat=True), ZERO)
        assert total == balance, f"{unit}: cached {balance} != sum of entries {total}"
        last = entries.order_by("-id").first()  # the last written, whatever time it carries
        if last is not None:
            assert last.balance_after == balance, f"{unit}: last balance_after {last.balance_after} != {balance}"
        assert not entries.filter(balance_after__lt=0).exists()
        # Debt is in the ledger as well: what the entries owe is what the card owes.
        owed = sum(entries.values_list("debt_change", flat=True), ZERO)
        assert owed == card.debt(unit), f"{unit}: card owes {card.debt(unit)}, its entries {owed}"
        assert not entries.filter(amount=0).exclude(kind=EntryKind.REWARD_USE).filter(debt_change=0).exists()
        open_total = sum(Lot.objects.filter(card=card, unit=unit).values_list("remaining", flat=True), ZERO)
        assert open_total == balance, f"{unit}: lots hold {open_total}, balance is {balance}"
    for lot in Lot.objects.filter(card=card):
        allocated = sum(LotAllocation.objects.filter(lot=lot).values_list("amount", flat=True), ZERO)
        expired = -sum(
            LedgerEntry.objects.filter(lot=lot, kind=EntryKind.EXPIRY).values_list("amount", flat=True), ZERO
        )
        assert lot.remaining == lot.amount - allocated - expired, (lot.pk, lot.amount, allocated, expired)
        assert ZERO <= lot.remaining <= lot.amount
    assert_outbox_tells_balances(card)


def assert_outbox_tells_balances(card: Card) -> None:
    """Whoever follows the outbox knows the card's balances: every ledger change announced itself, so the card's
    newest ``card.balances_changed`` event states what the card holds now."""
    if not LedgerEntry.objects.filter(card=card).exists():
        return
    # Newest by id: a card's events are inserted under the card's lock, so their ids follow the order the card's
    # transactions committed in. Transaction ids need not: PostgreSQL gives one to each contender before the lock
    # decides who goes first, so two purchases racing for a card can commit in the other order (seen in CI).
    newest = Event.objects.filter(type=EventType.CARD_BALANCES_CHANGED, card_id=card.pk).order_by("-id").first()
    assert newest is not None, f"card {card.pk} has ledger entries but no card.balances_changed event"
    told = newest.payload["card"]["balances"]
    assert told == {"points": money(card.points_balance), "stamps": money(card.stamps_balance)}, (
        f"the outbox says {told} ({newest.payload['cause']}), the card holds "
        f"{card.points_balance} points, {card.stamps_balance} stamps"
    )
    debts = {"points": money(card.points_debt), "stamps": money(card.stamps_debt)}
    assert newest.payload["debts"] == debts, (newest.payload["debts"], debts)
