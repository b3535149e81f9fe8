from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "pages"
    verbose_name = _("Portal pages")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.urls import reverse

        from pages import jobs, receivers
        from pages.checklist import portal_explore_urls, portal_urls, programs_with_live_promo
        from pages.demo import pages_demo_ensure
        from pages.models import PortalHomePage
        from programs import schedules
        from programs.checklist import checklist_item_register, program_link_register
        from programs.demo import demo_extension_register
        from tenancy.registry import tenant_page_roots_register

        def portal_roots(business_ids):
            # An owner's page tree: their programs' portal homes (and, by the scoping, everything under them).
            return PortalHomePage.objects.filter(program__business_id__in=list(business_ids)).order_by("path")

        tenant_page_roots_register(portal_roots)
        receivers.connect()
        schedules.schedules_register(jobs.SCHEDULES)  # written with the engine's after every migrate
        demo_extension_register("pages", pages_demo_ensure)

        # The owner's home: each program's portal link, and whether it has a portal and a live promo page.
        program_link_register("pages.portal", label=_("Portal"), links_many=portal_urls, order=10)
        program_link_register("pages.portal_pages", label=_("Portal pages"), links_many=portal_explore_urls, order=20)
        checklist_item_register(
            "pages.portal",
            label=_("Customer portal"),
            help_text=_("The program's own site: its brand, how to join, how points and tiers work."),
            check_many=lambda programs: set(portal_urls(programs)),
            # No link: a portal comes with "New loyalty program", or from the operator (superusers only).
            optional=True,
            order=65,
        )
        checklist_item_register(
            "pages.promo",
            label=_("Promo page"),
            help_text=_("An offer or a campaign on the portal, published on the dates you choose."),
            check_many=programs_with_live_promo,
            url=lambda program: reverse("wagtailadmin_explore_root"),
            optional=True,
            order=66,
        )
