from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    MEMBER_CREATED = "member.created", _("Member enrolled")
    CARD_ISSUED = "card.issued", _("Card issued")
    PURCHASE_RECORDED = "purchase.recorded", _("Purchase recorded")
    POINTS_REDEEMED = "points.redeemed", _("Points redeemed")
    PURCHASE_REFUNDED = "purchase.refunded", _("Purchase refunded")
    TIER_CHANGED = "tier.changed", _("Tier changed")
    POINTS_EXPIRED = "points.expired", _("Points expired")
    # Sent by hand from the admin ("Send test event"); nobody subscribes to it.
    TEST = "webhook.test", _("Test event")


SUBSCRIBABLE_EVENTS = [(value, label) for value, label in EventType.choices if value != EventType.TEST]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    RETRYING = "retrying", _("Retrying")
    SUCCEEDED = "succeeded", _("Delivered")
    FAILED = "failed", _("Failed")


OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
CLOSED_STATUSES = (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED)
