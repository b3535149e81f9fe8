"""How webhooks hear of the engine: receivers of ``programs.signals`` (all sent after commit), and the upkeep of
the per-process subscription cache and of the schedules.

The receivers sit on the purchase path, so each first asks ``selectors.program_event_types`` (a dict lookup when
the program row is already loaded) and returns at once when no endpoint listens; only then does it read what the
payload needs. A receiver never raises: the engine's transaction has committed, and a webhook that can't be
queued must not turn a recorded purchase into an error at the till (it is logged instead).
"""

import functools
import logging

from django.db.models import Sum
from django.db.models.signals import post_delete, post_migrate, post_save

from programs import signals
from programs.choices import EntryKind, Unit
from programs.models import Card, LedgerEntry, Member, Program, TierChange, config_token_new
from webhooks import payloads, selectors
from webhooks.choices import EventType
from webhooks.models import WebhookEndpoint
from webhooks.services import Event, events_publish

logger = logging.getLogger(__name__)
# Card ids per query when expiry reports a chunk (SQLite allows a few thousand parameters per statement).
ID_BATCH = 500


def _never_raises(receiver):
    @functools.wraps(receiver)
    def wrapper(sender, **kwargs):
        try:
            receiver(sender, **kwargs)
        except Exception:
            logger.exception("webhooks: %s could not queue its events", receiver.__name__)

    return wrapper


def _cached_related(instance, name: str):
    """The related row if it is already loaded on ``instance`` (no query), else ``None``."""
    return instance._meta.get_field(name).get_cached_value(instance, default=None)


def _event_types(instance, program_id: int) -> frozenset[str]:
    program = _cached_related(instance, "program")
    if program is not None:
        return selectors.program_event_types(program=program)
    return selectors.program_event_types_fresh(program_id=program_id)


@_never_raises
def on_member_created(sender, member: Member, **kwargs):
    if EventType.MEMBER_CREATED not in _event_types(member, member.program_id):
        return
    cards = list(member.cards.select_related("card_type").order_by("pk"))
    data = payloads.member_created(member, cards)
    events_publish(events=[Event(member.program_id, EventType.MEMBER_CREATED, data)])


@_never_raises
def on_card_issued(sender, card: Card, **kwargs):
    if EventType.CARD_ISSUED not in _event_types(card, card.program_id):
        return
    events_publish(events=[Event(card.program_id, EventType.CARD_ISSUED, payloads.card_issued(card))])


@_never_raises
def on_purchase_recorded(sender, purchase, **kwargs):
    # The card (and its program, fresh from the card lock) came with the purchase: no query unless someone listens.
    card = purchase.card
    wanted = _event_types(card, card.program_id)
    events = []
    if EventType.PURCHASE_RECORDED in wanted or (EventType.POINTS_REDEEMED in wanted and purchase.points_redeemed):
        currency = card.program.currency
        if EventType.PURCHASE_RECORDED in wanted:
            data = payloads.purchase_recorded(purchase, currency=currency)
            events.append(Event(card.program_id, EventType.PURCHASE_RECORDED, data))
        if EventType.POINTS_REDEEMED in wanted and purchase.points_redeemed:
            data = payloads.points_redeemed(purchase, currency=currency)
            events.append(Event(card.program_id, EventType.POINTS_REDEEMED, data))
        events_publish(events=events)


@_never_raises
def on_purchase_refunded(sender, refund, **kwargs):
    if EventType.PURCHASE_REFUNDED not in selectors.program_event_types_fresh(program_id=refund.program_id):
        return
    purchase = refund.purchase
    card = Card.objects.select_related("program").get(pk=purchase.card_id)
    data = payloads.purchase_refunded(refund, card=card, currency=card.program.currency)
    events_publish(events=[Event(refund.program_id, EventType.PURCHASE_REFUNDED, data)])


