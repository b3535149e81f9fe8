from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"
    verbose_name = _("Tenancy")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenancy.models import AuditEvent, Business
        from tenancy.registry import tenant_model_register

        tenant_model_register(Business, "", superusers_only=True)
        tenant_model_register(AuditEvent, "business")
