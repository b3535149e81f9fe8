"""The fonts we ship: each has its licence, regular and bold woff2 for Latin and Cyrillic, and a fonts.css whose
@font-face rules point at files that exist, with unicode ranges that cover Ukrainian and Russian letters."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from themes.fonts import FONTS, SYSTEM, font_get

FONT_DIR = Path(settings.BASE_DIR) / "themes" / "static" / "themes" / "fonts"
SHIPPED = [font for font in FONTS.values() if font.stylesheet]


def test_at_least_three_fonts_ship_besides_the_system_font():
    assert len(SHIPPED) >= 3
    assert font_get("no-longer-shipped") is SYSTEM


@pytest.mark.parametrize("font", SHIPPED, ids=lambda font: font.key)
def test_each_font_is_complete_and_licensed(font):
    folder = FONT_DIR / font.key
    licence = (folder / "OFL.txt").read_text()
    assert "SIL Open Font License, Version 1.1" in licence
    css = (Path(settings.BASE_DIR) / "themes" / "static" / font.stylesheet).read_text()
    rules = re.findall(r"@font-face \{(.*?)\}", css, re.S)
    faces = set()
    for rule in rules:
        source = re.search(r"url\(\./([^)]+)\) format\('woff2'\)", rule).group(1)
        assert (folder / source).stat().st_size > 1000, source
        assert re.search(r"unicode-range: U\+", rule)
        faces.add((re.search(r"font-weight: (\d+)", rule).group(1), "cyrillic" in source))
        assert f"font-family: '{font.name}'" in rule
    assert faces >= {("400", True), ("700", True), ("400", False), ("700", False)}
    # "Ї" (U+0407), "ґ" (U+0491) and "ы" (U+044B) fall in a served range.
    ranges = re.findall(r"U\+([0-9A-F]+)(?:-([0-9A-F]+))?", css)
    covered = [(int(low, 16), int(high or low, 16)) for low, high in ranges]
    for letter in "Їґы":
        assert any(low <= ord(letter) <= high for low, high in covered), letter
    assert font.family.startswith(f'"{font.name}",')
