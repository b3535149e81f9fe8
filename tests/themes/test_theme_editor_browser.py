"""The theme editor in a real browser: the owner types an accent that fails contrast and sees the live warning,
fixes it, watches the preview iframe redraw the card in the new colour, and publishes."""

import time

import pytest
from django.urls import reverse

from tenancy.actors import Actor
from tests.browser import DESKTOP, SCREENSHOTS, admin_login, screenshots, wait_until
from tests.programs.admin_support import build_tenant
from tests.themes.conftest import make_image
from themes.demo import monogram_png
from themes.models import Theme
from themes.services import theme_create, theme_program_assign
from themes.tokens import theme_tokens

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def wait_for_preview(page, body_class: str, timeout: float = 15) -> None:
    """Poll until the preview iframe shows a document whose body has ``body_class``."""
    deadline = time.monotonic() + timeout
    script = (
        "() => { const f = document.getElementById('w-preview-iframe');"
        " const d = f && f.contentDocument;"
        " return d && d.readyState === 'complete' && d.body ? d.body.className : ''; }"
    )
    while body_class not in page.evaluate(script).split():
        assert time.monotonic() < deadline, f"the preview never showed {body_class}"
        page.wait_for_timeout(200)


def card_strip_colour(page) -> str:
    frame = page.frame_locator("#w-preview-iframe")
    return frame.locator(".k-card__strip").evaluate("node => getComputedStyle(node).backgroundColor")


def test_owner_fixes_contrast_live_and_publishes(page, live_server, settings):
    # The test database is SQLite in memory, shared by the live server's threads: an autosave and a preview
    # update writing at the same moment fail with "table is locked". The preview is what is tested here.
    settings.WAGTAIL_AUTOSAVE_INTERVAL = 0
    settings.WAGTAIL_EDITING_SESSION_PING_INTERVAL = 0
    tenant = build_tenant("kvitka", phone="+380501112233", first_name="Olena")
    actor = Actor.staff(tenant.owner)
    logo = make_image(
        tenant.business,
        title="Kvitka logo",
        content=monogram_png(letter="K", name="Kvitka", background="#b03a5b", foreground="#ffffff", size=(480, 150)),
    )
    theme = theme_create(
        business=tenant.business,
        actor=actor,
        name="Kvitka Bloom",
        publish=True,
        background_colour="#fff7f3",
        text_colour="#2d1a22",
        label_colour="#6f4d5b",
        accent_colour="#b03a5b",
        stamp_filled_colour="#b03a5b",
        stamp_empty_colour="#efc9d3",
        font="montserrat",
        logo=logo,
    )
    theme_program_assign(program=tenant.program, theme=theme, actor=actor)
    admin_login(page, live_server, tenant.owner)

    page.goto(live_server.url + reverse("wagtailsnippets_themes_theme:edit", args=[theme.pk]))
    warning = page.locator("[data-contrast-warning]")
    accent_row = page.locator('[data-contrast-pair][data-background="id_accent_colour"]')
    assert warning.is_hidden()
    screenshots(page, "theme-editor")

    # Open the preview panel: the card in the live colours.
    page.locator('[data-side-panel-toggle="preview"]').click()
    wait_until(
        page,
        "() => { const f = document.querySelector('#w-preview-iframe');"
        " const n = f && f.contentDocument && f.contentDocument.querySelector('.k-card__strip');"
        " return n && getComputedStyle(n).backgroundColor === 'rgb(176, 58, 91)'; }",
    )
    # Wagtail takes the form's starting state 2 s after loading; what is typed before that counts as unchanged
    # and would never reach the preview. A person takes longer than that to start typing.
    page.wait_for_timeout(2500)

    # A pale yellow accent under white text: the check flags it as the owner types.
    page.fill("#id_accent_colour", "#ffd84d")
    assert warning.is_visible()
    assert accent_row.locator("[data-contrast-ratio]").inner_text() == "1.38:1"
    assert "k-contrast--fail" in accent_row.get_attribute("class")
    assert accent_row.locator("[data-contrast-verdict]").inner_text().endswith("Too little contrast")
    page.locator("[data-theme-contrast]").scroll_into_view_if_needed()
    screenshots(page, "theme-editor-warning", sizes=(("desktop", DESKTOP),), full_page=False)

    # A deep plum passes, and the preview redraws the card in it.
    page.fill("#id_accent_colour", "#6b2a48")
    assert warning.is_hidden()
    assert "k-contrast--pass" in accent_row.get_attribute("class")
    wait_until(
        page,
        "() => { const n = document.querySelector('#w-preview-iframe').contentDocument.querySelector('.k-card__strip');"
        " return n && getComputedStyle(n).backgroundColor === 'rgb(107, 42, 72)'; }",
    )
    assert card_strip_colour(page) == "rgb(107, 42, 72)"
    assert theme_tokens(tenant.program).accent == "#b03a5b"  # typing changed nothing yet
    page.locator("#id_accent_colour").scroll_into_view_if_needed()
    screenshots(page, "theme-editor-preview", sizes=(("desktop", DESKTOP),), full_page=False)
    # The preview panel's own phone-sized view of each mode.
    for mode in ("card", "cabinet", "stamps"):
        if mode != "card":  # shown already; choosing it again would reload it and race the next choice
            page.select_option("#id_preview_mode", mode)
        wait_for_preview(page, f"k-preview--{mode}")
        page.frame_locator("#w-preview-iframe").locator("body").screenshot(
            path=str(SCREENSHOTS / f"theme-preview-{mode}-phone.png")
        )

    # Publish (in the footer's "more actions" menu).
    page.locator("footer [data-w-dropdown-target='toggle']").last.click()
    page.locator('button[name="action-publish"]').click()
    page.wait_for_url("**/admin/snippets/themes/theme/")
    theme.refresh_from_db()
    assert theme.live and theme.accent_colour == "#6b2a48"
    assert theme_tokens(tenant.program).accent == "#6b2a48"
    screenshots(page, "theme-list")
    assert Theme.objects.get(pk=theme.pk).has_unpublished_changes is False
