from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    IMPORT = "import", _("Import of members")
    ADJUST = "adjust", _("Bulk adjustment")


class JobStatus(models.TextChoices):
    CHECKING = "checking", _("Checking the file")
    CHECKED = "checked", _("Checked: waiting for your go-ahead")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Stopped by an error")


class RowOutcome(models.TextChoices):
    CREATE = "create", _("New members")
    UPDATE = "update", _("Profiles updated")
    UNCHANGED = "unchanged", _("Already there, unchanged")
    ADJUST = "adjust", _("Cards to adjust")
    REJECT = "reject", _("Rejected")
