from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Loyalty programs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here, not at the top: they import the models, which don't exist before the registry is ready.
        from programs import jobs, schedules, signals

        schedules.schedules_register(jobs.SCHEDULES)
        signals.connect()
