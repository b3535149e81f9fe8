"""What the owner's admin home shows about the portals (registered with ``programs.checklist`` in
``PagesConfig.ready``): each program's portal link and whether it has a live promo page.

Kept apart from ``pages.selectors``, which the page models import: these read the page models."""

from functools import reduce
from operator import or_

from django.db.models import Q
from wagtail.models import Site

from pages.models import PortalHomePage, PromoPage


def portal_urls(programs) -> dict[int, str]:
    """``{program_id: the portal's root URL}`` for those of ``programs`` that have a portal (one query)."""
    rows = Site.objects.filter(root_page__portalhomepage__program_id__in=[program.pk for program in programs])
    urls = {}
    for hostname, port, program_id in rows.order_by("pk").values_list(
        "hostname", "port", "root_page__portalhomepage__program_id"
    ):
        urls.setdefault(program_id, Site(hostname=hostname, port=port).root_url + "/")
    return urls


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
