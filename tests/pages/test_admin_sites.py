"""The operator's "New portal site" screen: superusers give a program its portal; owners never reach it."""

import pytest
from wagtail.models import Site

from pages.services import portal_site_for
from tests.pages.conftest import portal_for

pytestmark = pytest.mark.django_db

URL = "/admin/portal-sites/new/"


def test_superuser_creates_a_portal_from_the_admin(admin_client, alpha, beta):
    portal_for(beta)
    form = admin_client.get(URL).content.decode()
    assert "Alpha Club" in form and "Beta Club" not in form  # only programs without a portal
    assert "New portal site" in admin_client.get("/admin/").content.decode()
    response = admin_client.post(
        URL, {"program": alpha.program.pk, "hostname": "Club.Alpha.localhost", "port": "8000", "language": "uk"}
    )
    site = portal_site_for(alpha.program)
    assert (site.hostname, site.port, site.root_page.specific.language) == ("club.alpha.localhost", 8000, "uk")
    assert response.status_code == 302 and response["Location"] == f"/admin/pages/{site.root_page_id}/edit/"


def test_a_taken_host_name_is_refused_on_the_form(admin_client, alpha, beta):
    portal_for(beta, hostname="club.localhost")
    response = admin_client.post(
        URL, {"program": alpha.program.pk, "hostname": "club.localhost", "port": "80", "language": "en"}
    )
    assert response.status_code == 200
    assert "Another site already answers to this host name." in response.content.decode()
    assert portal_site_for(alpha.program) is None and Site.objects.filter(hostname="club.localhost").count() == 1


def test_owners_cannot_create_portals(client, alpha):
    client.force_login(alpha.owner)
    assert "New portal site" not in client.get("/admin/").content.decode()
    assert client.get(URL).status_code in (302, 403)
    client.post(URL, {"program": alpha.program.pk, "hostname": "mine.localhost", "port": "80", "language": "en"})
    assert portal_site_for(alpha.program) is None
