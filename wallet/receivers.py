"""How the wallet hears of the engine: a consumer of the event outbox (``programs.outbox``).

For every committed change that a pass shows (balances, stamps, tier, card status, the member's name) the consumer
builds the touched passes again (``services.passes_refresh``); the passes whose content changed are marked due in
the consumer's own transaction, and once it commits their pushes and Google updates are sent (``tasks``): inline
for a handful, as a queued task for more, and by the minute sweep for anything a crash left behind.
"""

from django.db import transaction

from programs import outbox
from programs.choices import EventType
from programs.models import Event
from wallet import services, tasks

CONSUMER = "wallet"
# What a pass shows: these events change it; notifying ones are worth a notification on Google.
TYPES = frozenset(
    {
        EventType.CARD_BALANCES_CHANGED,
        EventType.TIER_CHANGED,
        EventType.CARD_BLOCKED,
        EventType.CARD_UNBLOCKED,
        EventType.CARD_REPLACED,
        EventType.MEMBER_UPDATED,
    }
)
NOTIFYING = frozenset({EventType.CARD_BALANCES_CHANGED, EventType.TIER_CHANGED})


def passes_from_events(events: list[Event]) -> None:
    """The consumer: refresh the passes of the cards (and members) the events touched; send what changed after
    the commit."""
    card_ids: set[int] = set()
    member_ids: set[int] = set()
    notify: set[int] = set()
    notify_members: set[int] = set()
    for event in events:
        if event.card_id is not None:
            card_ids.add(event.card_id)
            if event.type in NOTIFYING:
                notify.add(event.card_id)
        elif event.member_id is not None:
            member_ids.add(event.member_id)
            if event.type in NOTIFYING:
                notify_members.add(event.member_id)
    changed = services.passes_refresh(
        card_ids=card_ids, member_ids=member_ids, notify_card_ids=notify, notify_member_ids=notify_members
    )
    if changed:
        transaction.on_commit(lambda: tasks.changes_send(pass_ids=changed), robust=True)


def wants_now(event: Event) -> bool:
    """Wake the dispatcher at once only for programs with passes (a per-process answer, refreshed every minute)."""
    return services.program_has_passes(event.program_id)


def connect() -> None:
    outbox.consumer_register(CONSUMER, passes_from_events, types=TYPES, wakes=wants_now)
