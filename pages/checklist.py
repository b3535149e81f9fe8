"""What the owner's admin home shows about the portals (registered with ``programs.checklist`` in
``PagesConfig.ready``): each program's portal link and whether it has a live promo page.

Kept apart from ``pages.selectors``, which the page models import: these read the page models."""

from functools import reduce
from operator import or_

from django.db.models import Q
from django.urls import reverse
from wagtail.models import Site

from pages.models import PortalHomePage, PromoPage


def _portal_sites(programs) -> dict[int, Site]:
    """``{program_id: its portal's Site}`` (hostname, port and root page only) for those that have one: one query."""
    rows = Site.objects.filter(root_page__portalhomepage__program_id__in=[program.pk for program in programs])
    sites = {}
    for program_id, hostname, port, root_page_id in rows.order_by("pk").values_list(
        "root_page__portalhomepage__program_id", "hostname", "port", "root_page_id"
    ):
        sites.setdefault(program_id, Site(hostname=hostname, port=port, root_page_id=root_page_id))
    return sites


def portal_urls(programs) -> dict[int, str]:
    """``{program_id: the portal's root URL}`` for those of ``programs`` that have a portal (one query)."""
    return {program_id: site.root_url + "/" for program_id, site in _portal_sites(programs).items()}


def portal_explore_urls(programs) -> dict[int, str]:
    """``{program_id: the admin's page explorer at the portal home}`` (one query)."""
    return {
        program_id: reverse("wagtailadmin_explore", args=[site.root_page_id])
        for program_id, site in _portal_sites(programs).items()
    }


def programs_with_live_promo(programs) -> set[int]:
    """Ids of ``programs`` whose portal has at least one live promo page (two queries)."""
    homes = dict(
        PortalHomePage.objects.filter(program_id__in=[program.pk for program in programs]).values_list(
            "path", "program_id"
        )
    )
    if not homes:
        return set()
    under_a_home = reduce(or_, (Q(path__startswith=path) for path in homes))
    paths = PromoPage.objects.live().filter(under_a_home).values_list("path", flat=True)
    return {program_id for path in paths for home, program_id in homes.items() if path.startswith(home)}
