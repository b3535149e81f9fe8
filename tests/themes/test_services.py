"""Theme services: drafts below AA are kept, publication below AA is refused, images are checked (owner, format,
size), a program only wears its own business's theme, and every write leaves an audit row."""

import pytest
from django.core.exceptions import ValidationError
from wagtail.models import ModelLogEntry

from tenancy.models import AuditEvent
from tests.themes.conftest import make_image
from themes.models import Theme
from themes.services import theme_create, theme_program_assign, theme_publish, theme_save_draft, theme_unpublish

pytestmark = pytest.mark.django_db

FAILING_ACCENT = {"accent_colour": "#ffd84d", "on_accent_colour": "#ffffff"}  # 1.38:1


def test_a_draft_below_aa_is_saved_but_not_published(alpha, actor):
    theme = theme_create(business=alpha.business, actor=actor, name="Sunny", **FAILING_ACCENT)
    assert theme.live is False
    assert theme.latest_revision is not None

    with pytest.raises(ValidationError) as error:
        theme_publish(theme=theme, actor=actor)

    assert error.value.code == "contrast"
    assert "Text on accent: 1.38:1" in " ".join(error.value.messages)
    theme.refresh_from_db()
    assert theme.live is False and theme.live_revision is None
    assert not AuditEvent.objects.filter(action="theme.publish").exists()


def test_fixing_the_colour_in_a_new_draft_lets_it_publish(alpha, actor):
    theme = theme_create(business=alpha.business, actor=actor, name="Sunny", **FAILING_ACCENT)
    revision = theme_save_draft(theme=theme, actor=actor, accent_colour="#8a5a00")

    theme_publish(theme=theme, actor=actor, revision=revision)

    theme.refresh_from_db()
    assert theme.live and theme.live_revision_id == revision.pk
    assert theme.accent_colour == "#8a5a00"
    actions = list(AuditEvent.objects.filter(object_type="theme").order_by("pk").values_list("action", flat=True))
    assert actions == ["theme.create", "theme.update", "theme.publish"]
    update = AuditEvent.objects.get(action="theme.update")
    assert update.changes == {"accent_colour": ["#ffd84d", "#8a5a00"]}
    assert update.business == alpha.business and update.actor == alpha.owner
    # Wagtail's own log would show the theme's name in the site history report to every owner.
    assert not ModelLogEntry.objects.exists()


def test_a_draft_of_a_live_theme_leaves_the_live_row_alone(alpha, actor):
    theme = theme_create(business=alpha.business, actor=actor, name="Calm", publish=True)
    theme_save_draft(theme=theme, actor=actor, accent_colour="#ffd84d")
    theme.refresh_from_db()
    assert theme.accent_colour == "#1f6feb"
    assert theme.has_unpublished_changes
    assert theme.get_latest_revision_as_object().accent_colour == "#ffd84d"


def test_unpublish_is_audited(alpha, actor):
    theme = theme_create(business=alpha.business, actor=actor, name="Calm", publish=True)
    theme_unpublish(theme=theme, actor=actor)
    theme.refresh_from_db()
    assert not theme.live
    assert AuditEvent.objects.filter(action="theme.unpublish", object_id=str(theme.pk)).count() == 1


@pytest.mark.parametrize(
    ("field", "size", "fmt", "message"),
    [
        ("icon", (100, 80), "PNG", "Use a square image (this one is 100×80 px)."),
        ("icon", (60, 60), "PNG", "The image is too small: at least 87×87 px, this one is 60×60 px."),
        ("logo", (150, 60), "JPEG", "The image is too small: at least 160×50 px, this one is 150×60 px."),
        ("strip", (750, 246), "PNG", "The image is too small: at least 1125×369 px, this one is 750×246 px."),
        ("stamp_icon", (128, 128), "GIF", "Use a PNG or JPEG image (this one is GIF)."),
    ],
)
def test_images_of_the_wrong_size_or_format_are_refused(alpha, actor, field, size, fmt, message):
    image = make_image(alpha.business, size=size, fmt=fmt)
    with pytest.raises(ValidationError) as error:
        theme_create(business=alpha.business, actor=actor, name="Pics", **{field: image})
    assert error.value.message_dict == {field: [message]}
    assert not Theme.objects.exists()


def test_images_that_fit_are_accepted(alpha, actor):
    theme = theme_create(
        business=alpha.business,
        actor=actor,
        name="Pics",
        logo=make_image(alpha.business, size=(480, 150), title="Logo"),
        icon=make_image(alpha.business, size=(87, 87), fmt="JPEG", title="Icon"),
        strip=make_image(alpha.business, size=(1125, 369), title="Strip"),
        stamp_icon=make_image(alpha.business, size=(64, 64), title="Stamp"),
    )
    assert theme.logo.width == 480


def test_another_business_image_is_refused(alpha, beta, actor):
    theirs = make_image(beta.business, size=(480, 150), title="Beta logo")
    with pytest.raises(ValidationError) as error:
        theme_create(business=alpha.business, actor=actor, name="Stolen", logo=theirs)
    assert error.value.message_dict == {"logo": ["Choose an image from your business's own collection."]}


def test_a_program_wears_only_its_own_business_theme(alpha, beta, actor):
    own = theme_create(business=alpha.business, actor=actor, name="Own", publish=True)
    theirs = theme_create(business=beta.business, actor=actor, name="Theirs", publish=True)

    with pytest.raises(ValidationError):
        theme_program_assign(program=alpha.program, theme=theirs, actor=actor)
    alpha.program.theme = theirs
    with pytest.raises(ValidationError) as error:
        alpha.program.full_clean()
    assert "theme" in error.value.message_dict

    alpha.program.refresh_from_db()
    theme_program_assign(program=alpha.program, theme=own, actor=actor)
    alpha.program.refresh_from_db()
    assert alpha.program.theme == own
    event = AuditEvent.objects.get(action="program.update", program=alpha.program)
    assert event.changes == {"theme": [None, own.pk]}


def test_deleting_a_theme_leaves_its_programs_on_the_default_look(alpha, actor):
    from themes.services import theme_delete

    theme = theme_create(business=alpha.business, actor=actor, name="Gone", publish=True)
    theme_program_assign(program=alpha.program, theme=theme, actor=actor)
    theme_delete(theme=theme, actor=actor)
    alpha.program.refresh_from_db()
    assert alpha.program.theme is None
    assert AuditEvent.objects.filter(action="theme.delete").count() == 1
