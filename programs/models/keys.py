"""Credentials of the POS/CRM API and the answers it keeps for idempotent replays."""

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.models.programs import Program, Store


class ApiKey(models.Model):
    """A machine's credential for the POS/CRM API, reaching one program only.

    A store key records purchases in its own store; a program key (a CRM, an e-shop) names the store in each
    purchase. The key reads ``kk_<prefix>_<secret>``: the prefix finds the row, and only a SHA-256 of the secret is
    kept (the secret is 32 random bytes, so a fast hash is enough; it is shown once, when the key is created).
    """

    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="api_keys", on_delete=models.CASCADE)
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        related_name="api_keys",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_(
            "A cash register's key records purchases in this store. Empty: a program key (CRM, e-shop) "
            "that names the store in every purchase."
        ),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who uses the key, e.g. “Till 2, Main Street” or “CRM”.")
    )
    prefix = models.CharField(_("prefix"), max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    # Written at most once a minute per key, so busy tills don't turn every call into a write.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def masked(self) -> str:
        return f"kk_{self.prefix}_…"


class IdempotencyRecord(models.Model):
    """The outcome of one API write sent with an ``Idempotency-Key``: a replay gets the same answer back.

    The row is inserted before the write runs, in the same transaction, so a concurrent duplicate waits on the
    unique constraint and then replays the answer instead of running twice. Purged after a few days.
    """

    api_key = models.ForeignKey(ApiKey, verbose_name=_("API key"), related_name="+", on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="Hash of method, path and body.")
    status = models.PositiveSmallIntegerField(null=True)
    # The answer as it was sent, byte for byte (a JSON column would reorder its keys on PostgreSQL).
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique_per_api_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self):
        return self.key
