"""A bulk job: one uploaded file, checked (the dry run) and then committed in chunks by a django-q2 task."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from bulk.choices import JobKind, JobStatus


class BulkJob(models.Model):
    """An import of members or a bulk adjustment of one program.

    The uploaded file stays on the server (``KARTKA_BULK_DIR``) only while the job may still need it: it is
    deleted when the job is done. ``rows_done`` is the last data row committed; a job that stopped resumes after
    it. The report keeps row numbers and reasons, never a row's phone or card number.
    """

    program = models.ForeignKey(
        "programs.Program", verbose_name=_("program"), related_name="bulk_jobs", on_delete=models.PROTECT
    )
    kind = models.CharField(_("kind"), max_length=8, choices=JobKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.CHECKING)
    file_name = models.CharField(_("file"), max_length=200)
    file_format = models.CharField(_("format"), max_length=4)
    stored_name = models.CharField(max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), related_name="+", null=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("uploaded"), default=dj_timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows committed"), default=0)
    # What the dry run found, then what the commit did: {"create": n, "update": n, "unchanged": n, "reject": n, …}
    checked = models.JSONField(_("dry run"), default=dict, blank=True)
    committed = models.JSONField(_("result"), default=dict, blank=True)
    # The first rejected rows: [[row number, [reason, …]], …] (reasons in the owner's language, no personal data).
    report = models.JSONField(_("report"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("import_members", _("Can import members and adjust balances in bulk")),
            ("export_members", _("Can export members and the ledger")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rows_done__lte=models.F("rows_total")), name="bulkjob_done_le_total"),
        ]
        indexes = [models.Index(fields=["program", "-created_at"], name="bulkjob_program_time_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.file_name}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == JobStatus.DONE else 0
        return int(self.rows_done * 100 / self.rows_total)

    @property
    def is_busy(self) -> bool:
        return self.status in (JobStatus.CHECKING, JobStatus.RUNNING)
