"""The admin and the API's documentation pages carry a Content-Security-Policy that allows this origin only, and
they work under it: a real browser walks them and no load is blocked. Customers' pages (the cabinet, promo pages)
carry a stricter one without inline scripts; the cabinet's browser walk (tests/portal/test_cabinet_browser.py) and
the promo pages' (tests/pages/test_portal_browser.py) watch it the same way."""

import pytest
from django.test import Client
from django.urls import reverse

from pages.services import portal_site_create
from tenancy.actors import Actor
from tests.browser import admin_login, policy_watch, screenshots
from tests.programs.admin_support import build_tenant

CSP_PAGES = ["/admin/login/", "/api/v1/docs/", "/api/v1/redoc/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", CSP_PAGES)
def test_the_policy_allows_this_origin_only(client, path):
    policy = client.get(path)["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'self'"
    assert "http" not in policy and "*" not in policy


def directives_of(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


@pytest.mark.django_db
def test_customers_pages_allow_no_inline_script_and_no_other_origin(client):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    home = portal_site_create(program=tenant.program, hostname="kvitka.localhost", actor=Actor.system("test")).root_page
    portal = Client(HTTP_HOST="kvitka.localhost")

    for path in ["/", "/account/sign-in/", "/no-such-page/"]:
        response = portal.get(path)
        assert response.status_code == (404 if path == "/no-such-page/" else 200), path
        directives = directives_of(response)
        assert directives["script-src"] == "'self'", path
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
        assert directives["frame-src"] == "'none'" and directives["form-action"] == "'self'"
        assert "http" not in response["Content-Security-Policy"] and "*" not in response["Content-Security-Policy"]
    assert home.live


@pytest.mark.django_db
def test_answers_that_are_not_documents_carry_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/api/v1/lookup/")


# ReDoc's bundle always draws Redocly's logo from their CDN in its sidebar; the policy stops that request before it
# leaves the browser (the image hides itself on error). Nothing else may be blocked.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_and_api_docs_work_under_the_policy(page, live_server):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    blocked, elsewhere = policy_watch(page, live_server.url)
    admin_login(page, live_server, tenant.owner)
    for path in [
        "/admin/",
        reverse("loyalty_members:index"),
        reverse("loyalty_members:detail", args=[tenant.card.member_id]),
        reverse("loyalty_card_types:edit", args=[tenant.card.card_type_id]),
        "/admin/images/",
        "/admin/pages/",
    ]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=15000)
    page.goto(f"{live_server.url}/api/v1/redoc/")
    page.wait_for_selector("[role=menuitem], .menu-content", timeout=15000)
    screenshots(page, "api-redoc-under-csp", sizes=(("desktop", {"width": 1440, "height": 900}),), full_page=False)

    assert elsewhere == []
    assert [text for text in blocked if REDOC_LOGO not in text] == []
    assert any(REDOC_LOGO in text for text in blocked)  # what the policy is for
