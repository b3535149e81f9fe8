"""The portal as an installable app: the manifest in the program's brand, its icons, the service worker's headers.

Over HTTP through tests/portal/urls.py, which routes the views as the cabinet will (the program from the path
here, from the host there). The worker's caching is exercised in a browser with the cabinet.
"""

from io import BytesIO

import pytest
from PIL import Image
from PIL import ImageFile as PILImageFile
from wagtail.images import get_image_model

from portal.pwa import ICON_SIZES, SERVICE_WORKER_FILE, icon_png, manifest_data, short_name
from programs.factories import ProgramFactory
from tests.themes.conftest import make_image
from themes.services import theme_create, theme_program_assign, theme_publish, theme_save_draft
from themes.tokens import DEFAULT_TOKENS, theme_tokens

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.urls")]

KVITKA = {
    "background_colour": "#fff7f3",
    "text_colour": "#2d1a22",
    "label_colour": "#6f4d5b",
    "accent_colour": "#b03a5b",
    "on_accent_colour": "#ffffff",
    "stamp_filled_colour": "#b03a5b",
    "stamp_empty_colour": "#efc9d3",
}


@pytest.fixture
def themed(shop, business, owner):
    """``shop`` drawn in the published Kvitka theme, without an icon image."""
    theme = theme_create(business=business, actor=owner, name="Kvitka", publish=True, **KVITKA)
    theme_program_assign(program=shop, theme=theme, actor=owner)
    return theme


def with_icon(theme, owner, business, **image):
    revision = theme_save_draft(theme=theme, actor=owner, icon=make_image(business, title="Icon", **image))
    theme_publish(theme=theme, actor=owner, revision=revision)


def png(content: bytes) -> Image.Image:
    image = Image.open(BytesIO(content))
    assert image.format == "PNG"
    return image.convert("RGB")


def hex_of(pixel) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel)


