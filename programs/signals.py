"""Receivers inside the engine: the schedules and the outbox's cursors after ``migrate``, and the renewal of a
program's ``config_version`` when its rules change. (Other apps learn of the engine's changes from the event
outbox, ``programs.outbox``, not from signals.)"""

from django.db.models.signals import post_delete, post_migrate, post_save

from programs.models import CardType, DiscountThreshold, EarningRule, Program, RedemptionRule, Tier
from programs.outbox import cursors_ensure
from programs.schedules import schedules_ensure
from programs.services.programs import program_config_renew


def register_schedules(sender, **kwargs):
    """After ``migrate``: write every schedule the apps declared when ready, and the outbox consumers' cursors."""
    if sender.name != "programs":
        return
    schedules_ensure()
    cursors_ensure()


def _bump_config_version(sender, instance, **kwargs):
    """Any change to a program's rules makes its cached rule snapshots stale (see selectors.rules_for_card_type)."""
    program_id = instance.pk if sender is Program else getattr(instance, "program_id", None)
    if program_id is None and getattr(instance, "card_type_id", None):
        program_id = instance.card_type.program_id
    if program_id is not None:
        program_config_renew(program_id=program_id)


def connect():
    """Connect the engine's receivers (from ``ProgramsConfig.ready``)."""
    post_migrate.connect(register_schedules, dispatch_uid="programs.schedules")
    for model in (Program, CardType, DiscountThreshold, RedemptionRule, Tier, EarningRule):
        post_save.connect(_bump_config_version, sender=model, dispatch_uid=f"config-version-{model.__name__}")
        post_delete.connect(_bump_config_version, sender=model, dispatch_uid=f"config-version-del-{model.__name__}")
