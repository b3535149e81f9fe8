"""What the customer portal keeps: the one-time codes it sent, the member sessions it opened and the consents
members gave in it. Customers are not Django users: a member signs in to one program's portal with a code sent to
their phone, and their session is valid on that program's portal only."""

from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.models import Card, Member, Program


class CodePurpose(models.TextChoices):
    PHONE = "phone", _("Sign-in by phone")
    CARD = "card", _("Sign-in by card number")


class OneTimeCode(models.Model):
    """One code sent to one phone for one browser (``browser_hash``: the hash of a random token in that browser's
    cookie, so a code typed in another browser is worth nothing). Only a keyed hash of the code is stored.

    The rows are also the record the limits count: codes sent per phone, per IP address and per number prefix in
    the last hour (``portal.codes_limits``)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.CASCADE)
    purpose = models.CharField(_("purpose"), max_length=8, choices=CodePurpose.choices)
    phone = models.CharField(_("phone"), max_length=20)
    # The first digits of the number (country and operator code): SMS-pumping fraud walks number ranges.
    prefix = models.CharField(_("number prefix"), max_length=12)
    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="+", null=True, blank=True, on_delete=models.CASCADE
    )
    browser_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    channel = models.CharField(_("channel"), max_length=16)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    created_at = models.DateTimeField(_("sent"), default=dj_timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    # When the verified code was used up: a session opened or a member signed up with it.
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    # A newer code for the same browser replaced this one.
    superseded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [
            models.Index(fields=["browser_hash", "-created_at"], name="code_browser_idx"),
            models.Index(fields=["program", "phone", "created_at"], name="code_phone_idx"),
            models.Index(fields=["ip", "created_at"], name="code_ip_idx"),
            models.Index(fields=["prefix", "created_at"], name="code_prefix_idx"),
            models.Index(fields=["created_at"], name="code_created_idx"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} · {self.created_at:%Y-%m-%d %H:%M}"


class MemberSession(models.Model):
    """A member signed in to their program's portal: the cookie holds a random key, the row its hash.

    Long-lived on a phone (``KARTKA_PORTAL_SESSION_DAYS`` after the last visit), revocable one by one or all
    together ("sign out everywhere"), and a new one at every sign-in (the key before it is revoked)."""

    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.CASCADE)
    member = models.ForeignKey(
        Member, verbose_name=_("member"), related_name="portal_sessions", on_delete=models.CASCADE
    )
    key_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(_("browser"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("signed in"), default=dj_timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=dj_timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("signed out"), null=True, blank=True)

    class Meta:
        verbose_name = _("member session")
        verbose_name_plural = _("member sessions")
        indexes = [models.Index(fields=["member", "revoked_at"], name="session_member_idx")]

    def __str__(self):
        return f"{self.member_id} · {self.created_at:%Y-%m-%d %H:%M}"


class ConsentKind(models.TextChoices):
    TERMS = "terms", _("Program terms")
    EMAIL = "email", _("E-mail messages")
    SMS = "sms", _("SMS messages")
    PUSH = "push", _("Push messages")
    TELEGRAM = "telegram", _("Telegram messages")


class ConsentRecord(models.Model):
    """One consent given or withdrawn, with its time: the terms accepted at sign-up (with the page that held them)
    and every change of a channel preference made in the portal. Append-only; the member's ``consent_*`` flags
    say what holds now."""

    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.CASCADE)
    member = models.ForeignKey(Member, verbose_name=_("member"), related_name="consents", on_delete=models.CASCADE)
    kind = models.CharField(_("consent"), max_length=10, choices=ConsentKind.choices)
    granted = models.BooleanField(_("given"))
    # The terms page as it was accepted (its URL and live revision), when the kind is ``terms``.
    page_url = models.CharField(_("terms page"), max_length=300, blank=True)
    page_revision = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["member", "kind", "-created_at"], name="consent_member_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.granted}"
