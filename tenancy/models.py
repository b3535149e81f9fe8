"""The tenant and its trail: businesses, their staff, and the audit events of everything done to their data.

The tables kept the names they had in ``programs`` (``db_table``): the models moved, the data did not.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from tenancy.actors import ActorKind
from tenancy.choices import AuditAction


class Business(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        related_name="businesses",
        blank=True,
        db_table="programs_business_staff",
        help_text=_("Admin users who manage this business's programs, members and reports."),
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)
    # The business's own corner of Wagtail: its images and documents live in ``collection``; its staff are in
    # ``staff_group``, which may add, choose and change images and documents there and nowhere else.
    # Made by ``tenancy.services.business_workspace_ensure``.
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        verbose_name=_("collection"),
        related_name="business",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )
    staff_group = models.OneToOneField(
        "auth.Group",
        verbose_name=_("staff group"),
        related_name="business",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
    )

    class Meta:
        db_table = "programs_business"
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AuditEvent(models.Model):
    """Who changed what, when, and why: staff actions and builder edits, with old and new values."""

    # The trail outlives what it describes: deleting a business or program keeps its history (superusers see it).
    business = models.ForeignKey(
        Business, verbose_name=_("business"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    program = models.ForeignKey(
        "programs.Program",
        verbose_name=_("program"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    # Who acted (tenancy.actors.Actor): a staff user, a till or CRM through its API key, the customer in the
    # portal, or the system (``job`` says which job). The rows stay if the user, key or member goes.
    actor_kind = models.CharField(_("by"), max_length=16, choices=ActorKind.choices, default=ActorKind.SYSTEM)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    api_key = models.ForeignKey(
        "programs.ApiKey",
        verbose_name=_("API key"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    member = models.ForeignKey(
        "programs.Member",
        verbose_name=_("customer"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    job = models.CharField(_("job"), max_length=64, blank=True)
    # An AuditAction (tenancy.choices), checked by audit_record; no database choices, so a new action needs no
    # migration.
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        db_table = "programs_auditevent"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="audit_business_time_idx")]

    def __str__(self):
        try:
            action = AuditAction(self.action).label
        except ValueError:  # an action this version no longer knows
            action = self.action
        return f"{action} {self.object_repr}"


class RateCount(models.Model):
    """How many times something was tried in one window of time (``tenancy.ratelimits``): API calls per key,
    sign-in failures per account and address. ``key`` is a digest, never the phone, name or address itself. On
    PostgreSQL the table is unlogged: counts are not worth a disk flush per request, and a crash forgets them."""

    key = models.CharField(max_length=64)
    slot = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)
    expires = models.BigIntegerField(help_text="Unix time after which the row can go.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "slot"], name="ratecount_key_slot_unique")]
        indexes = [models.Index(fields=["expires"], name="ratecount_expires_idx")]

    def __str__(self):
        return f"{self.key[:8]}… {self.count}"
