from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Loyalty programs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from programs import signals

        signals.connect_config_signals()
