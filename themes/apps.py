from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThemesConfig(AppConfig):
    name = "themes"
    verbose_name = _("Themes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from programs.demo import demo_extension_register
        from tenancy.registry import tenant_model_register
        from themes.demo import themes_demo_ensure
        from themes.models import Theme

        tenant_model_register(Theme, "business")
        demo_extension_register("themes", themes_demo_ensure)
