"""The portal as an installable web app: its manifest, its icons and the service worker that keeps the card on
screen offline, in the program's brand (``themes.tokens``).

The cabinet lives under ``/account/`` on each program's own portal host, so the app's scope is ``/account/`` and
it opens on the card (``/account/card/``). The views take ``(request, program)``: the portal resolves the program
from the host and routes them, for instance::

    path("account/manifest.webmanifest", with_program(pwa.manifest_view)),
    path("account/icon-<int:size>.png", with_program(pwa.icon_view)),
    path("account/sw.js", with_program(pwa.service_worker_view)),

(``icon_path`` builds the icons' URLs on that pattern; change both together). None of the three may sit behind
the member's sign-in: browsers fetch the manifest without cookies, and the worker must be reachable to be
updated or replaced after a sign-out. The card page links them with
``<link rel="manifest" href="/account/manifest.webmanifest">`` and loads ``portal/register-sw.js``.
"""

import logging
from functools import cache
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import translation
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model

from themes.tokens import ThemeTokens, theme_tokens

logger = logging.getLogger(__name__)

SCOPE = "/account/"
START_URL = "/account/card/"
SERVICE_WORKER_URL = "/account/sw.js"
ICON_SIZES = (192, 512)  # what Chrome asks of an installable app: 192 px for the home screen, 512 px for splash
SHORT_NAME_LENGTH = 12  # launchers cut longer names under the icon

# Cached under the theme's version: a publication gives new keys, so the old ones only wait to expire.
ICON_CACHE_SECONDS = 30 * 24 * 60 * 60
# The icon URL carries the theme's version, so a browser may keep what it fetched for good.
ICON_CACHE_CONTROL = "public, max-age=31536000, immutable"

# A face with Cyrillic (the themes' own fonts are woff2, which Pillow can't read). Debian's fonts-dejavu-core,
# which scripts/setup.sh installs for the PDFs; Pillow's built-in face (Latin only) if it is missing.
ICON_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# A drawn icon is a full-bleed square of the accent colour, so it is "maskable": launchers may cut it to a
# circle or a squircle, keeping the middle 80 %. The letter stays well inside that safe zone.
LETTER_HEIGHT = 0.42  # of the icon's side

SERVICE_WORKER_FILE = Path(__file__).resolve().parent / "static" / "portal" / "sw.js"


def short_name(name: str) -> str:
    """``name`` for a launcher, at most 12 characters: whole leading words when they fit, else a cut word."""
    name = " ".join(name.split())
    if len(name) <= SHORT_NAME_LENGTH:
        return name
    words = []
    for word in name.split(" "):
        if len(" ".join([*words, word])) > SHORT_NAME_LENGTH:
            break
        words.append(word)
    return " ".join(words) if words else name[: SHORT_NAME_LENGTH - 1] + "…"


def icon_path(*, tokens: ThemeTokens, size: int) -> str:
    """The URL ``icon_view`` answers for ``size``, carrying the theme's version so a new theme is fetched anew."""
    return f"{SCOPE}icon-{size}.png?v={quote(tokens.version, safe='')}"


