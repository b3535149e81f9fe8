from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenancy.registry import tenant_model_register
        from webhooks import receivers
        from webhooks.models import WebhookDelivery, WebhookEndpoint

        # Endpoints and their deliveries are a business's rows like any other: the access helpers and the
        # business-scoped permission policy reach them through their program.
        tenant_model_register(WebhookEndpoint, "program__business")
        tenant_model_register(WebhookDelivery, "endpoint__program__business")
        receivers.connect()
