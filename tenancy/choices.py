"""Choices of the tenancy kit."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    """What an audit event records. The values are the strings stored since the first audit rows, so no data
    migration was needed; ``label`` is how the audit log says it."""

    BUSINESS_CREATE = "business.create", _("Business created")
    BUSINESS_UPDATE = "business.update", _("Business changed")
    BUSINESS_DELETE = "business.delete", _("Business deleted")
    BUSINESS_STAFF_ADD = "business.staff_add", _("Staff member added")
    BUSINESS_STAFF_REMOVE = "business.staff_remove", _("Staff member removed")
    BUSINESS_OWNER_INVITE = "business.owner_invite", _("Owner invited by e-mail")
    PROGRAM_CREATE = "program.create", _("Program created")
    PROGRAM_UPDATE = "program.update", _("Program changed")
    PROGRAM_DELETE = "program.delete", _("Program deleted")
    CARD_TYPE_CREATE = "cardtype.create", _("Card type created")
    CARD_TYPE_UPDATE = "cardtype.update", _("Card type changed")
    CARD_TYPE_DELETE = "cardtype.delete", _("Card type deleted")
    TIER_CREATE = "tier.create", _("Tier created")
    TIER_UPDATE = "tier.update", _("Tier changed")
    TIER_DELETE = "tier.delete", _("Tier deleted")
    EARNING_RULE_CREATE = "earningrule.create", _("Earning rule created")
    EARNING_RULE_UPDATE = "earningrule.update", _("Earning rule changed")
    EARNING_RULE_DELETE = "earningrule.delete", _("Earning rule deleted")
    STORE_CREATE = "store.create", _("Store created")
    STORE_UPDATE = "store.update", _("Store changed")
    STORE_DELETE = "store.delete", _("Store deleted")
    MEMBER_CREATE = "member.create", _("Member enrolled")
    MEMBER_UPDATE = "member.update", _("Member profile updated")
    CARD_ISSUE = "card.issue", _("Card issued")
    CARD_ADJUST = "card.adjust", _("Balance adjusted")
    CARD_BLOCK = "card.block", _("Card blocked")
    CARD_UNBLOCK = "card.unblock", _("Card unblocked")
    CARD_REPLACE = "card.replace", _("Card replaced")
    API_KEY_CREATE = "api_key.create", _("API key created")
    API_KEY_REVOKE = "api_key.revoke", _("API key revoked")
    THEME_CREATE = "theme.create", _("Theme created")
    THEME_UPDATE = "theme.update", _("Theme draft saved")
    THEME_PUBLISH = "theme.publish", _("Theme published")
    THEME_UNPUBLISH = "theme.unpublish", _("Theme unpublished")
    THEME_DELETE = "theme.delete", _("Theme deleted")
    WEBHOOK_ENDPOINT_CREATE = "webhookendpoint.create", _("Webhook endpoint created")
    WEBHOOK_ENDPOINT_UPDATE = "webhookendpoint.update", _("Webhook endpoint changed")
    WEBHOOK_ENDPOINT_DELETE = "webhookendpoint.delete", _("Webhook endpoint deleted")
    WEBHOOK_SECRET_REVEAL = "webhook_endpoint.secret_reveal", _("Webhook signing secret shown")
    WEBHOOK_SECRET_ROTATE = "webhook_endpoint.secret_rotate", _("Webhook signing secret rotated")
    WEBHOOK_TEST = "webhook_endpoint.test", _("Webhook test event sent")
    WEBHOOK_RESEND = "webhook_delivery.resend", _("Webhook delivery re-sent")
    PORTAL_SITE_CREATE = "portal_site.create", _("Portal site created")
