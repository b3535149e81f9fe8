"""theme_tokens: a program's live theme as every renderer reads it, defaults otherwise; drafts never leak."""

import pytest

from programs.checklist import checklists_for
from tests.themes.conftest import make_image
from themes.services import theme_create, theme_program_assign, theme_publish, theme_save_draft, theme_unpublish
from themes.tokens import DEFAULT_TOKENS, ThemeTokens, theme_tokens, tokens_from_theme

pytestmark = pytest.mark.django_db

KVITKA = {
    "background_colour": "#fff7f3",
    "text_colour": "#2d1a22",
    "label_colour": "#6f4d5b",
    "accent_colour": "#b03a5b",
    "on_accent_colour": "#ffffff",
    "stamp_filled_colour": "#b03a5b",
    "stamp_empty_colour": "#efc9d3",
    "font": "montserrat",
}


def test_a_program_without_a_theme_gets_the_defaults(alpha, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert theme_tokens(alpha.program) is DEFAULT_TOKENS
    assert DEFAULT_TOKENS.css.startswith("--k-background: #ffffff; --k-text: #1b1f24")


def test_the_live_theme_gives_the_tokens_in_one_query(alpha, actor, django_assert_num_queries):
    logo = make_image(alpha.business, size=(480, 150), title="Logo")
    theme = theme_create(
        business=alpha.business,
        actor=actor,
        name="Kvitka",
        publish=True,
        logo=logo,
        instagram="https://instagram.com/kvitka",
        phone="+380501112233",
        **KVITKA,
    )
    theme_program_assign(program=alpha.program, theme=theme, actor=actor)

    with django_assert_num_queries(1):
        tokens = theme_tokens(alpha.program)

    assert (tokens.background, tokens.text, tokens.accent, tokens.on_accent, tokens.label) == (
        "#fff7f3",
        "#2d1a22",
        "#b03a5b",
        "#ffffff",
        "#6f4d5b",
    )
    assert tokens.font_family.startswith('"Montserrat"')
    assert tokens.font_stylesheet_url == "/static/themes/fonts/montserrat/fonts.css"
    assert tokens.logo_url == logo.file.url and tokens.logo_image_id == logo.pk
    assert tokens.icon_url == ""
    assert tokens.links == {"instagram": "https://instagram.com/kvitka", "phone": "+380501112233"}
    assert tokens.apple_rgb(tokens.accent) == "rgb(176, 58, 91)"
    assert tokens.google_hex(tokens.accent) == "#b03a5b"
    assert "--k-accent: #b03a5b" in tokens.css
    assert tokens.css_variables()["--k-font"] == tokens.font_family
    assert tokens.version == f"t{theme.pk}.r{theme.live_revision_id}"


def test_a_draft_does_not_change_the_tokens_until_it_is_published(alpha, actor):
    theme = theme_create(business=alpha.business, actor=actor, name="Kvitka", publish=True, **KVITKA)
    theme_program_assign(program=alpha.program, theme=theme, actor=actor)
    published = theme_tokens(alpha.program)

    revision = theme_save_draft(theme=theme, actor=actor, accent_colour="#7a2840", font="pt-serif")
    assert theme_tokens(alpha.program) == published

    theme_publish(theme=theme, actor=actor, revision=revision)
    republished = theme_tokens(alpha.program)
    assert republished.accent == "#7a2840"
    assert republished.font_family.startswith('"PT Serif", Georgia')
    assert republished.version != published.version


def test_an_unpublished_or_never_published_theme_gives_the_defaults(alpha, actor):
    draft = theme_create(business=alpha.business, actor=actor, name="Draft", **KVITKA)
    theme_program_assign(program=alpha.program, theme=draft, actor=actor)
    assert theme_tokens(alpha.program) is DEFAULT_TOKENS

    theme_publish(theme=draft, actor=actor)
    assert theme_tokens(alpha.program).accent == "#b03a5b"
    theme_unpublish(theme=draft, actor=actor)
    assert theme_tokens(alpha.program) is DEFAULT_TOKENS


def test_tokens_from_an_unsaved_theme_are_for_previews(alpha):
    from themes.models import Theme

    tokens = tokens_from_theme(Theme(business=alpha.business, name="Typed", **KVITKA))
    assert isinstance(tokens, ThemeTokens)
    assert tokens.version == "preview" and tokens.accent == "#b03a5b"
    assert tokens.pdf_rgb("#ffffff") == (1.0, 1.0, 1.0)


def test_the_setup_checklist_asks_for_a_published_theme(alpha, actor):
    def theme_done() -> bool:
        program = type(alpha.program).objects.get(pk=alpha.program.pk)
        entries = checklists_for([program])[program.pk].entries
        return next(entry.done for entry in entries if entry.key == "themes.theme")

    assert not theme_done()
    theme = theme_create(business=alpha.business, actor=actor, name="Kvitka", **KVITKA)
    theme_program_assign(program=alpha.program, theme=theme, actor=actor)
    assert not theme_done()  # assigned, but only a draft
    theme_publish(theme=theme, actor=actor)
    assert theme_done()
    theme_unpublish(theme=theme, actor=actor)
    assert not theme_done()
