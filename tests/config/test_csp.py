"""The admin and the API's documentation pages carry a Content-Security-Policy that allows this origin only, and
they work under it: a real browser walks them and no load is blocked."""

import pytest
from django.urls import reverse

from tests.browser import admin_login, screenshots
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


@pytest.mark.django_db
def test_the_portal_and_the_api_answers_are_left_alone(client):
    assert "Content-Security-Policy" not in client.get("/api/v1/lookup/")


# ReDoc's bundle always draws Redocly's logo from their CDN in its sidebar; the policy stops that request before it
# leaves the browser (the image hides itself on error). Nothing else may be blocked.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def watch(page, live_server) -> tuple[list[str], list[str]]:
    """What the page's policy blocks (console reports) and every request answered by anything but this server (a
    blocked request fails instead; ``blob:`` URLs of this origin are the page's own data)."""
    blocked, elsewhere = [], []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    local = (live_server.url, f"blob:{live_server.url}", "data:")
    page.on("requestfinished", lambda request: request.url.startswith(local) or elsewhere.append(request.url))
    return blocked, elsewhere


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_admin_and_api_docs_work_under_the_policy(page, live_server):
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    blocked, elsewhere = watch(page, live_server)
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