def manifest_data(
    *, program, tokens: ThemeTokens, start_url: str, scope: str, icon_urls: dict[int, str], language: str
) -> dict:
    """The Web App Manifest of ``program``'s portal, in its theme's colours.

    ``background_color`` paints the splash screen while the card loads, ``theme_color`` the status bar. A drawn
    icon (the theme has no icon image) is listed both for ``any`` use and as ``maskable``: it is a full-bleed
    square with its letter inside the safe zone. A theme's own image may reach its edges, so it is ``any`` only
    (a launcher then shows it whole, on a plate). Separate entries rather than ``"any maskable"``, which would
    ask launchers to crop an image that may not survive it.
    """
    purposes = ["any"] if tokens.icon_image_id is not None else ["any", "maskable"]
    icons = [
        {"src": icon_urls[size], "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
        for purpose in purposes
        for size in sorted(icon_urls)
    ]
    return {
        "id": start_url,
        "name": program.name,
        "short_name": short_name(program.name),
        "start_url": start_url,
        "scope": scope,
        "display": "standalone",
        "background_color": tokens.background,
        "theme_color": tokens.accent,
        "lang": language,
        "icons": icons,
    }


def _icon_letter(program) -> str:
    name = program.name.strip()
    return next((char for char in name if char.isalnum()), name[:1] or "K").upper()


@cache
def _icon_font_file() -> str | None:
    return str(ICON_FONT) if ICON_FONT.is_file() else None


def _icon_drawn(*, letter: str, tokens: ThemeTokens, size: int) -> PILImage.Image:
    image = PILImage.new("RGB", (size, size), tokens.accent)
    draw = ImageDraw.Draw(image)
    font_size = round(size * LETTER_HEIGHT / 0.73)  # DejaVu's capitals stand ~0.73 em tall
    font_file = _icon_font_file()
    font = ImageFont.truetype(font_file, font_size) if font_file else ImageFont.load_default(size=font_size)
    # Centre the letter's ink, not its line box (which would sit it low by the descender's depth).
    left, top, right, bottom = draw.textbbox((0, 0), letter, font=font)
    draw.text(
        ((size - (right - left)) / 2 - left, (size - (bottom - top)) / 2 - top),
        letter,
        font=font,
        fill=tokens.on_accent,
    )
    return image


def _icon_from_image(*, image_id: int, size: int) -> PILImage.Image | None:
    """The theme's icon image cropped to a ``size`` square, or None when it is gone or unreadable."""
    image = get_image_model().objects.filter(pk=image_id).first()
    if image is None:
        return None
    try:
        # The original is verified first: once anything in the process has set Pillow's global
        # LOAD_TRUNCATED_IMAGES (WeasyPrint does on import, for the analytics reports), a rendition of a file cut
        # short would be drawn from its readable part; verify() never accepts one.
        with image.open_file() as original:
            PILImage.open(original).verify()
        rendition = image.get_rendition(f"fill-{size}x{size}|format-png")
        with rendition.file.open("rb") as file:
            icon = PILImage.open(BytesIO(file.read()))
            icon.load()
    except (OSError, SyntaxError):  # a missing file (Wagtail's SourceImageIOError), Pillow's decoding errors
        logger.warning("theme icon image %s could not be read; drawing the icon instead", image_id, exc_info=True)
        return None
    if icon.size != (size, size):
        # Wagtail's fill never enlarges: a theme's icon may be as small as 87 px (the wallet pass's @3x).
        icon = icon.resize((size, size), PILImage.LANCZOS)
    return icon


def icon_png(*, program, tokens: ThemeTokens, size: int) -> bytes:
    """The app icon of ``program`` as a ``size``×``size`` PNG: the theme's icon image when it has one, else the
    program's first letter in the on-accent colour on an accent square.

    Raises ValueError for a size outside ``ICON_SIZES``. Cached by program, theme version, size (and the letter,
    so a renamed program gets its new initial).
    """
    if size not in ICON_SIZES:
        raise ValueError(f"icons come in {ICON_SIZES}, not {size}")
    letter = _icon_letter(program)
    key = f"portal:icon:{program.pk}:{tokens.version}:{size}:{ord(letter):x}"
    png = django_cache.get(key)
    if png is not None:
        return png
    icon = None
    if tokens.icon_image_id is not None:
        icon = _icon_from_image(image_id=tokens.icon_image_id, size=size)
    if icon is None:
        icon = _icon_drawn(letter=letter, tokens=tokens, size=size)
    buffer = BytesIO()
    icon.save(buffer, format="PNG", optimize=True)
    png = buffer.getvalue()
    django_cache.set(key, png, timeout=ICON_CACHE_SECONDS)
    return png


@cache
def service_worker_source() -> bytes:
    return SERVICE_WORKER_FILE.read_bytes()


def manifest_view(request, program):
    """``application/manifest+json`` for ``program``, in the request's language. Not cached by browsers for long:
    they re-read a manifest on their own schedule anyway, and a new theme should reach installed apps."""
    tokens = theme_tokens(program)
    data = manifest_data(
        program=program,
        tokens=tokens,
        start_url=START_URL,
        scope=SCOPE,
        icon_urls={size: icon_path(tokens=tokens, size=size) for size in ICON_SIZES},
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-cache"
    return response


def icon_view(request, program, size: int):
    """The app icon as ``image/png``, 404 for a size the manifest doesn't list. Cached for good by browsers: the
    manifest's URL for it carries the theme's version."""
    if size not in ICON_SIZES:
        raise Http404("no icon of that size")
    response = HttpResponse(
        icon_png(program=program, tokens=theme_tokens(program), size=size), content_type="image/png"
    )
    response["Cache-Control"] = ICON_CACHE_CONTROL
    return response


def service_worker_view(request, program):
    """``portal/static/portal/sw.js`` for ``/account/sw.js``.

    ``Service-Worker-Allowed: /account/`` lets the worker control the whole cabinet even if it is ever served from
    elsewhere (a script's default maximum scope is its own folder). ``no-cache`` so browsers revalidate it on
    every check and a new version (or a fix) reaches phones at once.
    """
    response = HttpResponse(service_worker_source(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    response["Cache-Control"] = "no-cache"
    return response
