"""How the wallet hears of the engine: a consumer of the event outbox (``programs.outbox``).

For every committed change that a pass shows (balances, stamps, tier, card status, the member's name) the consumer
builds the touched passes again (``services.passes_refresh``); the passes whose content changed are marked due in
the consumer's own transaction, and once it commits their pushes and Google updates are sent (``tasks``): inline
for a handful, as a queued task for more, and by the minute sweep for anything a crash left behind.

A theme's publication (or its withdrawal), and a program switched to another theme, change the look of every pass
of the program: those are refreshed by a queued task the same way.
"""

from django.db import transaction
from django.db.models.signals import post_init, post_save
from wagtail.signals import published, unpublished

from programs import outbox
from programs.choices import EventType
from programs.models import Event, Program
from themes.models import Theme
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


def theme_changed(sender, instance, **kwargs) -> None:
    """A theme was published or unpublished: its programs' passes show other colours and images. Their refresh is
    queued after the commit (a program may have many passes); only passes whose content really changed are sent."""
    if not isinstance(instance, Theme):
        return
    program_ids = list(Program.objects.filter(theme_id=instance.pk).values_list("pk", flat=True))
    if program_ids:
        transaction.on_commit(lambda: tasks.program_passes_refresh_queue(program_ids=program_ids), robust=True)


def _program_loaded(sender, instance: Program, **kwargs) -> None:
    instance._wallet_theme_id = instance.theme_id  # what the passes were drawn with, to see a change on save


def program_saved(sender, instance: Program, created: bool, **kwargs) -> None:
    """A program now drawn in another theme (the admin's program form, the launch wizard, ``theme_program_assign``):
    its passes are refreshed like after a theme's publication."""
    if created or getattr(instance, "_wallet_theme_id", instance.theme_id) == instance.theme_id:
        return
    instance._wallet_theme_id = instance.theme_id
    program_ids = [instance.pk]
    transaction.on_commit(lambda: tasks.program_passes_refresh_queue(program_ids=program_ids), robust=True)


def connect() -> None:
    outbox.consumer_register(CONSUMER, passes_from_events, types=TYPES, wakes=wants_now)
    published.connect(theme_changed, dispatch_uid="wallet.theme-published")
    unpublished.connect(theme_changed, dispatch_uid="wallet.theme-unpublished")
    post_init.connect(_program_loaded, sender=Program, dispatch_uid="wallet.program-loaded")
    post_save.connect(program_saved, sender=Program, dispatch_uid="wallet.program-saved")
