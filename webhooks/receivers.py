"""How webhooks hear of the engine: a consumer of the event outbox (``programs.outbox``) that turns each event a
webhook tells of into deliveries for the endpoints that subscribe to it, and the upkeep of the per-process
subscription cache and the declaration of the schedules.

The outbox hands events over after their transaction committed, in commit order, inside a transaction that also
moves this consumer's cursor: a delivery is queued exactly once per event and endpoint, even if a worker dies,
and the engine's own transaction never waits for webhooks. The wake check (``wants_now``) runs after every
commit of the engine, so it first asks ``selectors.program_event_types`` (a dict lookup when the program row is
already loaded) and says no at once when no endpoint listens.
"""

import uuid

from django.db.models.signals import post_delete, post_save

from programs import outbox, schedules
from programs.choices import BalanceCause
from programs.choices import EventType as EngineEvent
from programs.models import Event as EngineEventRow
from programs.services.programs import program_config_renew
from webhooks import payloads, selectors, tasks
from webhooks.choices import EventType
from webhooks.models import WebhookEndpoint
from webhooks.services import Event, events_publish

CONSUMER = "webhooks"
# The engine's events a webhook may tell of, and which webhook event types each can become.
WEBHOOK_TYPES: dict[str, frozenset[str]] = {
    EngineEvent.MEMBER_CREATED: frozenset({EventType.MEMBER_CREATED}),
    EngineEvent.CARD_ISSUED: frozenset({EventType.CARD_ISSUED}),
    EngineEvent.PURCHASE_RECORDED: frozenset({EventType.PURCHASE_RECORDED, EventType.POINTS_REDEEMED}),
    EngineEvent.PURCHASE_REFUNDED: frozenset({EventType.PURCHASE_REFUNDED}),
    EngineEvent.TIER_CHANGED: frozenset({EventType.TIER_CHANGED}),
    EngineEvent.CARD_BALANCES_CHANGED: frozenset({EventType.POINTS_EXPIRED}),
}
# Webhook event ids are derived from the outbox event, so the same event is always the same id.
_EVENT_ID_NAMESPACE = uuid.UUID("5d0c6a6e-2f7e-4b0a-9a57-6b9d1f0c2a11")


def webhook_events(event: EngineEventRow) -> list[Event]:
    """The webhook events one outbox event becomes (before anyone's subscriptions are looked at)."""
    data = event.payload
    found: list[tuple[str, dict]] = []
    if event.type == EngineEvent.PURCHASE_RECORDED:
        found.append((EventType.PURCHASE_RECORDED, data))
        if payloads.redeemed_points(data):
            found.append((EventType.POINTS_REDEEMED, payloads.points_redeemed(data)))
    elif event.type == EngineEvent.CARD_BALANCES_CHANGED:
        if data.get("cause") == BalanceCause.EXPIRY:
            found.append((EventType.POINTS_EXPIRED, payloads.points_expired(data)))
    elif event.type in WEBHOOK_TYPES:
        found.append((event.type, data))
    return [
        Event(
            program_id=event.program_id,
            type=webhook_type,
            data=body,
            event_id=uuid.uuid5(_EVENT_ID_NAMESPACE, f"{event.pk}:{webhook_type}"),
            created_at=event.created_at,
        )
        for webhook_type, body in found
    ]


def deliveries_from_events(events: list[EngineEventRow]) -> None:
    """The consumer: queue a delivery of every webhook event these outbox events become, for every active
    endpoint of the event's program that subscribes to its type (``events_publish`` filters)."""
    events_publish(events=[webhook for event in events for webhook in webhook_events(event)])


def wants_now(event: EngineEventRow) -> bool:
    """Whether an endpoint of the event's program may want it (then the dispatcher runs right after the commit;
    otherwise the minute sweep passes it by). Balance changes matter only when they are expiries."""
    kinds = WEBHOOK_TYPES.get(event.type)
    if not kinds:
        return False
    if event.type == EngineEvent.CARD_BALANCES_CHANGED and event.payload.get("cause") != BalanceCause.EXPIRY:
        return False
    program = EngineEventRow._meta.get_field("program").get_cached_value(event, default=None)
    if program is not None:
        subscribed = selectors.program_event_types(program=program)
    else:
        subscribed = selectors.program_event_types_fresh(program_id=event.program_id)
    return not kinds.isdisjoint(subscribed)


# --- Upkeep --------------------------------------------------------------------------------------------------


def renew_program_version(sender, instance: WebhookEndpoint, **kwargs):
    """An endpoint changed: renew its program's ``config_version``, the token every process's cache of
    subscriptions is keyed by (the same one the rule snapshots use, and read for free on the purchase path)."""
    program_config_renew(program_id=instance.program_id)


def connect() -> None:
    schedules.schedules_register(tasks.SCHEDULES)  # written with the engine's after every migrate
    outbox.consumer_register(CONSUMER, deliveries_from_events, types=WEBHOOK_TYPES, wakes=wants_now)
    post_save.connect(renew_program_version, sender=WebhookEndpoint, dispatch_uid="webhooks.endpoint-saved")
    post_delete.connect(renew_program_version, sender=WebhookEndpoint, dispatch_uid="webhooks.endpoint-deleted")
