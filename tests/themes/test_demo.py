"""The demo's themes: Kvitka and Zerno get a published theme with Pillow-drawn logos in their own collections,
worn by their programs; running the extension again changes nothing."""

from io import BytesIO

import pytest
from PIL import Image as PILImage
from wagtail.images import get_image_model

from programs.demo import DEMO_EXTENSIONS
from programs.factories import BusinessFactory, ProgramFactory
from tenancy.actors import Actor
from tenancy.models import AuditEvent
from themes.demo import monogram_png, themes_demo_ensure
from themes.models import Theme
from themes.services import theme_create, theme_program_assign
from themes.tokens import theme_tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_programs_seeded():
    kvitka = ProgramFactory(business=BusinessFactory(slug="kvitka", name="Kvitka Fashion"), slug="kvitka-club")
    zerno = ProgramFactory(business=BusinessFactory(slug="zerno", name="Zerno Coffee"), slug="zerno-cups")
    return kvitka, zerno


def test_the_extension_is_registered():
    assert [extension.ensure for extension in DEMO_EXTENSIONS if extension.name == "themes"] == [themes_demo_ensure]


def test_demo_programs_wear_their_themes_and_a_second_run_changes_nothing(demo_programs_seeded):
    kvitka, zerno = demo_programs_seeded

    lines = themes_demo_ensure()

    assert lines == ["Theme “Kvitka Bloom” for Kvitka Fashion", "Theme “Zerno Roast” for Zerno Coffee"]
    for program, accent, font in ((kvitka, "#b03a5b", "Montserrat"), (zerno, "#6f4e37", "Rubik")):
        program.refresh_from_db()
        theme = program.theme
        assert theme.live and theme.business == program.business
        assert theme.logo.collection == program.business.collection
        assert (theme.logo.width, theme.logo.height) == (480, 150)
        assert theme.icon.width == theme.icon.height == 180
        tokens = theme_tokens(program)
        assert tokens.accent == accent and font in tokens.font_family and tokens.logo_url
    counts = (Theme.objects.count(), get_image_model().objects.count(), AuditEvent.objects.count())

    assert themes_demo_ensure() == []
    assert (Theme.objects.count(), get_image_model().objects.count(), AuditEvent.objects.count()) == counts


def test_an_owner_choice_survives_a_reseed(demo_programs_seeded):
    kvitka, _ = demo_programs_seeded
    themes_demo_ensure()
    actor = Actor.system("test")
    own = theme_create(business=kvitka.business, actor=actor, name="Autumn", publish=True, accent_colour="#8a3b12")
    theme_program_assign(program=kvitka, theme=own, actor=actor)

    themes_demo_ensure()

    kvitka.refresh_from_db()
    assert kvitka.theme == own
    assert theme_tokens(kvitka).accent == "#8a3b12"


def test_a_second_run_costs_one_query(demo_programs_seeded, django_assert_num_queries):
    themes_demo_ensure()
    with django_assert_num_queries(1):
        assert themes_demo_ensure() == []


@pytest.mark.parametrize("name", ["Kvitka Fashion", "Zerno Coffee", "Квітка — мода для всієї родини"])
def test_the_drawn_logo_keeps_the_whole_name_inside_the_image(name):
    logo = PILImage.open(
        BytesIO(monogram_png(letter=name[0], name=name, background="#b03a5b", foreground="#fff", size=(480, 150)))
    )

    alpha = logo.getchannel("A")
    assert alpha.crop((470, 0, 480, 150)).getextrema() == (0, 0)  # nothing drawn in the right margin
    assert alpha.crop((160, 0, 470, 150)).getextrema()[1] > 0  # the name is drawn
