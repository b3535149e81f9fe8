"""Tenancy of the portal pages, in the style of ``tests/programs/test_admin_tenancy.py``: the owner of business A
walks every page URL of the admin (explorer, editor, previews, revisions, history, choosers, the admin API, bulk
actions, reports) with business B's page ids and never sees B's titles, and cannot change B's pages by posting;
in their own tree they add, edit and publish promo pages."""

import pytest
from wagtail.models import Page

from pages.models import PromoPage
from tests.pages.conftest import portal_for
from tests.programs.admin_support import form_data

pytestmark = pytest.mark.django_db

BETA_TITLES = ("Beta Club", "Beta public promo", "Beta secret promo")


@pytest.fixture
def sites(alpha, beta):
    made = {}
    for tenant, name in ((alpha, "Alpha"), (beta, "Beta")):
        home = portal_for(tenant).root_page.specific
        public = home.add_child(instance=PromoPage(title=f"{name} public promo", slug="public", body=[]))
        public.save_revision().publish()
        secret = home.add_child(instance=PromoPage(title=f"{name} secret promo", slug="secret", body=[], live=False))
        secret.title = f"{name} secret promo"
        secret.save_revision()
        made[name] = {"home": home, "public": public, "secret": secret}
    return made


@pytest.fixture
def alpha_client(client, alpha):
    client.force_login(alpha.owner)
    return client


def beta_urls(made) -> list[str]:
    home, public, secret = (made["Beta"][key].pk for key in ("home", "public", "secret"))
    revision = made["Beta"]["secret"].latest_revision_id
    urls = [
        "/admin/",
        "/admin/pages/",
        "/admin/pages/search/?q=Beta",
        "/admin/pages/search/?q=promo",
        "/admin/choose-page/",
        "/admin/choose-page/search/?q=Beta",
        "/admin/api/main/pages/",
        "/admin/api/main/pages/?child_of=root&for_explorer=1",
        "/admin/api/main/pages/?search=Beta",
        "/admin/reports/aging-pages/",
        "/admin/reports/locked/",
        "/admin/reports/site-history/",
        f"/admin/bulk/wagtailcore/page/delete/?id={public}&id={secret}",
        f"/admin/bulk/wagtailcore/page/publish/?id={secret}",
        f"/admin/bulk/wagtailcore/page/unpublish/?id={public}",
        f"/admin/bulk/wagtailcore/page/move/?id={public}",
        f"/admin/pages/{secret}/revisions/{revision}/view/",
        f"/admin/pages/{secret}/revisions/compare/live...{revision}/",
    ]
    for page in (home, public, secret):
        urls += [
            f"/admin/pages/{page}/",
            f"/admin/pages/{page}/edit/",
            f"/admin/pages/{page}/edit/preview/",
            f"/admin/pages/{page}/view_draft/",
            f"/admin/pages/{page}/history/",
            f"/admin/pages/{page}/history/results/",
            f"/admin/pages/{page}/revisions/",
            f"/admin/pages/{page}/usage/",
            f"/admin/pages/{page}/add_subpage/",
            f"/admin/pages/add/pages/promopage/{page}/",
            f"/admin/pages/{page}/copy/",
            f"/admin/pages/{page}/move/",
            f"/admin/pages/{page}/delete/",
            f"/admin/pages/{page}/unpublish/",
            f"/admin/pages/{page}/lock/",
            f"/admin/pages/{page}/workflow_history/",
            f"/admin/pages/{page}/privacy/",
            f"/admin/choose-page/{page}/",
            f"/admin/api/main/pages/{page}/",
            f"/admin/api/main/pages/?child_of={page}&for_explorer=1",
        ]
    return urls


def test_owner_never_sees_another_business_pages(alpha_client, sites):
    for url in beta_urls(sites):
        response = alpha_client.get(url)
        assert response.status_code < 500, url
        text = response.content.decode()
        for title in BETA_TITLES:
            assert title not in text, f"{url} shows {title!r}"


