"""How the rollups hear of the engine: a consumer of the event outbox (``programs.outbox``).

Each batch adds exactly what its events announce to the daily facts (``rollups.facts_add``): a purchase's row and
the stamp rewards it issued or redeemed, a refund's row, the ledger entries a ``card.balances_changed`` event
stands for (the card's entries written at the event's moment: purchase, refund, expiry, bonus, adjustment,
replacement), new members, issued cards and tier changes, each on its own day. The outbox hands every event to
the consumer once, in the transaction that also moves its cursor, so adding is exact; the members the events
touched have their member facts rebuilt. Rebuilding whole days (nightly, the recompute command) holds the same
cursor (``rollups.cursor_held``).
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db.models import Q

from analytics import rollups
from programs import outbox
from programs.choices import EventType, RewardStatus
from programs.models import Card, Event, LedgerEntry, Member, Program, Purchase, Refund, StampReward, TierChange

CONSUMER = "analytics"
TYPES = frozenset(
    {
        EventType.MEMBER_CREATED,
        EventType.CARD_ISSUED,
        EventType.CARD_BALANCES_CHANGED,
        EventType.PURCHASE_RECORDED,
        EventType.PURCHASE_REFUNDED,
        EventType.TIER_CHANGED,
    }
)


def _member_id(event: Event) -> int | None:
    if event.member_id is not None:
        return event.member_id
    member = (event.payload or {}).get("member") or {}
    return member.get("id")


# Rows written with the event carry its very moment. They are found in two steps: the owners' rows within a day of
# the batch's moments, then the exact moments compared in Python as aware datetimes (SQLite keeps the timestamps
# the engine's hand-written statements insert, expiry's, with their own UTC offset, so comparing there in SQL
# would compare text).
SLACK = timedelta(days=1)


def _ids_at(queryset, owner: str, moment_field: str, moments: set[tuple[int, datetime]]) -> list[int]:
    if not moments:
        return []
    owners = {owner_id for owner_id, _moment in moments}
    times = [moment for _owner, moment in moments]
    candidates = queryset.filter(
        **{
            f"{owner}__in": owners,
            f"{moment_field}__gte": min(times) - SLACK,
            f"{moment_field}__lt": max(times) + SLACK,
        }
    ).values_list("pk", owner, moment_field)
    return [pk for pk, owner_id, moment in candidates if (owner_id, moment) in moments]


class _Batch:
    def __init__(self):
        self.purchases: set[int] = set()
        self.refunds: set[int] = set()
        self.refunded_purchases: set[int] = set()
        self.entries: set[tuple[int, datetime]] = set()
        self.members_new: set[int] = set()
        self.cards: set[int] = set()
        self.tier_changes: set[tuple[int, datetime]] = set()
        self.members: set[int] = set()

    def sources(self, program: Program) -> rollups.Sources:
        rewards = StampReward.objects.all()
        # A program that never issued a stamp reward (no stamp card) has none to count: two reward reads fewer in
        # every batch of the consumer.
        stamped = StampReward.objects.filter(program=program).exists()
        # Rewards issued outside a purchase (stamps added by staff): at their card's entries' moment.
        loose = (
            _ids_at(rewards.filter(issued_by_purchase__isnull=True), "card_id", "issued_at", self.entries)
            if stamped
            else []
        )
        issued = Q(issued_by_purchase__in=self.purchases) | Q(pk__in=loose)
        return rollups.Sources(
            purchases=Purchase.objects.filter(pk__in=self.purchases) if self.purchases else None,
            refunds=Refund.objects.filter(pk__in=self.refunds) if self.refunds else None,
            entries=LedgerEntry.objects.filter(
                pk__in=_ids_at(LedgerEntry.objects, "card_id", "created_at", self.entries)
            )
            if self.entries
            else None,
            rewards_issued=rewards.filter(issued) if stamped and (self.purchases or self.entries) else None,
            rewards_redeemed=rewards.filter(status=RewardStatus.REDEEMED, redeemed_by_purchase__in=self.purchases)
            if stamped and self.purchases
            else None,
            # A reward handed back by a refund was counted with its purchase, unless that purchase is in this very
            # batch (its reward was already back when the batch was read).
            rewards_returned=Refund.objects.filter(pk__in=self.refunds, reward_returned=True).exclude(
                purchase_id__in=self.purchases
            )
            if self.refunds
            else None,
            members=Member.objects.filter(pk__in=self.members_new) if self.members_new else None,
            cards=Card.objects.filter(pk__in=self.cards) if self.cards else None,
            tier_changes=TierChange.objects.filter(
                pk__in=_ids_at(TierChange.objects, "member_id", "created_at", self.tier_changes)
            )
            if self.tier_changes
            else None,
        )


def rollups_from_events(events: list[Event]) -> None:
    """The consumer: add what ``events`` announce to the daily facts, rebuild the touched members, per program."""
    batches: dict[int, _Batch] = defaultdict(_Batch)
    for event in events:
        batch = batches[event.program_id]
        payload = event.payload or {}
        if event.type == EventType.PURCHASE_RECORDED:
            batch.purchases.add(payload["purchase"]["id"])
        elif event.type == EventType.PURCHASE_REFUNDED:
            batch.refunds.add(payload["refund"]["id"])
        elif event.type == EventType.CARD_BALANCES_CHANGED:
            batch.entries.add((event.card_id, event.created_at))
        elif event.type == EventType.MEMBER_CREATED:
            batch.members_new.add(_member_id(event))
        elif event.type == EventType.CARD_ISSUED:
            batch.cards.add(event.card_id)
        elif event.type == EventType.TIER_CHANGED:
            batch.tier_changes.add((_member_id(event), event.created_at))
        member_id = _member_id(event)
        if member_id is not None:
            batch.members.add(member_id)
    programs = Program.objects.in_bulk(list(batches))
    for program_id, batch in batches.items():
        program = programs.get(program_id)
        if program is None:
            continue
        rollups.facts_add(program=program, sources=batch.sources(program))
        if batch.members:
            rollups.members_rebuild(program=program, member_ids=batch.members)
        rollups.liability_refresh(program=program, force=False)


def connect() -> None:
    # No ``wakes``: a dashboard a minute behind is fine, so the minute sweep hands the events on in bigger batches.
    outbox.consumer_register(CONSUMER, rollups_from_events, types=TYPES)
