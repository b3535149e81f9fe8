from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThemesConfig(AppConfig):
    name = "themes"
    verbose_name = _("Themes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.urls import reverse

        from programs.checklist import checklist_item_register
        from programs.demo import demo_extension_register
        from tenancy.registry import tenant_model_register
        from themes.demo import themes_demo_ensure
        from themes.models import Theme
        from themes.selectors import programs_with_live_theme

        tenant_model_register(Theme, "business")
        demo_extension_register("themes", themes_demo_ensure)
        checklist_item_register(
            "themes.theme",
            label=_("Theme"),
            help_text=_("Colours, font and logo of the portal, the pages and the wallet cards."),
            check_many=programs_with_live_theme,
            # The program's form holds the theme choice (its "Look" panel), next to a link to the themes.
            url=lambda program: reverse("loyalty_programs:edit", args=[program.pk]),
            # Tills work without it and the portal falls back to Kartka's palette: not a blocker.
            optional=True,
            order=60,
        )
