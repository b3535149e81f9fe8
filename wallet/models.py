"""Wallet passes: a program's credentials, one pass per card, and the Apple devices that hold passes.

* ``WalletConfig`` — a program's own Apple and Google credentials (secrets sealed with ``WALLET_SECRETS_KEY``,
  ``wallet.secrets``) and the last check's findings. A program without one uses the install-wide credentials from
  the environment (``wallet.credentials``).
* ``WalletPass`` — the pass of one card, in both wallets: its serial and authentication token (fixed for the card's
  life), the digest of what it shows and when that last changed (Apple's ``Last-Modified`` and update tag), and the
  Google object's sync state. Created when the customer first asks for the pass.
* ``AppleDevice`` / ``AppleRegistration`` — devices that registered a pass for updates (PassKit web service), and
  per registration the push that is due and the answer to the last one.
"""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Card, Program


def serial_new() -> str:
    return str(uuid.uuid4())


def authentication_token_new() -> str:
    return secrets.token_urlsafe(32)


class WalletConfig(models.Model):
    program = models.OneToOneField(
        Program, verbose_name=_("program"), related_name="wallet_config", on_delete=models.CASCADE
    )
    # Apple: the Pass Type ID certificate and its key (PEM), the Pass Type ID and team it was issued for, and the
    # APNs token key (.p8) that sends update pushes.
    apple_pass_type_identifier = models.CharField(
        _("pass type ID"), max_length=255, blank=True, help_text=_("As registered at Apple, e.g. pass.com.example.")
    )
    apple_team_identifier = models.CharField(_("team ID"), max_length=10, blank=True)
    apple_certificate = models.TextField(_("pass certificate (PEM)"), blank=True)
    apple_wwdr = models.TextField(
        _("Apple WWDR intermediate (PEM)"), blank=True, help_text=_("Empty: the one the server is set up with.")
    )
    apple_key_sealed = models.TextField(_("certificate key"), blank=True, editable=False)
    apple_key_password_sealed = models.TextField(_("certificate key password"), blank=True, editable=False)
    apns_key_id = models.CharField(_("APNs key ID"), max_length=10, blank=True)
    apns_key_sealed = models.TextField(_("APNs key"), blank=True, editable=False)
    # Google: the issuer account and a service account allowed to write its passes (its JSON key, sealed).
    google_issuer_id = models.CharField(_("Google issuer ID"), max_length=32, blank=True)
    google_service_account_sealed = models.TextField(_("Google service account key"), blank=True, editable=False)
    # What ``wallet_check`` found last (a list of plain-language problems; empty when healthy).
    apple_problems = models.JSONField(_("Apple problems"), default=list, blank=True, editable=False)
    google_problems = models.JSONField(_("Google problems"), default=list, blank=True, editable=False)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("wallet settings")
        verbose_name_plural = _("wallet settings")
        permissions = [("manage_wallet", _("Can manage wallet credentials"))]

    def __str__(self):
        return str(_("Wallet settings of %(program)s") % {"program": self.program})


class WalletPass(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.CASCADE)
    card = models.OneToOneField(Card, verbose_name=_("card"), related_name="wallet_pass", on_delete=models.CASCADE)
    serial = models.CharField(_("serial number"), max_length=64, unique=True, default=serial_new, editable=False)
    authentication_token = models.CharField(max_length=64, default=authentication_token_new, editable=False)
    content_hash = models.CharField(max_length=64, blank=True, editable=False)
    # When what the pass shows last changed: Apple's Last-Modified and the passesUpdatedSince tag.
    changed_at = models.DateTimeField(_("changed"), default=dj_timezone.now, db_index=True)
    apple_fetched_at = models.DateTimeField(_("last downloaded"), null=True, blank=True)
    # Google: the object's id once inserted, what was last written to it, and what is due.
    google_object_id = models.CharField(max_length=128, blank=True, editable=False)
    google_synced_hash = models.CharField(max_length=64, blank=True, editable=False)
    google_synced_at = models.DateTimeField(_("last sent to Google"), null=True, blank=True)
    google_status = models.CharField(_("Google's last answer"), max_length=200, blank=True)
    google_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    google_notify = models.BooleanField(default=False, editable=False)  # the due update deserves a notification
    google_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    google_notified = models.JSONField(default=list, blank=True, editable=False)  # ISO times, last 24 h
    google_saved_at = models.DateTimeField(_("saved to Google Wallet"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)

    class Meta:
        verbose_name = _("wallet pass")
        verbose_name_plural = _("wallet passes")
        indexes = [
            models.Index(
                fields=["google_due_at"], name="wallet_pass_google_due", condition=Q(google_due_at__isnull=False)
            )
        ]

    def __str__(self):
        return self.serial


class AppleDevice(models.Model):
    library_identifier = models.CharField(_("device library ID"), max_length=128, unique=True)
    push_token = models.CharField(_("push token"), max_length=256)
    created_at = models.DateTimeField(_("registered"), default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("Apple device")
        verbose_name_plural = _("Apple devices")

    def __str__(self):
        return self.library_identifier[:12]


class AppleRegistration(models.Model):
    device = models.ForeignKey(
        AppleDevice, verbose_name=_("device"), related_name="registrations", on_delete=models.CASCADE
    )
    wallet_pass = models.ForeignKey(
        WalletPass, verbose_name=_("pass"), related_name="registrations", on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(_("registered"), default=dj_timezone.now, editable=False)
    # A push is due from this time (None: nothing to send); retries move it forward.
    push_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    push_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    last_push_at = models.DateTimeField(_("last push"), null=True, blank=True)
    last_push_status = models.PositiveSmallIntegerField(_("APNs answer"), null=True, blank=True)
    last_push_reason = models.CharField(_("APNs reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("Apple registration")
        verbose_name_plural = _("Apple registrations")
        constraints = [
            models.UniqueConstraint(fields=["device", "wallet_pass"], name="wallet_registration_once"),
        ]
        indexes = [
            models.Index(fields=["push_due_at"], name="wallet_reg_push_due", condition=Q(push_due_at__isnull=False))
        ]

    def __str__(self):
        return f"{self.device} → {self.wallet_pass}"
