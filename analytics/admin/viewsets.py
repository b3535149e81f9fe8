"""The Dashboards entry of the Loyalty menu: a plain ``ViewSet`` (the screens are per program, not CRUD of a model),
shown to users who may view dashboards."""

from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSet

from analytics.admin import views
from programs.admin.viewsets import LOYALTY_MENU_HOOK


class DashboardViewSet(ViewSet):
    name = views.NAMESPACE
    url_prefix = "loyalty/dashboards"
    icon = "chart-line"
    menu_label = _("Dashboards")
    menu_hook = LOYALTY_MENU_HOOK
    menu_order = 0.5  # first in the Loyalty menu: what an owner opens most

    @cached_property
    def menu_item_class(self):
        from wagtail.admin.menu import MenuItem

        def is_shown(_self, request):
            return views.user_may_view_dashboards(request.user)

        return type("DashboardMenuItem", (MenuItem,), {"is_shown": is_shown})

    def get_urlpatterns(self):
        return [
            path("", views.DashboardIndexView.as_view(), name="index"),
            path("<int:pk>/", views.DashboardView.as_view(), name="program"),
            path("<int:pk>/export/<slug:key>.<slug:fmt>", views.ExportView.as_view(), name="export"),
            path("<int:pk>/report.pdf", views.ReportView.as_view(), name="report"),
        ]
