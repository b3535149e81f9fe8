"""Admin wiring for analytics: the Dashboards screens in the Loyalty menu, the permission that opens them, and the
summary panel on the owner's home (through Wagtail's own hook, so ``programs`` never imports us)."""

from django.contrib.auth.models import Permission
from wagtail import hooks

from analytics.admin.home import AnalyticsHomePanel
from analytics.admin.viewsets import DashboardViewSet


@hooks.register("register_admin_viewset")
def register_dashboard_viewset():
    return DashboardViewSet()


@hooks.register("register_permissions")
def register_dashboard_permissions():
    # The rollups have no ModelViewSet to register it; list it so Settings → Groups can grant it.
    return Permission.objects.filter(content_type__app_label="analytics", codename="view_dashboards")


@hooks.register("construct_homepage_panels")
def add_analytics_panel(request, panels):
    # Right after the programs panel (which programs inserts first).
    panels.insert(min(1, len(panels)), AnalyticsHomePanel())
