from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulkConfig(AppConfig):
    """The customer base in and out: import from CSV/XLSX with a dry run, export, bulk adjustments."""

    name = "bulk"
    verbose_name = _("Import and export")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from bulk.models import BulkJob
        from tenancy.registry import tenant_model_register

        tenant_model_register(BulkJob, "program__business")
