"""Colours: the #rrggbb rule and the WCAG 2.x contrast maths, against pairs every contrast checker agrees on."""

import pytest
from django.core.exceptions import ValidationError

from themes.colours import contrast_check, contrast_failures, contrast_ratio, relative_luminance, validate_hex_colour
from themes.models import Theme


@pytest.mark.parametrize("value", ["#1f6feb", "#FFFFFF", "#000000", "#a0B1c2"])
def test_six_digit_hex_colours_are_valid(value):
    validate_hex_colour(value)


@pytest.mark.parametrize("value", ["1f6feb", "#fff", "#1f6feg", "#1f6feb0", "red", "", " #1f6feb", None])
def test_anything_else_is_refused(value):
    with pytest.raises(ValidationError) as error:
        validate_hex_colour(value)
    assert error.value.code == "invalid_colour"


def test_the_model_field_normalises_case_and_refuses_short_colours(alpha):
    theme = Theme(business=alpha.business, name="Case", accent_colour="#B03A5B")
    theme.full_clean()
    assert theme.accent_colour == "#b03a5b"
    theme.text_colour = "#123"
    with pytest.raises(ValidationError) as error:
        theme.full_clean()
    assert set(error.value.message_dict) == {"text_colour"}


def test_luminance_ends():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#777777", "#ffffff", 4.48),  # the classic "just fails AA"
        ("#767676", "#ffffff", 4.54),  # the darkest grey that passes on white
        ("#1f6feb", "#ffffff", 4.63),
        ("#ff0000", "#ffffff", 4.0),
        ("#0000ff", "#ffffff", 8.59),
    ],
)
def test_contrast_ratio_matches_known_pairs(first, second, ratio):
    assert round(contrast_ratio(first, second), 2) == ratio
    assert round(contrast_ratio(second, first), 2) == ratio  # the order does not matter


def test_check_covers_text_labels_and_text_on_accent():
    theme = Theme(
        background_colour="#ffffff",
        text_colour="#767676",
        label_colour="#777777",
        accent_colour="#ffff00",
        on_accent_colour="#ffffff",
    )
    results = {result.pair.foreground: (round(result.ratio, 2), result.passes) for result in contrast_check(theme)}
    assert results == {
        "text_colour": (4.54, True),
        "label_colour": (4.48, False),
        "on_accent_colour": (1.07, False),
    }
    assert [result.pair.foreground for result in contrast_failures(theme)] == ["label_colour", "on_accent_colour"]


def test_pairs_with_an_unfinished_colour_are_left_out():
    theme = Theme(background_colour="#ffffff", text_colour="#12", label_colour="#000000")
    theme.accent_colour = theme.on_accent_colour = "#ffffff"
    assert [result.pair.foreground for result in contrast_check(theme)] == ["label_colour", "on_accent_colour"]