def test_the_manifest_installs_the_cabinet_in_the_themes_colours(client, shop, themed):
    response = client.get("/kvitka-club/account/manifest.webmanifest", HTTP_ACCEPT_LANGUAGE="uk")

    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    version = theme_tokens(shop).version
    assert manifest == {
        "id": "/account/card/",
        "name": "Kvitka Flower Club",
        "short_name": "Kvitka",
        "start_url": "/account/card/",
        "scope": "/account/",
        "display": "standalone",
        "background_color": "#fff7f3",
        "theme_color": "#b03a5b",
        "lang": "uk",
        "icons": [
            {"src": f"/account/icon-192.png?v={version}", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": f"/account/icon-512.png?v={version}", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": f"/account/icon-192.png?v={version}",
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "maskable",
            },
            {
                "src": f"/account/icon-512.png?v={version}",
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


def test_a_themes_own_icon_image_is_not_offered_for_masking(shop, themed, owner, business):
    with_icon(themed, owner, business)
    tokens = theme_tokens(shop)

    manifest = manifest_data(
        program=shop, tokens=tokens, start_url="/a/", scope="/", icon_urls={192: "/i192", 512: "/i512"}, language="ru"
    )

    assert [(icon["src"], icon["purpose"]) for icon in manifest["icons"]] == [("/i192", "any"), ("/i512", "any")]
    assert manifest["lang"] == "ru"


def test_a_program_without_a_theme_installs_in_kartkas_colours(client, shop):
    manifest = client.get("/kvitka-club/account/manifest.webmanifest").json()

    assert (manifest["background_color"], manifest["theme_color"]) == (DEFAULT_TOKENS.background, DEFAULT_TOKENS.accent)
    assert manifest["icons"][0]["src"] == "/account/icon-192.png?v=default"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Kvitka", "Kvitka"),
        ("Kvitka Flower Club", "Kvitka"),
        ("Кава і Тісто", "Кава і Тісто"),
        ("Coffee to go now", "Coffee to go"),
        ("Superlongbrandname", "Superlongbr…"),
        ("  Two   spaces ", "Two spaces"),
    ],
)
def test_the_short_name_fits_under_an_icon(name, expected):
    assert short_name(name) == expected
    assert len(short_name(name)) <= 12


@pytest.mark.parametrize("size", ICON_SIZES)
def test_without_an_icon_image_the_icon_is_the_initial_on_the_accent_colour(client, shop, themed, size):
    response = client.get(f"/kvitka-club/account/icon-{size}.png?v=x")

    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    icon = png(response.content)
    assert icon.size == (size, size)
    # Full bleed (so a launcher may mask it), the letter in the middle in the on-accent colour.
    for corner in [(0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1)]:
        assert hex_of(icon.getpixel(corner)) == "#b03a5b"
    colours = {hex_of(colour) for _, colour in icon.getcolors(maxcolors=size * size)}
    assert "#ffffff" in colours
    # The letter keeps inside the safe zone, the middle 80 % circle.
    letter = [(x, y) for x in range(size) for y in range(size) if hex_of(icon.getpixel((x, y))) != "#b03a5b"]
    radius = max(((x - size / 2) ** 2 + (y - size / 2) ** 2) ** 0.5 for x, y in letter)
    assert radius < size * 0.4


def test_the_initial_is_drawn_in_a_font_with_cyrillic(business):
    icons = {
        name: icon_png(program=ProgramFactory(business=business, name=name), tokens=DEFAULT_TOKENS, size=192)
        for name in ("Квітка", "кава", "Ліс", "Жасмин")
    }

    # Same initial, same icon; a font without Cyrillic would draw one blank box for all of them.
    assert icons["Квітка"] == icons["кава"]
    assert len({icons["Квітка"], icons["Ліс"], icons["Жасмин"]}) == 3


@pytest.mark.parametrize("size", ICON_SIZES)
def test_a_themes_icon_image_is_the_apps_icon(client, shop, themed, owner, business, size):
    with_icon(themed, owner, business, size=(100, 100), colour="#123456")

    icon = png(client.get(f"/kvitka-club/account/icon-{size}.png").content)

    # Scaled up from its 100 px (Wagtail's renditions never enlarge), edge to edge.
    assert icon.size == (size, size)
    assert {hex_of(colour) for _, colour in icon.getcolors()} == {"#123456"}


def test_a_new_theme_publication_gives_a_new_icon(shop, themed, owner):
    before = icon_png(program=shop, tokens=theme_tokens(shop), size=192)

    revision = theme_save_draft(theme=themed, actor=owner, accent_colour="#1d5c3a")
    theme_publish(theme=themed, actor=owner, revision=revision)
    after = icon_png(program=shop, tokens=theme_tokens(shop), size=192)

    assert after != before
    assert hex_of(png(after).getpixel((0, 0))) == "#1d5c3a"


def test_icons_come_in_the_manifests_sizes_only(client, shop):
    with pytest.raises(ValueError, match="64"):
        icon_png(program=shop, tokens=DEFAULT_TOKENS, size=64)

    assert client.get("/kvitka-club/account/icon-64.png").status_code == 404
    assert client.get("/kvitka-club/account/icon-1024.png").status_code == 404


def test_the_service_worker_may_control_the_whole_cabinet_and_is_never_stale(client, shop):
    response = client.get("/kvitka-club/account/sw.js")

    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/account/"
    assert response["Cache-Control"] == "no-cache"
    assert response.content == SERVICE_WORKER_FILE.read_bytes()
    script = response.content.decode()
    for url in ('"/account/card/"', '"/account/sign-out/"', 'const VERSION = "v'):
        assert url in script


def test_a_palette_png_icon_comes_out_in_full_colour(client, shop, themed, owner, business):
    buffer = BytesIO()
    Image.new("RGB", (100, 100), "#123456").quantize(colors=4).save(buffer, format="PNG")
    with_icon(themed, owner, business, content=buffer.getvalue())

    icon = Image.open(BytesIO(client.get("/kvitka-club/account/icon-192.png").content))

    assert icon.size == (192, 192) and icon.mode in ("RGB", "RGBA")
    assert hex_of(icon.convert("RGB").getpixel((96, 96))) == "#123456"


@pytest.mark.parametrize("truncated_allowed", [False, True], ids=["pillow-default", "after-weasyprint"])
def test_a_truncated_icon_image_gives_the_drawn_icon_not_a_part_of_the_image(
    client, shop, themed, owner, business, monkeypatch, truncated_allowed
):
    buffer = BytesIO()
    Image.radial_gradient("L").convert("RGB").save(buffer, format="PNG")
    whole = buffer.getvalue()
    with_icon(themed, owner, business, content=whole)
    image = theme_tokens(shop).icon_image_id and get_image_model().objects.get(pk=theme_tokens(shop).icon_image_id)
    with image.file.storage.open(image.file.name, "wb") as file:  # cut short on the disk after the upload
        file.write(whole[: len(whole) // 2])
    # WeasyPrint (the analytics PDF) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES when imported; a partly
    # decoded file must not become the app's icon then either.
    monkeypatch.setattr(PILImageFile, "LOAD_TRUNCATED_IMAGES", truncated_allowed)

    icon = png(client.get("/kvitka-club/account/icon-192.png").content)

    # The drawn icon: the initial in white on the accent colour (their blends at the letter's edges), no grey.
    assert hex_of(icon.getpixel((0, 0))) == KVITKA["accent_colour"]
    assert all(red > green for _, (red, green, blue) in icon.getcolors() if (red, green, blue) != (255, 255, 255))
