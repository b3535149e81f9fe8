"""Portal sites: the service that makes one per program, the page types' places in the tree, the owners' page
permissions, the default site's landing page and the demo's portals."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models.signals import post_save
from wagtail.models import GroupPagePermission, Page, Site

from pages.demo import pages_demo_ensure
from pages.models import LandingPage, PortalHomePage, PromoPage
from pages.services import portal_home_for, portal_permissions_ensure, portal_site_for
from programs.errors import InvalidInput
from programs.factories import ProgramFactory
from tenancy.models import AuditEvent
from tests.pages.conftest import portal_for

pytestmark = pytest.mark.django_db


def test_site_create_makes_a_published_home_under_the_root_and_its_site(alpha):
    site = portal_for(alpha, hostname="Alpha.Localhost", port=8000)
    home = site.root_page.specific
    assert isinstance(home, PortalHomePage)
    assert home.program == alpha.program
    assert home.live and home.live_revision_id is not None
    assert home.get_parent().pk == Page.get_first_root_node().pk
    assert (site.hostname, site.port, site.is_default_site) == ("alpha.localhost", 8000, False)
    assert portal_site_for(alpha.program) == site
    assert portal_home_for(alpha.program) == home
    granted = GroupPagePermission.objects.filter(group=alpha.business.staff_group, page=home)
    assert {grant.permission.codename for grant in granted} == {"add_page", "change_page", "publish_page"}
    event = AuditEvent.objects.get(action="portal_site.create")
    assert (event.program, event.changes["hostname"]) == (alpha.program, [None, "alpha.localhost"])


def test_a_program_without_a_portal_has_no_site(alpha):
    assert portal_site_for(alpha.program) is None
    assert portal_home_for(alpha.program) is None


@pytest.mark.parametrize("hostname", ["", "http://alpha.localhost", "alpha.localhost:8000", "alpha .localhost", "a/b"])
def test_site_create_refuses_a_malformed_host_name(alpha, hostname):
    with pytest.raises(InvalidInput) as refused:
        portal_for(alpha, hostname=hostname)
    assert refused.value.field == "hostname"
    assert not PortalHomePage.objects.exists()


def test_site_create_refuses_a_taken_host_name_whatever_the_port(alpha, beta):
    portal_for(alpha, hostname="club.localhost", port=80)
    with pytest.raises(InvalidInput):
        portal_for(beta, hostname="club.localhost", port=8080)
    assert portal_home_for(beta.program) is None


def test_site_create_refuses_a_second_portal_for_a_program(alpha):
    portal_for(alpha)
    with pytest.raises(InvalidInput):
        portal_for(alpha, hostname="again.localhost")
    assert PortalHomePage.objects.count() == 1 and Site.objects.filter(hostname="again.localhost").count() == 0


def test_site_create_is_one_transaction(alpha):
    """Anything failing after the page is published (here the site's post_save receiver) leaves no page, site,
    revision, permission or audit row."""
    from wagtail.models import Revision

    pages_before, revisions_before = Page.objects.count(), Revision.objects.count()

    def fail(sender, instance, **kwargs):
        raise RuntimeError("site storage failed")

    post_save.connect(fail, sender=Site, dispatch_uid="test-fail-site")
    try:
        with pytest.raises(RuntimeError):
            portal_for(alpha)
    finally:
        post_save.disconnect(sender=Site, dispatch_uid="test-fail-site")
    assert Page.objects.count() == pages_before
    assert not PortalHomePage.objects.exists()
    assert not Site.objects.filter(hostname="alpha.localhost").exists()
    assert not GroupPagePermission.objects.filter(group=alpha.business.staff_group).exists()
    assert not AuditEvent.objects.filter(action="portal_site.create").exists()
    assert Revision.objects.count() == revisions_before


def test_page_types_have_their_places(alpha_site):
    root = Page.get_first_root_node()
    home = alpha_site.root_page.specific
    landing = LandingPage.objects.get()
    # A home goes only under the root, and only through portal_site_create (it needs its program and site).
    assert PortalHomePage.parent_page_types == ["wagtailcore.Page"] and not PortalHomePage.is_creatable
    assert not PortalHomePage.can_create_at(root)
    assert not PortalHomePage.can_create_at(home)
    assert not PortalHomePage.can_create_at(landing)
    assert PortalHomePage.can_exist_under(root) and not PortalHomePage.can_exist_under(home)
    assert PromoPage.can_create_at(home)
    assert not PromoPage.can_create_at(root)
    assert not PromoPage.can_create_at(landing)
    promo = home.add_child(instance=PromoPage(title="Promo", slug="promo", body=[]))
    assert not PromoPage.can_create_at(promo)
    assert not LandingPage.can_create_at(root)  # one is enough (max_count)


def test_one_home_per_program(alpha_site, alpha):
    with pytest.raises(ValidationError, match="already exists"):
        Page.get_first_root_node().add_child(
            instance=PortalHomePage(title="Second", slug="second", program=alpha.program)
        )


def test_permissions_ensure_is_idempotent_and_brings_old_homes_up_to_date(alpha_site, alpha):
    home = alpha_site.root_page.specific
    GroupPagePermission.objects.filter(page=home).delete()
    portal_permissions_ensure(home=home)
    portal_permissions_ensure(home=home)
    assert GroupPagePermission.objects.filter(page=home, group=alpha.business.staff_group).count() == 3


def test_default_site_shows_the_kartka_landing_page(client):
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, LandingPage)
    response = client.get("/", HTTP_HOST="localhost")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Welcome to your new Wagtail site" not in text
    assert "Sign in for staff" in text and 'href="/admin/"' in text


def test_an_unknown_subdomain_gets_the_landing_page_not_a_portal(client, alpha_site):
    text = client.get("/", HTTP_HOST="nobody.localhost").content.decode()
    assert "Sign in for staff" in text
    assert "Alpha Club" not in text


def test_demo_portals_are_made_once_on_the_demo_port(monkeypatch):
    from programs.factories import BusinessFactory

    kvitka = ProgramFactory(business=BusinessFactory(slug="kvitka", name="Kvitka Fashion"), slug="kvitka-club")
    zerno = ProgramFactory(business=BusinessFactory(slug="zerno", name="Zerno Coffee"), slug="zerno-friends")
    monkeypatch.setenv("PORT", "8123")
    lines = pages_demo_ensure()
    assert lines == [
        f"Portal: http://kvitka.localhost:8123/  ({kvitka.name})",
        f"Portal: http://zerno.localhost:8123/  ({zerno.name})",
    ]
    counts = (Site.objects.count(), Page.objects.count(), GroupPagePermission.objects.count())
    assert pages_demo_ensure() == lines
    assert (Site.objects.count(), Page.objects.count(), GroupPagePermission.objects.count()) == counts
    titles = sorted(PromoPage.objects.live().values_list("title", flat=True))
    assert titles[0] == "Every 10th coffee free" and titles[1].startswith("Подвійні бали за аксесуари до ")
    # Each portal speaks its customers' language: Kvitka's Ukrainian, Zerno's English.
    languages = {home.program.slug: home.language for home in PortalHomePage.objects.select_related("program")}
    assert languages == {"kvitka-club": "uk", "zerno-friends": "en"}
    # Served on another port next time: the sites follow.
    monkeypatch.setenv("PORT", "9000")
    assert pages_demo_ensure()[0] == f"Portal: http://kvitka.localhost:9000/  ({kvitka.name})"
    assert set(Site.objects.filter(hostname__endswith=".localhost").values_list("port", flat=True)) == {9000}
    assert Permission.objects.filter(grouppagepermission__page__in=PortalHomePage.objects.all()).exists()


def test_the_admin_offers_no_portal_home_form_even_to_a_superuser(admin_client):
    """A home without its program and site would be a broken portal: only portal_site_create makes one."""
    root = Page.get_first_root_node()
    assert "portalhomepage" not in admin_client.get(f"/admin/pages/{root.pk}/add_subpage/").content.decode()
    response = admin_client.get(f"/admin/pages/add/pages/portalhomepage/{root.pk}/")
    assert (response.status_code, response.get("Location")) in ((302, "/admin/"), (403, None), (404, None))
