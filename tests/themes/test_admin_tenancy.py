"""Themes are scoped like everything else: the owner of business A walks every Themes admin URL (and the theme
chooser's) with business B's theme and gets a 404 or 403 each time, changes nothing by posting, and never reads B's
theme names in a listing, a chooser, a search or Wagtail's reports. The walk reads the URL patterns the admin
registers, so a view a later Wagtail adds is covered too."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import urlencode

from tenancy.actors import Actor
from tests.programs.admin_support import page_text
from tests.themes.conftest import make_image
from themes.models import Theme
from themes.services import theme_create, theme_save_draft

pytestmark = pytest.mark.django_db

NAMESPACES = ("wagtailsnippets_themes_theme", "wagtailsnippetchoosers_themes_theme")


@pytest.fixture
def themes(alpha, beta):
    own = theme_create(business=alpha.business, actor=Actor.staff(alpha.owner), name="Alpha Meadow", publish=True)
    theirs = theme_create(
        business=beta.business,
        actor=Actor.staff(beta.owner),
        name="Beta Midnight",
        publish=True,
        logo=make_image(beta.business, size=(480, 150), title="Beta logo"),
    )
    revision = theme_save_draft(theme=theirs, actor=Actor.staff(beta.owner), accent_colour="#222222")
    return own, theirs, revision


def theme_patterns():
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace in NAMESPACES:
                found.append((namespace, entry.name, sorted(entry.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def state(theme):
    theme = Theme.objects.get(pk=theme.pk)
    return (theme.name, theme.accent_colour, theme.live, theme.live_revision_id, theme.revisions.count())


def test_every_theme_url_with_another_business_theme_is_not_found(client, alpha, themes):
    _, theirs, revision = themes
    client.force_login(alpha.owner)
    params = {"pk": theirs.pk, "revision_id": revision.pk, "revision_id_a": revision.pk, "revision_id_b": revision.pk}
    before = state(theirs)
    walked = []

    for namespace, name, converters in theme_patterns():
        if "pk" not in converters:
            continue
        target = reverse(f"{namespace}:{name}", kwargs={key: params[key] for key in converters})
        get = client.get(target)
        post = client.post(target, {"name": "Hacked", "accent_colour": "#000000", "action-publish": "1"})
        assert get.status_code in (403, 404), f"GET {target} -> {get.status_code}"
        assert post.status_code in (403, 404, 405), f"POST {target} -> {post.status_code}"
        walked.append(f"{namespace}:{name}")

    assert state(theirs) == before
    for expected in ("edit", "delete", "history", "usage", "preview_on_edit", "unpublish", "revisions_view"):
        assert f"wagtailsnippets_themes_theme:{expected}" in walked
    assert "wagtailsnippetchoosers_themes_theme:chosen" in walked


def test_listings_choosers_and_reports_show_only_own_themes(client, alpha, beta, themes):
    own = themes[0]
    client.force_login(alpha.owner)
    pages = [
        reverse("wagtailsnippets_themes_theme:list"),
        reverse("wagtailsnippets_themes_theme:list") + "?" + urlencode({"q": "Midnight"}),
        reverse("wagtailsnippets_themes_theme:list_results"),
        reverse("wagtailsnippetchoosers_themes_theme:choose"),
        reverse("wagtailsnippetchoosers_themes_theme:choose_results") + "?" + urlencode({"q": "Beta"}),
        reverse("wagtailadmin_reports:site_history"),
        reverse("wagtailadmin_home"),
        reverse("wagtailimages:index"),
        reverse("loyalty_programs:edit", args=[alpha.program.pk]),
    ]
    listing = page_text(client.get(pages[0]))
    assert own.name in listing
    for target in pages:
        response = client.get(target)
        assert response.status_code == 200, target
        text = response.content.decode()
        for secret in ("Beta Midnight", "Beta logo", beta.business.name):
            assert secret not in text, f"{secret!r} on {target}"


def test_a_new_theme_cannot_be_given_to_another_business(client, alpha, beta, themes):
    client.force_login(alpha.owner)
    response = client.post(
        reverse("wagtailsnippets_themes_theme:add"),
        {"name": "Planted", "business": beta.business.pk, **{f"{c}_colour": "#000000" for c in ("text", "label")}},
    )
    assert response.status_code == 200
    assert not Theme.objects.filter(name="Planted").exists()


def test_a_superuser_sees_every_business_theme(admin_client, themes):
    listing = page_text(admin_client.get(reverse("wagtailsnippets_themes_theme:list")))
    assert "Alpha Meadow" in listing and "Beta Midnight" in listing


def test_another_business_image_is_refused_by_the_editor(client, alpha, beta, themes):
    from tests.programs.admin_support import field_errors, form_data

    own = themes[0]
    client.force_login(alpha.owner)
    edit = reverse("wagtailsnippets_themes_theme:edit", args=[own.pk])
    data = form_data(client.get(edit))
    data["logo"] = str(themes[1].logo_id)  # Beta's logo, posted by hand (the chooser never offers it)

    response = client.post(edit, data)

    assert response.status_code == 200
    assert field_errors(response, "logo") == ["Choose an image from your business's own collection."]
    assert Theme.objects.get(pk=own.pk).revisions.count() == 1
