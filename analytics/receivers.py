"""How the rollups hear of the engine: a consumer of the event outbox (``programs.outbox``).

Each batch of events names the program days and the members it touched: a purchase its purchase day (which may be
in the past, for a receipt sent late) and the day it was recorded, a refund, an expiry run or a bonus the day it
was written. Those days and members are rebuilt from the source in the consumer's transaction, which also moves
its cursor, so a batch handed over twice writes the same rows.
"""

from collections import defaultdict
from datetime import date, datetime

from analytics import rollups
from programs import outbox
from programs.choices import EventType
from programs.models import Event, Program, Purchase

CONSUMER = "analytics"
TYPES = frozenset(
    {
        EventType.MEMBER_CREATED,
        EventType.CARD_ISSUED,
        EventType.CARD_REPLACED,
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


def rollups_from_events(events: list[Event]) -> None:
    """The consumer: rebuild the days and members ``events`` touched, per program."""
    days: dict[int, set[date]] = defaultdict(set)
    members: dict[int, set[int]] = defaultdict(set)
    programs = Program.objects.in_bulk({event.program_id for event in events})
    refunded: set[int] = set()
    for event in events:
        program = programs.get(event.program_id)
        if program is None:
            continue
        days[program.pk].add(rollups.local_day(program, event.created_at))
        if event.type == EventType.PURCHASE_RECORDED:
            purchased_at = (event.payload or {}).get("purchase", {}).get("purchased_at")
            if purchased_at:
                moment = datetime.fromisoformat(purchased_at.replace("Z", "+00:00"))
                days[program.pk].add(rollups.local_day(program, moment))
        if event.type == EventType.PURCHASE_REFUNDED:
            purchase_id = (event.payload or {}).get("purchase", {}).get("id")
            if purchase_id:
                refunded.add(purchase_id)
        member_id = _member_id(event)
        if member_id is not None:
            members[program.pk].add(member_id)
    # A refund may hand back a stamp reward the purchase redeemed: that redemption leaves the purchase's own day.
    for program_id, created_at, purchased_at in Purchase.objects.filter(pk__in=refunded).values_list(
        "program_id", "created_at", "purchased_at"
    ):
        program = programs[program_id]
        days[program_id].update({rollups.local_day(program, created_at), rollups.local_day(program, purchased_at)})
    for program_id, program_days in days.items():
        program = programs[program_id]
        rollups.days_rebuild_many(program=program, days=program_days)
        if members[program_id]:
            rollups.members_rebuild(program=program, member_ids=members[program_id])
        rollups.liability_refresh(program=program, force=False)


def connect() -> None:
    # No ``wakes``: a dashboard a minute behind is fine, so the minute sweep hands the events on in bigger batches.
    outbox.consumer_register(CONSUMER, rollups_from_events, types=TYPES)
