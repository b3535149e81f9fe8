"""The pages app's admin wiring: the operator's "Portal sites" screen (superusers only)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from pages.admin import PortalSiteCreateView
from pages.admin_launch import ProgramLaunchView


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_active and request.user.is_superuser


@hooks.register("register_admin_urls")
def register_portal_site_urls():
    return [
        path("portal-sites/new/", PortalSiteCreateView.as_view(), name="pages_portal_site_create"),
        # The home's "New loyalty program" button (programs/admin/home.py) opens this by its URL name.
        path("loyalty/launch/", ProgramLaunchView.as_view(), name="pages_program_launch"),
    ]


@hooks.register("register_settings_menu_item")
def register_portal_site_menu_item():
    return SuperuserMenuItem(_("New portal site"), reverse("pages_portal_site_create"), icon_name="site", order=610)
