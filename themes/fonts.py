"""The fonts Kartka ships: each with Latin and Cyrillic (Ukrainian, Russian) at regular and bold, licensed under
the SIL Open Font License 1.1 and served from our own static files (no font CDN).

The woff2 files, their licences and each font's ``fonts.css`` (``@font-face`` rules with ``unicode-range``) were
copied out of the @fontsource npm packages by ``scripts/fonts_vendor.py``; ``tests/themes/test_fonts.py`` checks
that every font here has them.
"""

from dataclasses import dataclass

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

SYSTEM_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif'
SERIF_STACK = 'Georgia, "Times New Roman", serif'


@dataclass(frozen=True)
class Font:
    key: str  # stored on the theme
    name: str  # what the owner picks
    family: str  # the CSS font-family value, with fallbacks
    stylesheet: str  # static path of its @font-face rules ("" for the system font)

    @property
    def stylesheet_url(self) -> str:
        return static(self.stylesheet) if self.stylesheet else ""


def _shipped(key: str, name: str, fallback: str = SYSTEM_STACK) -> Font:
    return Font(key, name, f'"{name}", {fallback}', f"themes/fonts/{key}/fonts.css")


SYSTEM = Font("system", _("The device's own font"), SYSTEM_STACK, "")

FONTS: dict[str, Font] = {
    font.key: font
    for font in (
        SYSTEM,
        _shipped("inter", "Inter"),
        _shipped("montserrat", "Montserrat"),
        _shipped("pt-sans", "PT Sans"),
        _shipped("pt-serif", "PT Serif", SERIF_STACK),
        _shipped("rubik", "Rubik"),
    )
}


def font_choices() -> list[tuple[str, str]]:
    return [(font.key, font.name) for font in FONTS.values()]


def font_get(key: str) -> Font:
    """The font stored as ``key``; the system font for a key no longer shipped (a theme keeps rendering)."""
    return FONTS.get(key, SYSTEM)
