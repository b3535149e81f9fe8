"""Reads of the webhooks app. No writes here."""

from itertools import chain

from programs.models import Program
from webhooks.models import WebhookEndpoint

_events_cache: dict[int, tuple[int, frozenset[str]]] = {}


def _event_types(program_id: int) -> frozenset[str]:
    rows = WebhookEndpoint.objects.filter(program_id=program_id, is_active=True).values_list("events", flat=True)
    return frozenset(chain.from_iterable(rows))


def program_event_types(*, program: Program) -> frozenset[str]:
    """The event types some active endpoint of ``program`` subscribes to, cached per process.

    The cache is keyed by the program's ``config_version``, which every endpoint save or delete renews, so any
    process sees a change as soon as it reads the program row again. Pass the row the engine has just read (the
    purchase path's card lock loads it): then a program without endpoints costs no query at all.
    """
    cached = _events_cache.get(program.pk)
    if cached is not None and cached[0] == program.config_version:
        return cached[1]
    events = _event_types(program.pk)
    _events_cache[program.pk] = (program.config_version, events)
    return events


def program_event_types_fresh(*, program_id: int) -> frozenset[str]:
    """``program_event_types`` for callers without a fresh program row: one small query, never stale."""
    return _event_types(program_id)


def programs_subscribed(*, event_type: str, program_ids) -> set[int]:
    """Which of ``program_ids`` have an active endpoint subscribed to ``event_type`` (one query)."""
    rows = WebhookEndpoint.objects.filter(
        program_id__in=list(program_ids), is_active=True, events__contains=event_type
    ).values_list("program_id", "events")
    # ``contains`` is a substring match on the stored list; the list check makes it exact.
    return {program_id for program_id, events in rows if event_type in events}
