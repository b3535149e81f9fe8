"""The event outbox: one row per change, written in the change's own transaction, and each consumer's position.

The row commits or rolls back with the change it describes, so no change goes unannounced and no event tells of a
change that never happened. ``programs.outbox`` hands the rows to the registered consumers after commit.
"""

from django.db import models
from django.db.models import Func
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.choices import EventType


class TransactionId(Func):
    """The writing transaction's id on PostgreSQL (64-bit, never wraps); ``0`` on SQLite.

    PostgreSQL hands out ids before commit, so a row with a lower id may commit after one with a higher id: the
    dispatcher reads in (transaction, id) order and only transactions that have all ended (below the snapshot's
    ``xmin``), which never gain rows later. SQLite serialises writers, so ids alone are commit order there.
    """

    template = "0"
    output_field = models.BigIntegerField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class Event(models.Model):
    """One change of the engine, as consumers (webhooks, wallet passes, analytics, messages) learn of it.

    ``payload`` is built once, in the transaction, from the rows as they were committed; consumers never need
    to read the engine's tables to tell what happened. Kept ``KARTKA_EVENTS_RETENTION_DAYS`` once every consumer
    has passed it.
    """

    # Filled by the database (see TransactionId); never written by Kartka.
    tx = models.BigIntegerField(db_default=TransactionId(), editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    # Plain references, no foreign-key constraints: an event outlives what it tells of and costs no lock on it.
    program = models.ForeignKey(
        "Program",
        verbose_name=_("program"),
        related_name="+",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
    )
    card_id = models.BigIntegerField(_("card"), null=True, blank=True)
    member_id = models.BigIntegerField(_("member"), null=True, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [
            # The dispatcher's read order.
            models.Index(fields=["tx", "id"], name="event_dispatch_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
        ]

    def __str__(self):
        return f"{self.type} #{self.pk}"


class EventCursor(models.Model):
    """How far one consumer has read the outbox: the (transaction, id) of the last event it handled.

    Each consumer moves on its own, so one that fails holds back nobody else; its row is locked while it
    handles a batch, so two dispatchers never hand the same events to it at once.
    """

    consumer = models.CharField(_("consumer"), max_length=64, unique=True)
    tx = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    retry_at = models.DateTimeField(_("next try"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("event consumer")
        verbose_name_plural = _("event consumers")
        ordering = ["consumer"]

    def __str__(self):
        return self.consumer
