"""Signals the engine sends after commit, so other apps react without ``programs`` importing them."""

from django.db.models.signals import post_migrate
from django.dispatch import Signal, receiver

purchase_recorded = Signal()  # purchase
purchase_refunded = Signal()  # refund
card_issued = Signal()  # card
card_changed = Signal()  # card (balance, status)
tier_changed = Signal()  # member, from_tier, to_tier
points_expired = Signal()  # card_ids


@receiver(post_migrate)
def register_schedules(sender, **kwargs):
    if sender.name != "programs":
        return
    from programs.jobs import schedules_ensure

    schedules_ensure()
