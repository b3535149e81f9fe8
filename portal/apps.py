from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Customer portal")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from portal import jobs
        from portal.demo import portal_demo_ensure
        from programs import schedules
        from programs.demo import demo_extension_register

        demo_extension_register("portal", portal_demo_ensure)
        schedules.schedules_register(jobs.SCHEDULES)  # written with the engine's after every migrate