@_never_raises
def on_tier_changed(sender, member: Member, from_tier=None, to_tier=None, **kwargs):
    if EventType.TIER_CHANGED not in _event_types(member, member.program_id):
        return
    # The signal doesn't say why; the change row written with it does (the latest one for this move).
    change = (
        TierChange.objects.filter(member=member, from_tier=from_tier, to_tier=to_tier)
        .order_by("-created_at", "-pk")
        .only("reason", "purchase_id")
        .first()
    )
    data = payloads.tier_changed(
        member,
        from_tier=from_tier,
        to_tier=to_tier,
        reason=change.reason if change else "",
        purchase_id=change.purchase_id if change else None,
    )
    events_publish(events=[Event(member.program_id, EventType.TIER_CHANGED, data)])


def _expired_amounts(card_ids: list[int]) -> dict[int, tuple[object, dict[str, object]]]:
    """Per card: when it last expired and what (points, stamps) expired then — what the run just committed."""
    rows = (
        LedgerEntry.objects.filter(card_id__in=card_ids, kind=EntryKind.EXPIRY)
        .values("card_id", "created_at", "unit")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    latest: dict[int, tuple[object, dict[str, object]]] = {}
    for row in rows:
        at, amounts = latest.get(row["card_id"], (None, {}))
        if at is None or row["created_at"] > at:
            at, amounts = row["created_at"], {}
        if row["created_at"] == at:
            key = "points" if row["unit"] == Unit.POINTS else "stamps"
            amounts[key] = -row["total"]
        latest[row["card_id"]] = (at, amounts)
    return latest


@_never_raises
def on_points_expired(sender, card_ids, **kwargs):
    card_ids = list(card_ids)
    program_ids: set[int] = set()
    for batch in _batches(card_ids):
        program_ids.update(Card.objects.filter(pk__in=batch).values_list("program_id", flat=True).distinct())
    subscribed = selectors.programs_subscribed(event_type=EventType.POINTS_EXPIRED, program_ids=program_ids)
    if not subscribed:
        return
    events = []
    for batch in _batches(card_ids):
        cards = list(
            Card.objects.filter(pk__in=batch, program_id__in=subscribed).values(
                "pk", "program_id", "number", "member_id", "points_balance", "stamps_balance"
            )
        )
        amounts = _expired_amounts([card["pk"] for card in cards])
        for card in cards:
            if card["pk"] not in amounts:
                continue
            at, expired = amounts[card["pk"]]
            data = payloads.points_expired(card, expired=expired, expired_at=at)
            events.append(Event(card["program_id"], EventType.POINTS_EXPIRED, data))
    events_publish(events=events)


def _batches(ids: list[int]):
    for start in range(0, len(ids), ID_BATCH):
        yield ids[start : start + ID_BATCH]


# --- Upkeep --------------------------------------------------------------------------------------------------


def renew_program_version(sender, instance: WebhookEndpoint, **kwargs):
    """An endpoint changed: renew its program's ``config_version``, the token every process's cache of
    subscriptions is keyed by (the same one the rule snapshots use, and read for free on the purchase path)."""
    Program.objects.filter(pk=instance.program_id).update(config_version=config_token_new())


def register_schedules(sender, **kwargs):
    if sender.name != "webhooks":
        return
    from webhooks.tasks import schedules_ensure

    schedules_ensure()


RECEIVERS = (
    (signals.member_created, on_member_created),
    (signals.card_issued, on_card_issued),
    (signals.purchase_recorded, on_purchase_recorded),
    (signals.purchase_refunded, on_purchase_refunded),
    (signals.tier_changed, on_tier_changed),
    (signals.points_expired, on_points_expired),
)


def connect() -> None:
    for signal, receiver in RECEIVERS:
        signal.connect(receiver, dispatch_uid=f"webhooks.{receiver.__name__}")
    post_save.connect(renew_program_version, sender=WebhookEndpoint, dispatch_uid="webhooks.endpoint-saved")
    post_delete.connect(renew_program_version, sender=WebhookEndpoint, dispatch_uid="webhooks.endpoint-deleted")
    post_migrate.connect(register_schedules, dispatch_uid="webhooks.schedules")
