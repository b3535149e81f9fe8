from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = _("Portal pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from pages import jobs, receivers, selectors
        from pages.demo import pages_demo_ensure
        from pages.models import PortalHomePage
        from programs import schedules
        from programs.checklist import program_link_register
        from programs.demo import demo_extension_register
        from tenancy.registry import tenant_page_roots_register

        def portal_roots(business_ids):
            # An owner's page tree: their programs' portal homes (and, by the scoping, everything under them).
            return PortalHomePage.objects.filter(program__business_id__in=list(business_ids)).order_by("path")

        tenant_page_roots_register(portal_roots)
        receivers.connect()
        schedules.schedules_register(jobs.SCHEDULES)  # written with the engine's after every migrate
        demo_extension_register("pages", pages_demo_ensure)
        # Each program card of the owner's home links to its portal and to the portal's pages in the admin.
        program_link_register("pages.portal", label=_("Portal"), links_many=selectors.portal_urls_for, order=10)
        program_link_register(
            "pages.portal_pages", label=_("Portal pages"), links_many=selectors.portal_explore_urls_for, order=20
        )
