"""The card's codes: what is drawn decodes back to the card, and the markup holds nothing but geometry.

The drawings are read back from the SVG itself (the QR's path, the barcode's rects) into module grids; those are
checked against the symbols' own structure and, where zbar's ``zbarimg`` is installed, scanned for real from a
PNG drawn off the same grid.
"""

import re
import shutil
import subprocess
from io import BytesIO

import pytest
import segno
from barcode.charsets.code128 import CODES
from barcode.errors import IllegalCharacterError
from defusedxml.ElementTree import fromstring
from django.template import Context, Template
from PIL import Image

from portal.codes import BARCODE_QUIET_ZONE, QR_QUIET_ZONE, card_barcode_svg, card_qr_svg, svg_sanitise
from programs.barcodes import card_number_from_payload, card_payload

NUMBERS = ["2123456789012", "2000000000008", "9876543210", "AB-1234-cd"]
SVG = "{http://www.w3.org/2000/svg}"
# Code 128's start C and stop patterns, from the standard (not from the library under test).
START_C = "11010011100"
START_B = "11010010000"
STOP = "1100011101011"

zbar = pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools (zbarimg) is not installed")


def qr_matrix_from_svg(svg: str) -> list[list[int]]:
    """The modules the QR's SVG draws, quiet zone included: segno strokes each run of dark modules along the
    middle of its row (``M x y+.5 h len``, then relative ``m`` moves)."""
    root = fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    (background, dark) = root.findall(f"{SVG}path")
    assert background.get("fill") == "#fff" and background.get("d") == f"M0 0h{size}v{size}h-{size}z"
    assert dark.get("stroke") == "#000"
    grid = [[0] * size for _ in range(size)]
    x = y = 0.0
    for command, first, second in re.findall(r"([MmHh])(-?[\d.]+)(?: (-?[\d.]+))?", dark.get("d")):
        if command == "M":
            x, y = float(first), float(second)
        elif command == "m":
            x, y = x + float(first), y + float(second)
        else:
            length = float(first) if command == "h" else float(first) - x
            row = int(y - 0.5)
            for column in range(int(x), int(x + length)):
                grid[row][column] = 1
            x += length
    return grid


def barcode_modules_from_svg(svg: str) -> tuple[str, int]:
    """The barcode's modules across its width (quiet zones included) and its height, from the SVG's rects."""
    root = fromstring(svg)
    _, _, width, height = (int(value) for value in root.get("viewBox").split())
    background, *bars = root.findall(f"{SVG}rect")
    assert (background.get("width"), background.get("height"), background.get("fill")) == (
        str(width),
        str(height),
        "#fff",
    )
    modules = ["0"] * width
    for bar in bars:
        assert bar.get("fill") == "#000" and (bar.get("y"), bar.get("height")) == ("0", str(height))
        start = int(bar.get("x"))
        for index in range(start, start + int(bar.get("width"))):
            modules[index] = "1"
    return "".join(modules), height


def code128_decode(modules: str) -> str:
    """Read Code 128 symbols (code sets B and C) back to text, checking the start, the checksum and the stop."""
    assert modules.endswith(STOP)
    symbols = [modules[index : index + 11] for index in range(0, len(modules) - len(STOP), 11)]
    values = [CODES.index(symbol) for symbol in symbols]
    *data, check = values
    assert check == (data[0] + sum(position * value for position, value in enumerate(data[1:], 1))) % 103
    assert symbols[0] in (START_B, START_C)
    code_set = "C" if symbols[0] == START_C else "B"
    text = ""
    for value in data[1:]:
        if value == 99:
            code_set = "C"
        elif value == 100:
            code_set = "B"
        elif code_set == "C":
            text += f"{value:02d}"
        else:
            text += chr(value + 32)
    return text


def png_of(grid: list[list[int]], *, scale: int) -> bytes:
    height, width = len(grid), len(grid[0])
    image = Image.new("L", (width, height), 255)
    image.putdata([0 if module else 255 for row in grid for module in row])
    buffer = BytesIO()
    image.resize((width * scale, height * scale), Image.NEAREST).save(buffer, format="PNG")
    return buffer.getvalue()


def zbar_scan(png: bytes, tmp_path) -> list[str]:
    path = tmp_path / "code.png"
    path.write_bytes(png)
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    return result.stdout.splitlines()


