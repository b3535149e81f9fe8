"""Receivers inside the engine: the schedules and the outbox's cursors after ``migrate``, and the renewal of a
program's ``config_version`` when its rules change. (Other apps learn of the engine's changes from the event
outbox, ``programs.outbox``, not from signals.)"""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver


@receiver(post_migrate)
def register_schedules(sender, **kwargs):
    if sender.name != "programs":
        return
    from programs.jobs import schedules_ensure
    from programs.outbox import cursors_ensure

    schedules_ensure()
    cursors_ensure()


def _bump_config_version(sender, instance, **kwargs):
    """Any change to a program's rules makes its cached rule snapshots stale (see selectors.rules_for_card_type)."""
    from programs.models import Program, config_token_new

    program_id = instance.pk if sender is Program else getattr(instance, "program_id", None)
    if program_id is None and getattr(instance, "card_type_id", None):
        program_id = instance.card_type.program_id
    if program_id is not None:
        Program.objects.filter(pk=program_id).update(config_version=config_token_new())


def connect_config_signals():
    from programs.models import CardType, DiscountThreshold, EarningRule, Program, RedemptionRule, Tier

    for model in (Program, CardType, DiscountThreshold, RedemptionRule, Tier, EarningRule):
        post_save.connect(_bump_config_version, sender=model, dispatch_uid=f"config-version-{model.__name__}")
        post_delete.connect(_bump_config_version, sender=model, dispatch_uid=f"config-version-del-{model.__name__}")
