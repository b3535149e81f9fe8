"""Admin wiring for the loyalty engine: the one Loyalty menu group. (The business-scoped permission policies
were registered by ``ProgramsConfig.ready`` through ``tenancy.registry``.)"""

from django.contrib.auth.models import Permission
from wagtail import hooks

from programs.admin.home import ProgramsHomePanel
from programs.admin.viewsets import LoyaltyViewSetGroup


@hooks.register("register_admin_viewset")
def register_loyalty_viewsets():
    return LoyaltyViewSetGroup()


@hooks.register("register_permissions")
def register_member_permissions():
    # Members and cards have no ModelViewSet to register these; list them so Settings → Groups can grant them.
    return Permission.objects.filter(
        content_type__app_label="programs",
        codename__in=["add_member", "change_member", "view_member", "change_card", "view_card"],
    )


@hooks.register("construct_homepage_panels")
def add_programs_panel(request, panels):
    # First on the page; Wagtail's own panels (workflows, locked pages, recent edits) follow and stay empty
    # until an owner edits portal pages.
    panels.insert(0, ProgramsHomePanel())


@hooks.register("construct_homepage_summary_items", order=100)  # after the apps that add the counts
def drop_media_counts(request, summary_items):
    # "0 Pages · 3 Images · 1 Document" tells an owner nothing; the program cards below carry the figures.
    summary_items.clear()