def test_owner_cannot_change_another_business_pages(alpha_client, sites):
    beta = sites["Beta"]
    before = {page.pk: (page.title, page.live, page.path) for page in Page.objects.all()}
    home, public, secret = beta["home"], beta["public"], beta["secret"]
    attempts = [
        (
            f"/admin/pages/{public.pk}/edit/",
            {"title": "Hacked", "slug": "public", "body-count": "0", "action-publish": "1"},
        ),
        (
            f"/admin/pages/add/pages/promopage/{home.pk}/",
            {"title": "Planted", "slug": "planted", "body-count": "0", "action-publish": "1"},
        ),
        (f"/admin/pages/{public.pk}/unpublish/", {}),
        (f"/admin/pages/{public.pk}/delete/", {}),
        (f"/admin/pages/{secret.pk}/lock/", {}),
        (f"/admin/pages/{public.pk}/move/{sites['Alpha']['home'].pk}/confirm/", {}),
        (
            f"/admin/pages/{public.pk}/copy/",
            {"new_title": "Stolen", "new_slug": "stolen", "new_parent_page": sites["Alpha"]["home"].pk},
        ),
        (f"/admin/bulk/wagtailcore/page/publish/?id={secret.pk}", {}),
        (f"/admin/bulk/wagtailcore/page/unpublish/?id={public.pk}", {}),
        (f"/admin/bulk/wagtailcore/page/delete/?id={public.pk}", {}),
    ]
    for url, data in attempts:
        response = alpha_client.post(url, data)
        assert response.status_code in (302, 403, 404) or response.status_code == 200, url
    after = {page.pk: (page.title, page.live, page.path) for page in Page.objects.all()}
    assert after == before
    assert not Page.objects.filter(title__in=("Hacked", "Planted", "Stolen")).exists()


def test_owner_sees_and_edits_their_own_pages(alpha_client, sites):
    alpha = sites["Alpha"]
    explorer = alpha_client.get("/admin/pages/", follow=True).content.decode()
    assert "Alpha Club" in explorer and "Alpha public promo" in explorer
    assert "Alpha secret promo" in alpha_client.get(f"/admin/pages/{alpha['home'].pk}/").content.decode()
    assert "Alpha public promo" in alpha_client.get("/admin/api/main/pages/?search=Alpha").content.decode()
    assert "Alpha Club" in alpha_client.get("/admin/choose-page/").content.decode()
    # Only promo pages may be added under the home.
    add = alpha_client.get(f"/admin/pages/{alpha['home'].pk}/add_subpage/")
    assert add.status_code in (200, 302)
    if add.status_code == 302:
        assert add["Location"].endswith(f"/admin/pages/add/pages/promopage/{alpha['home'].pk}/")
    form = alpha_client.get(f"/admin/pages/add/pages/promopage/{alpha['home'].pk}/")
    assert form.status_code == 200
    data = form_data(form, form_id="page-edit-form")
    data.update({"title": "Alpha winter promo", "slug": "winter", "action-publish": "action-publish"})
    # One "join" block, as the StreamField's JavaScript would post it.
    data.update({"body-count": "1", "body-0-type": "join", "body-0-deleted": "", "body-0-order": "0"})
    data.update({"body-0-id": "", "body-0-value-heading": "Join us", "body-0-value-text": ""})
    response = alpha_client.post(f"/admin/pages/add/pages/promopage/{alpha['home'].pk}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    winter = PromoPage.objects.get(slug="winter")
    assert winter.live and winter.get_parent().pk == alpha["home"].pk
    # The home itself can be edited and published, but a promo page cannot be added at the root.
    assert alpha_client.get(f"/admin/pages/{alpha['home'].pk}/edit/").status_code == 200
    root = Page.get_first_root_node()
    assert alpha_client.get(f"/admin/pages/add/pages/promopage/{root.pk}/").status_code in (302, 403, 404)
    assert alpha_client.get(f"/admin/pages/add/pages/portalhomepage/{root.pk}/").status_code in (302, 403, 404)


def test_owner_has_the_pages_menu_opening_on_their_portal(alpha_client, sites):
    """Wagtail shows "Pages" to whoever has a page permission, starting at the pages they may edit: the owner's
    portal home (the staff group's permissions from ``portal_site_create``)."""
    menu = alpha_client.get("/admin/").content.decode()
    home = sites["Alpha"]["home"].pk
    assert (
        '"wagtail.sidebar.PageExplorerMenuItem", "_args": [{"name": "explorer", "label": "Pages", '
        '"icon_name": "folder-open-inverse", "classname": "", "attrs": {}, "url": "/admin/pages/"}, '
        f"{home}]"
    ) in menu
    assert alpha_client.get("/admin/pages/")["Location"] == f"/admin/pages/{home}/"


def test_staff_of_a_business_without_a_portal_has_no_pages_menu(client, alpha):
    client.force_login(alpha.owner)
    assert "PageExplorerMenuItem" not in client.get("/admin/").content.decode()


def test_owner_cannot_delete_or_move_their_portal_home(alpha_client, sites, alpha):
    home = sites["Alpha"]["home"]
    assert not home.permissions_for_user(alpha.owner).can_delete()
    assert not home.permissions_for_user(alpha.owner).can_move()
    assert home.permissions_for_user(alpha.owner).can_publish()
    alpha_client.post(f"/admin/pages/{home.pk}/delete/")
    alpha_client.post(f"/admin/bulk/wagtailcore/page/delete/?id={home.pk}")
    assert Page.objects.filter(pk=home.pk).exists()
    assert sites["Alpha"]["public"].permissions_for_user(alpha.owner).can_delete()
