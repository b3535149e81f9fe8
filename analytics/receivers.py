"""How the rollups hear of the engine: a consumer of the event outbox (``programs.outbox``).

Each batch adds exactly what its events announce to the daily facts (``rollups.facts_add``): a purchase's row and
the stamp rewards it issued or redeemed, a refund's row, the ledger entries a ``card.balances_changed`` event
stands for (the card's entries written at the event's moment: purchase, refund, expiry, bonus, adjustment,
replacement), new members, issued cards and tier changes, each on its own day. The outbox hands every event to
the consumer once, in the transaction that also moves its cursor, so adding is exact. The members the events
touched have their member facts rebuilt from their purchases, or on PostgreSQL (``rollups.batch_add_postgresql``)
moved by what the batch's purchases and refunds add, the cells computed in one statement: the consumer keeps up
with every purchase, so it reads rows of what it needs rather than model instances (``READS``). Rebuilding whole
days (nightly, the recompute command) holds the same cursor (``rollups.cursor_held``).
"""

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import BigIntegerField, Case, Q, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from analytics import rollups
from programs import outbox
from programs.choices import EventType, RewardStatus
from programs.models import Card, LedgerEntry, Member, Program, Purchase, Refund, StampReward, TierChange

CONSUMER = "analytics"
BATCH = 2000
# The event types as plain strings (compared once per event).
MEMBER_CREATED, CARD_ISSUED = EventType.MEMBER_CREATED.value, EventType.CARD_ISSUED.value
CARD_BALANCES_CHANGED, TIER_CHANGED = EventType.CARD_BALANCES_CHANGED.value, EventType.TIER_CHANGED.value
PURCHASE_RECORDED, PURCHASE_REFUNDED = EventType.PURCHASE_RECORDED.value, EventType.PURCHASE_REFUNDED.value
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


def _payload_id(path: str, **only) -> Case:
    """An id out of the payload, read by the database only for the events ``only`` names (a payload is read whole:
    the balance changes, half the events, are never opened)."""
    return Case(When(Q(**only), then=Cast(KT(path), BigIntegerField())), default=None, output_field=BigIntegerField())


# What the consumer reads of each event (``outbox.Consumer.reads``): rows, not model instances, and the ids it needs
# out of the payload taken by the database.
READS = {
    "program_id": "program_id",
    "card_id": "card_id",
    "member_id": "member_id",
    "created_at": "created_at",
    "purchase_id": _payload_id("payload__purchase__id", type=PURCHASE_RECORDED),
    "refund_id": _payload_id("payload__refund__id", type=PURCHASE_REFUNDED),
    "payload_member_id": _payload_id("payload__member__id", member_id__isnull=True),
}


def _member_id(event) -> int | None:
    return event.member_id if event.member_id is not None else event.payload_member_id


# Rows written with the event carry its very moment. They are found in two steps: the owners' rows within a day of
# the batch's moments, then the exact moments compared in Python as aware datetimes (SQLite keeps the timestamps
# the engine's hand-written statements insert, expiry's, with their own UTC offset, so comparing there in SQL
# would compare text). PostgreSQL compares them itself (``rollups.batch_add_postgresql``).
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


def _sources(program: Program, batch: rollups.Batch) -> rollups.Sources:
    """The batch's rows as querysets, for ``rollups.facts_add`` (the path of databases other than PostgreSQL)."""
    rewards = StampReward.objects.all()
    # A program that never issued a stamp reward (no stamp card) has none to count: two reward reads fewer in
    # every batch of the consumer.
    stamped = StampReward.objects.filter(program=program).exists()
    # Rewards issued outside a purchase (stamps added by staff): at their card's entries' moment.
    loose = (
        _ids_at(rewards.filter(issued_by_purchase__isnull=True), "card_id", "issued_at", batch.entries)
        if stamped
        else []
    )
    issued = Q(issued_by_purchase__in=batch.purchases) | Q(pk__in=loose)
    return rollups.Sources(
        purchases=Purchase.objects.filter(pk__in=batch.purchases) if batch.purchases else None,
        refunds=Refund.objects.filter(pk__in=batch.refunds) if batch.refunds else None,
        entries=LedgerEntry.objects.filter(pk__in=_ids_at(LedgerEntry.objects, "card_id", "created_at", batch.entries))
        if batch.entries
        else None,
        rewards_issued=rewards.filter(issued) if stamped and (batch.purchases or batch.entries) else None,
        rewards_redeemed=rewards.filter(status=RewardStatus.REDEEMED, redeemed_by_purchase__in=batch.purchases)
        if stamped and batch.purchases
        else None,
        # A reward handed back by a refund was counted with its purchase, unless that purchase is in this very
        # batch (its reward was already back when the batch was read).
        rewards_returned=Refund.objects.filter(pk__in=batch.refunds, reward_returned=True).exclude(
            purchase_id__in=batch.purchases
        )
        if batch.refunds
        else None,
        members=Member.objects.filter(pk__in=batch.members_new) if batch.members_new else None,
        cards=Card.objects.filter(pk__in=batch.cards) if batch.cards else None,
        tier_changes=TierChange.objects.filter(
            pk__in=_ids_at(TierChange.objects, "member_id", "created_at", batch.tier_changes)
        )
        if batch.tier_changes
        else None,
    )


def rollups_from_events(events: list) -> None:
    """The consumer: add what ``events`` (rows of ``READS``) announce to the daily facts and bring the members they
    touched up to date, per program."""
    batches: dict[int, rollups.Batch] = defaultdict(rollups.Batch)
    for event in events:
        batch = batches[event.program_id]
        kind = event.type
        if kind == PURCHASE_RECORDED:
            batch.purchases.add(event.purchase_id)
        elif kind == PURCHASE_REFUNDED:
            batch.refunds.add(event.refund_id)
        elif kind == CARD_BALANCES_CHANGED:
            batch.entries.add((event.card_id, event.created_at))
        elif kind == MEMBER_CREATED:
            batch.members_new.add(_member_id(event))
        elif kind == CARD_ISSUED:
            batch.cards.add(event.card_id)
        elif kind == TIER_CHANGED:
            batch.tier_changes.add((_member_id(event), event.created_at))
        member_id = _member_id(event)
        if member_id is not None:
            batch.members.add(member_id)
    programs = Program.objects.in_bulk(list(batches))
    for program_id, batch in batches.items():
        program = programs.get(program_id)
        if program is None:
            continue
        if connection.vendor == "postgresql":
            rollups.batch_add_postgresql(program=program, batch=batch)
        else:
            rollups.facts_add(program=program, sources=_sources(program, batch))
            if batch.members:
                rollups.members_rebuild(program=program, member_ids=batch.members)
        rollups.liability_refresh(program=program, force=False)


def connect() -> None:
    # No ``wakes``: a dashboard a minute behind is fine, so the minute sweep hands the events on in bigger batches.
    # Batches of 2 000: a batch costs a few set-based statements whatever its size (half the CPU of batches of 500
    # per event at 10M purchases, bench/analytics.py).
    outbox.consumer_register(CONSUMER, rollups_from_events, types=TYPES, reads=READS, batch=BATCH)
