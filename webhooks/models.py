"""Outbound webhooks: the endpoints a business registers for a program, and one delivery row per event and endpoint.

Rows hold state and invariants only. Deliveries are written by ``webhooks.services`` (queued after the engine's
transactions commit, attempted by django-q2 workers); endpoints are edited in the admin.
"""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Program
from webhooks import destinations
from webhooks.choices import CLOSED_STATUSES, OPEN_STATUSES, DeliveryStatus, EventType
from webhooks.fields import EventTypesField
from webhooks.querysets import WebhookDeliveryQuerySet

# More would let one program's purchases fan out into a queue every tenant's webhooks share.
MAX_ENDPOINTS_PER_PROGRAM = 10


def secret_new() -> str:
    """A signing secret: 256 random bits, with a prefix that says what it is when it turns up in a config file."""
    return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookEndpoint(models.Model):
    """A URL that receives a program's events, signed with the endpoint's own secret.

    The secret is needed in the clear to sign, so it is stored as is (like a password in a config file) and shown
    only to the program's owners. Saving or deleting an endpoint renews the program's ``config_version``
    (``webhooks.receivers``), which is how every process learns that its cached subscriptions are stale.
    """

    program = models.ForeignKey(
        Program, verbose_name=_("program"), related_name="webhook_endpoints", on_delete=models.CASCADE
    )
    url = models.URLField(
        _("endpoint URL"),
        max_length=500,
        validators=[URLValidator(schemes=list(destinations.SCHEMES))],
        help_text=_("Kartka POSTs the events here, e.g. https://crm.example.com/hooks/kartka. Use https."),
    )
    description = models.CharField(
        _("description"), max_length=200, blank=True, help_text=_("Who receives the events, e.g. “CRM”.")
    )
    events = EventTypesField(_("events"), help_text=_("Only these events are sent to this URL."))
    secret = models.CharField(_("signing secret"), max_length=64, default=secret_new, editable=False)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An inactive endpoint receives nothing; deliveries still waiting for it are given up."),
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["program__name", "url", "id"]

    def __str__(self):
        return self.description or self.url

    def clean(self):
        errors = {}
        if self.url:
            refusal = destinations.url_refusal(self.url)
            if refusal is None and not settings.KARTKA_WEBHOOK_ALLOW_PRIVATE:
                refusal = destinations.literal_host_refusal(self.url)
            if refusal is not None:
                errors["url"] = refusal
        if self.program_id is not None and self._state.adding:
            others = WebhookEndpoint.objects.filter(program_id=self.program_id).exclude(pk=self.pk)
            if others.count() >= MAX_ENDPOINTS_PER_PROGRAM:
                errors["program"] = _("A program can have at most %(count)s webhook endpoints.") % {
                    "count": MAX_ENDPOINTS_PER_PROGRAM
                }
        if errors:
            raise ValidationError(errors)

    def get_events_display(self) -> str:
        labels = dict(EventType.choices)
        return ", ".join(str(labels.get(event, event)) for event in self.events)

    def subscribes_to(self, event_type: str) -> bool:
        return self.is_active and event_type in self.events


class WebhookDelivery(models.Model):
    """One event on its way to one endpoint: the exact body, where it stands, and what the last attempt got back.

    ``next_attempt_at`` is set while the delivery is open (pending or retrying): the time it is due, or, while an
    attempt is in flight, the end of that attempt's lease, so a worker that dies mid-send leaves it due again.
    """

    # Public id (the ``Kartka-Delivery`` header): not the sequence, which would tell receivers everyone's volume.
    uuid = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), related_name="deliveries", on_delete=models.CASCADE
    )
    event_type = models.CharField(_("event"), max_length=32, choices=EventType.choices)
    # The same for every endpoint that gets the event and for re-sends: receivers deduplicate on it.
    event_id = models.UUIDField(_("event id"), db_index=True)
    # The body byte for byte: the signature covers these bytes, and a JSON column would reorder keys (PostgreSQL).
    payload = models.TextField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.CharField(_("error"), max_length=500, blank=True)
    last_response = models.TextField(_("response"), blank=True, help_text=_("The start of the last answer's body."))
    last_duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    resent_from = models.ForeignKey(
        "self",
        verbose_name=_("re-sent from"),
        related_name="resends",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, next_attempt_at__isnull=False)
                | Q(status__in=CLOSED_STATUSES, next_attempt_at__isnull=True),
                name="webhook_delivery_open_iff_due",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="webhook_delivery_due_idx", condition=Q(status__in=OPEN_STATUSES)
            ),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint_idx"),
            models.Index(fields=["created_at"], name="webhook_delivery_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_event_type_display()} · {self.uuid}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