@pytest.mark.parametrize("number", NUMBERS)
def test_the_qr_code_draws_the_cards_payload_at_error_correction_m_with_a_quiet_zone(number):
    svg = card_qr_svg(number)

    qr = segno.make(card_payload(number), error="m", boost_error=False, micro=False)
    assert qr.error == "M" and not qr.is_micro
    grid = qr_matrix_from_svg(svg)
    size = len(qr.matrix) + 2 * QR_QUIET_ZONE
    assert len(grid) == size and all(len(row) == size for row in grid)
    inner = [row[QR_QUIET_ZONE:-QR_QUIET_ZONE] for row in grid[QR_QUIET_ZONE:-QR_QUIET_ZONE]]
    assert inner == [list(row) for row in qr.matrix]
    quiet = grid[:QR_QUIET_ZONE] + grid[-QR_QUIET_ZONE:] + [row[:QR_QUIET_ZONE] + row[-QR_QUIET_ZONE:] for row in grid]
    assert not any(any(row) for row in quiet)


@zbar
@pytest.mark.parametrize("number", NUMBERS)
def test_a_scanner_reads_the_card_number_off_the_qr_code(number, tmp_path):
    scanned = zbar_scan(png_of(qr_matrix_from_svg(card_qr_svg(number)), scale=8), tmp_path)

    assert scanned == [f"QR-Code:{card_payload(number)}"] or scanned == [card_payload(number)]
    assert card_number_from_payload(scanned[-1].removeprefix("QR-Code:")) == number


@pytest.mark.parametrize("number", NUMBERS)
def test_the_barcode_is_the_bare_number_in_code_128_between_quiet_zones(number):
    modules, height = barcode_modules_from_svg(card_barcode_svg(number))

    quiet = "0" * BARCODE_QUIET_ZONE
    assert modules.startswith(quiet) and modules.endswith(quiet)
    assert code128_decode(modules[BARCODE_QUIET_ZONE:-BARCODE_QUIET_ZONE]) == number
    assert height * 5 >= len(modules)  # tall enough for a scanner held at an angle


def test_a_card_number_is_packed_two_digits_a_symbol():
    modules, _ = barcode_modules_from_svg(card_barcode_svg("2123456789012"))
    bars = modules[BARCODE_QUIET_ZONE:-BARCODE_QUIET_ZONE]

    # Start C, six digit pairs, a switch to B and the last digit, the check symbol, the stop: a short code that
    # fits a phone held sideways or not.
    assert bars.startswith(START_C)
    assert len(bars) == 11 * 10 + len(STOP)


@zbar
@pytest.mark.parametrize("number", NUMBERS)
def test_a_scanner_reads_the_card_number_off_the_barcode(number, tmp_path):
    modules, height = barcode_modules_from_svg(card_barcode_svg(number))
    grid = [[int(module) for module in modules]] * height

    scanned = zbar_scan(png_of(grid, scale=4), tmp_path)

    assert scanned in ([f"CODE-128:{number}"], [number])


def test_a_number_code_128_cannot_carry_is_refused():
    with pytest.raises(IllegalCharacterError):
        card_barcode_svg("2123é")


@pytest.mark.parametrize("draw", [card_qr_svg, card_barcode_svg])
def test_the_markup_is_a_bare_sizable_svg_safe_in_templates(draw):
    number = '21"><script>alert(1)</script>'
    svg = draw(number)

    rendered = Template("{{ svg }}").render(Context({"svg": svg}))
    assert rendered == str(svg)  # marked safe: not escaped again
    assert rendered.startswith("<svg ") and "<?xml" not in rendered and "<!" not in rendered
    assert "script" not in rendered and number not in rendered
    root = fromstring(rendered)
    assert root.get("viewBox") and root.get("width") is None and root.get("height") is None
    assert root.get("preserveAspectRatio") is None
    assert root.get("class") == ("k-qr" if draw is card_qr_svg else "k-barcode")
    assert {element.tag.removeprefix(SVG) for element in root.iter()} <= {"svg", "path", "rect"}


def test_codes_are_cached_per_number():
    card_qr_svg.cache_clear()
    first = card_qr_svg("2123456789012")
    assert card_qr_svg("2123456789012") is first
    assert card_qr_svg.cache_info().hits == 1
    assert card_qr_svg("2000000000008") != first


def test_the_sanitiser_keeps_only_drawing_and_escapes_values():
    markup = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2" width="9mm" id="x" '
        'onload="alert(1)"><!-- made by --><rect x="0" y="0" width="2" height="2" fill="#fff&quot;&gt;" '
        'style="fill:red"/></svg>'
    )

    clean = svg_sanitise(markup)

    assert clean == (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2" shape-rendering="crispEdges" aria-hidden="true" '
        'focusable="false"><rect x="0" y="0" width="2" height="2" fill="#fff&quot;&gt;"/></svg>'
    )
    with pytest.raises(ValueError, match="script"):
        svg_sanitise('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
