from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.urls import reverse

        from programs.checklist import checklist_item_register, program_ids_with
        from tenancy.registry import tenant_model_register
        from webhooks import receivers
        from webhooks.models import WebhookDelivery, WebhookEndpoint

        # Endpoints and their deliveries are a business's rows like any other: the access helpers and the
        # business-scoped permission policy reach them through their program.
        tenant_model_register(WebhookEndpoint, "program__business")
        tenant_model_register(WebhookDelivery, "endpoint__program__business")
        receivers.connect()
        checklist_item_register(
            "webhooks.endpoint",
            label=_("Webhook endpoint"),
            help_text=_("Tells your CRM or website about purchases and new members as they happen."),
            check_many=lambda programs: program_ids_with(WebhookEndpoint.objects.filter(is_active=True), programs),
            url=lambda program: reverse("webhooks_endpoints:add"),
            optional=True,
            order=70,
        )
