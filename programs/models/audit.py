"""The audit trail."""

from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.models.common import actor_field
from programs.models.programs import Business, Program


class AuditEvent(models.Model):
    """Who changed what, when, and why: staff actions and builder edits, with old and new values."""

    # The trail outlives what it describes: deleting a business or program keeps its history (superusers see it).
    business = models.ForeignKey(
        Business, verbose_name=_("business"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    program = models.ForeignKey(
        Program, verbose_name=_("program"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor = actor_field()
    # A till or CRM acting through the POS/CRM API: the key it used (there is no staff user then).
    api_key = models.ForeignKey(
        "ApiKey", verbose_name=_("API key"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="audit_business_time_idx")]

    def __str__(self):
        return f"{self.action} {self.object_repr}"
