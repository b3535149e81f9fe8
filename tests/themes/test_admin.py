"""The theme editor as an owner uses it: drafts below AA are saved, publishing them is refused with the reason in
the owner's language, the live check is on the page, previews draw the typed colours, and the program form offers
only the program's business's themes."""

import pytest
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from programs.models import Program
from tenancy.actors import Actor
from tenancy.models import AuditEvent
from tests.programs.admin_support import form_data, form_errors, page_text, soup
from themes.models import Theme
from themes.services import theme_create

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"wagtailsnippets_themes_theme:{name}", args=args)


@pytest.fixture
def owner_client(client, alpha):
    client.force_login(alpha.owner)
    return client


def create_draft(client, **values):
    data = form_data(client.get(url("add")))
    data.update({"name": "Sunny", **values})
    response = client.post(url("add"), data)
    assert response.status_code == 302, form_errors(response)
    return Theme.objects.get(name=data["name"])


def test_a_draft_below_aa_is_saved_and_publishing_it_is_refused(owner_client, alpha):
    theme = create_draft(owner_client, accent_colour="#ffd84d")
    assert theme.business == alpha.business and not theme.live

    edit = owner_client.get(url("edit", theme.pk))
    panel = soup(edit).select_one("[data-theme-contrast]")
    rows = {row.th.get_text(strip=True): row for row in panel.select("[data-contrast-pair]")}
    assert rows["Text on accent"].select_one("[data-contrast-ratio]").get_text() == "1.38:1"
    assert "k-contrast--fail" in rows["Text on accent"]["class"]
    assert "k-contrast--pass" in rows["Text on background"]["class"]
    assert not panel.select_one("[data-contrast-warning]").has_attr("hidden")

    data = form_data(edit)
    data["action-publish"] = "action-publish"
    response = owner_client.post(url("edit", theme.pk), data)

    assert response.status_code == 200
    assert "The theme can't be published: some text would be hard to read" in " ".join(form_errors(response))
    theme.refresh_from_db()
    assert not theme.live
    assert not AuditEvent.objects.filter(action="theme.publish").exists()


def test_the_refusal_is_in_the_owners_language(owner_client, alpha):
    theme = create_draft(owner_client, accent_colour="#ffd84d")
    profile = UserProfile.get_for_user(alpha.owner)
    profile.preferred_language = "uk"
    profile.save()
    data = form_data(owner_client.get(url("edit", theme.pk)))
    data["action-publish"] = "action-publish"
    response = owner_client.post(url("edit", theme.pk), data)
    with translation.override("uk"):
        expected = str(translation.gettext("Text on accent"))
    errors = " ".join(form_errors(response))
    assert expected != "Text on accent" and expected in errors
    assert "4.5:1" in errors and "can't be published" not in errors


def test_a_fixed_theme_is_published_and_audited(owner_client, alpha):
    theme = create_draft(owner_client, accent_colour="#ffd84d")
    data = form_data(owner_client.get(url("edit", theme.pk)))
    data["accent_colour"] = "#8a5a00"
    data["action-publish"] = "action-publish"
    response = owner_client.post(url("edit", theme.pk), data)

    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.live and theme.accent_colour == "#8a5a00"
    actions = list(AuditEvent.objects.filter(object_type="theme").order_by("pk").values_list("action", flat=True))
    assert actions == ["theme.create", "theme.update", "theme.publish"]
    history = page_text(owner_client.get(url("history", theme.pk)))
    assert "Theme published" in history and "Theme draft saved Accent: #ffd84d → #8a5a00" in history


def test_the_editor_ships_the_live_check_and_colour_pickers(owner_client):
    page = soup(owner_client.get(url("add")))
    assert page.select_one('script[src$="themes/theme-editor.js"]') is not None
    accent = page.select_one("#id_accent_colour")
    assert accent.has_attr("data-theme-colour")
    assert page.select_one('input[type=color][data-theme-colour-picker="id_accent_colour"]') is not None
    fonts = [option["value"] for option in page.select("#id_font option")]
    assert fonts == ["system", "inter", "montserrat", "pt-sans", "pt-serif", "rubik"]


@pytest.mark.parametrize("mode", ["card", "cabinet", "stamps"])
def test_previews_draw_the_colours_as_typed(owner_client, alpha, mode):
    theme = create_draft(owner_client)
    data = form_data(owner_client.get(url("edit", theme.pk)))
    data["accent_colour"] = "#8a5a00"
    data["font"] = "rubik"
    posted = owner_client.post(url("preview_on_edit", theme.pk), data)
    assert posted.json()["is_valid"] is True

    response = owner_client.get(url("preview_on_edit", theme.pk), {"mode": mode})

    html = response.content.decode()
    assert response.status_code == 200
    assert "--k-accent: #8a5a00" in html
    assert "/static/themes/fonts/rubik/fonts.css" in html
    page = soup(response)
    assert page.select_one(f'[data-preview="{mode}"]') is not None
    text = page_text(response)
    if mode == "card":
        assert alpha.program.name in text and alpha.card_type.name in text
    if mode == "stamps":
        assert alpha.stamp_type.name in text
        goal = alpha.stamp_type.stamp_goal
        assert len(page.select(".k-stamp")) == goal
    if mode == "cabinet":
        assert alpha.tier.name in text
    theme.refresh_from_db()
    assert theme.accent_colour != "#8a5a00"  # a preview saves nothing


def test_the_program_form_offers_only_its_business_themes(owner_client, alpha, beta):
    own = theme_create(business=alpha.business, actor=Actor.staff(alpha.owner), name="Own theme", publish=True)
    theirs = theme_create(business=beta.business, actor=Actor.staff(beta.owner), name="Their theme", publish=True)
    edit_url = reverse("loyalty_programs:edit", args=[alpha.program.pk])
    page = owner_client.get(edit_url)
    options = {option.get_text(strip=True) for option in soup(page).select("#id_theme option")}
    assert "Own theme" in options and "Their theme" not in options

    data = form_data(page)
    data["theme"] = str(theirs.pk)
    refused = owner_client.post(edit_url, data)
    assert refused.status_code == 200
    assert Program.objects.get(pk=alpha.program.pk).theme_id is None

    data["theme"] = str(own.pk)
    assert owner_client.post(edit_url, data).status_code == 302
    assert Program.objects.get(pk=alpha.program.pk).theme_id == own.pk
