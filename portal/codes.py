"""The card's codes as inline SVG for the portal's card screen: a QR code and a Code 128 barcode.

Cashiers scan them off a phone, so both are black on white with their quiet zones whatever the theme (scanners
need the contrast and the margin), and neither has a fixed size: a ``viewBox`` lets the page's CSS size them
(``.k-qr``, ``.k-barcode`` in the portal's stylesheet). The template prints the number itself, in text.

Both come out of a small allow-list: only the SVG elements and attributes drawn here survive, attribute values
escaped, so what reaches a template (``mark_safe``) holds nothing but geometry. The card number never appears in
the markup; it is only encoded. Both are pure functions of the number, hence the per-process LRU caches.
"""

from functools import lru_cache
from xml.etree.ElementTree import Element

import segno
from barcode.codex import Code128
from defusedxml.ElementTree import fromstring
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from programs.barcodes import card_payload

# A phone shows one card at a time, but a cashier's screen may list a few; a process keeps the last ones drawn.
CACHE_SIZE = 256

QR_ERROR = "m"  # 15 % of the symbol may be lost to glare or a crack in the screen protector
QR_QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks

# Code 128 wants a quiet zone of at least 10 modules either side; a bar height of a third of a 13-digit code's
# width scans well from a screen held at an angle.
BARCODE_QUIET_ZONE = 10
BARCODE_HEIGHT = 40

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# What each element may carry: everything else the libraries emit (ids, comments, styles, text) is dropped.
ALLOWED = {
    "svg": {"viewBox", "class"},
    "path": {"d", "fill", "stroke"},
    "rect": {"x", "y", "width", "height", "fill"},
}


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _serialise(element: Element) -> str:
    name = _local_name(element.tag)
    if name not in ALLOWED:
        raise ValueError(f"unexpected SVG element <{name}>")
    attributes = "".join(
        f' {key}="{escape(value)}"' for key, value in element.attrib.items() if _local_name(key) in ALLOWED[name]
    )
    if name == "svg":
        # Scale crisply (no grey seams between modules) and stay out of the accessibility tree: the number is
        # printed next to the code, and a screen reader can't use the picture anyway.
        attributes = (
            f' xmlns="{SVG_NAMESPACE}"{attributes} shape-rendering="crispEdges" aria-hidden="true" focusable="false"'
        )
    children = "".join(_serialise(child) for child in element)
    return f"<{name}{attributes}>{children}</{name}>" if children else f"<{name}{attributes}/>"


def svg_sanitise(markup: str) -> SafeString:
    """``markup`` reduced to the allowed elements and attributes, safe to put in a template. Raises ValueError on
    an element outside the allow-list (a library that started drawing something else should fail loudly)."""
    root = fromstring(markup)
    if _local_name(root.tag) != "svg":
        raise ValueError("not an SVG document")
    return mark_safe(_serialise(root))  # rebuilt from the allow-list, every value escaped


@lru_cache(maxsize=CACHE_SIZE)
def card_qr_svg(number: str) -> SafeString:
    """The QR code of the card's payload (``programs.barcodes.card_payload``): an inline ``<svg class="k-qr">``.

    Error correction M exactly (not boosted: the symbol stays the one every other surface prints), never a Micro
    QR (phones' scanners often skip those), black modules on a white square with a 4-module quiet zone.
    """
    qr = segno.make(card_payload(number), error=QR_ERROR, boost_error=False, micro=False)
    markup = qr.svg_inline(
        border=QR_QUIET_ZONE, dark="#000", light="#fff", omitsize=True, svgclass="k-qr", lineclass=None
    )
    return svg_sanitise(markup)


def barcode_modules(number: str) -> str:
    """The Code 128 modules of the bare card number, ``"1"`` a bar and ``"0"`` a space (no quiet zones).

    Raises ``barcode.errors.IllegalCharacterError`` for characters Code 128 can't carry (non-ASCII).
    """
    return Code128(number).build()[0]


@lru_cache(maxsize=CACHE_SIZE)
def card_barcode_svg(number: str) -> SafeString:
    """The card number as a Code 128 barcode: an inline ``<svg class="k-barcode">``, one module one unit.

    python-barcode encodes (choosing the code sets); its own SVG writer draws in millimetres with a fixed size and
    no ``viewBox``, so the bars are laid out here instead, one ``rect`` per bar, on a white background with
    quiet zones. No text under the bars: the template prints the number.
    """
    modules = barcode_modules(number)
    width = len(modules) + 2 * BARCODE_QUIET_ZONE
    rects = [f'<rect x="0" y="0" width="{width}" height="{BARCODE_HEIGHT}" fill="#fff"/>']
    for start, length in _bars(modules):
        x = BARCODE_QUIET_ZONE + start
        rects.append(f'<rect x="{x}" y="0" width="{length}" height="{BARCODE_HEIGHT}" fill="#000"/>')
    return svg_sanitise(f'<svg viewBox="0 0 {width} {BARCODE_HEIGHT}" class="k-barcode">{"".join(rects)}</svg>')


def _bars(modules: str) -> list[tuple[int, int]]:
    """``(first module, width)`` of each run of bars."""
    bars = []
    start = None
    for index, module in enumerate(modules + "0"):
        if module == "1" and start is None:
            start = index
        elif module == "0" and start is not None:
            bars.append((start, index - start))
            start = None
    return bars
