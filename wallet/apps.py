from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletAppConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Wallet passes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from programs import schedules
        from wallet import receivers, tasks

        schedules.schedules_register(tasks.SCHEDULES)  # written with the engine's after every migrate
        receivers.connect()
