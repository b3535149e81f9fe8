"""Colours as themes store them (``#rrggbb``) and the WCAG 2.x contrast rule a published theme must meet.

The maths is WCAG 2.2's (§1.4.3, "relative luminance" and "contrast ratio"); ``themes/static/themes/contrast.js``
does the same sums in the browser for the live check in the editor, and the tests pin both to known pairs.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")

# Normal-size text, level AA.
AA_RATIO = 4.5


def validate_hex_colour(value: str) -> None:
    if not isinstance(value, str) or not HEX_COLOUR.match(value):
        raise ValidationError(_("Enter a colour as # and six hexadecimal digits, e.g. #1f6feb."), code="invalid_colour")


class ColourField(models.CharField):
    """A ``#rrggbb`` colour, stored in lower case."""

    default_validators = [validate_hex_colour]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 7)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 7:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().lower() if isinstance(value, str) else value

    def formfield(self, **kwargs):
        from themes.widgets import ColourInput

        return super().formfield(**{"widget": ColourInput, **kwargs})


def _channel(value: int) -> float:
    srgb = value / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    value = colour.lstrip("#")
    red, green, blue = (int(value[index : index + 2], 16) for index in (0, 2, 4))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    """From 1 (same colour) to 21 (black on white), whichever order the colours come in."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@dataclass(frozen=True)
class ContrastPair:
    foreground: str  # field names on the theme
    background: str
    label: str

    def ratio(self, theme) -> float:
        return contrast_ratio(getattr(theme, self.foreground), getattr(theme, self.background))


# What a customer reads: body text, captions and labels on the background, button text on the accent colour.
CONTRAST_PAIRS = (
    ContrastPair("text_colour", "background_colour", _("Text on background")),
    ContrastPair("label_colour", "background_colour", _("Labels on background")),
    ContrastPair("on_accent_colour", "accent_colour", _("Text on accent")),
)


@dataclass(frozen=True)
class ContrastResult:
    pair: ContrastPair
    ratio: float

    @property
    def passes(self) -> bool:
        # Not rounded first: 4.497 shows as "4.50" but is below AA, as WCAG says.
        return self.ratio >= AA_RATIO


def contrast_check(theme) -> list[ContrastResult]:
    """The ratio of each pair in ``CONTRAST_PAIRS`` on ``theme`` (anything with the colour attributes); pairs
    whose colours are not valid yet are left out."""
    results = []
    for pair in CONTRAST_PAIRS:
        colours = (getattr(theme, pair.foreground, ""), getattr(theme, pair.background, ""))
        if all(isinstance(colour, str) and HEX_COLOUR.match(colour) for colour in colours):
            results.append(ContrastResult(pair, pair.ratio(theme)))
    return results


def contrast_failures(theme) -> list[ContrastResult]:
    return [result for result in contrast_check(theme) if not result.passes]
