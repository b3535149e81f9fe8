from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletAppConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Wallet passes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from programs import schedules
        from tenancy.registry import tenant_model_register
        from wallet import receivers, tasks
        from wallet.models import WalletConfig

        # A program's settings are its business's rows like any other (the access helpers and the audit log's scope).
        tenant_model_register(WalletConfig, "program__business")

        schedules.schedules_register(tasks.SCHEDULES)  # written with the engine's after every migrate
        receivers.connect()
