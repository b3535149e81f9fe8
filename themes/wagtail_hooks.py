"""Admin wiring for themes: the Themes menu (the business-scoped permission policy was registered by
``ThemesConfig.ready`` through ``tenancy.registry``)."""

from wagtail.snippets.models import register_snippet

from themes.admin.viewsets import ThemeViewSet

register_snippet(ThemeViewSet)
