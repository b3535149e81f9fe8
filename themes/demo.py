"""The demo's themes: Kvitka Fashion in warm floral colours, Zerno Coffee in coffee brown and cream, each with a
monogram logo and icon drawn here with Pillow and saved as Wagtail images in the business's collection.

Registered with ``programs.demo.demo_extension_register`` by ``ThemesConfig.ready``; idempotent (a program that
wears a theme, and a theme or image that exists, are left as they are, so an owner's later edits survive a
re-seed).
"""

from io import BytesIO

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont
from wagtail.images import get_image_model

from programs.demo import demo_programs
from tenancy.actors import Actor
from themes.models import Theme
from themes.services import theme_create, theme_program_assign

DEMO_THEMES = {
    "kvitka": {
        "name": "Kvitka Bloom",
        "monogram": "K",
        "background_colour": "#fff7f3",
        "text_colour": "#2d1a22",
        "label_colour": "#6f4d5b",
        "accent_colour": "#b03a5b",
        "on_accent_colour": "#ffffff",
        "stamp_filled_colour": "#b03a5b",
        "stamp_empty_colour": "#efc9d3",
        "font": "montserrat",
        "website": "https://kvitka.example",
        "instagram": "https://instagram.com/kvitka.fashion",
    },
    "zerno": {
        "name": "Zerno Roast",
        "monogram": "Z",
        "background_colour": "#f8f1e7",
        "text_colour": "#2e1f14",
        "label_colour": "#6b5544",
        "accent_colour": "#6f4e37",
        "on_accent_colour": "#fff8ee",
        "stamp_filled_colour": "#6f4e37",
        "stamp_empty_colour": "#e2d2bd",
        "font": "rubik",
        "website": "https://zerno.example",
        "telegram": "https://t.me/zerno_coffee",
    },
}


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        return ImageFont.load_default()


def monogram_png(*, letter: str, name: str, background: str, foreground: str, size: tuple[int, int]) -> bytes:
    """A PNG with a round monogram badge (and the name beside it when the image is wide enough)."""
    width, height = size
    image = PILImage.new("RGBA", size, (0, 0, 0, 0) if width != height else background)
    draw = ImageDraw.Draw(image)
    diameter = height - 8
    badge = (4, 4, 4 + diameter, 4 + diameter)
    draw.ellipse(badge, fill=background if width != height else foreground)
    letter_colour = foreground if width != height else background
    draw.text(
        (4 + diameter / 2, 4 + diameter / 2), letter, font=_font(int(diameter * 0.6)), fill=letter_colour, anchor="mm"
    )
    if width > height * 1.5:
        # The name at 42 % of the height, smaller if that would run off the image ("Kvitka Fashion" does).
        left, room = diameter + 24, width - diameter - 24 - 8
        font_size = int(height * 0.42)
        while font_size > 8 and draw.textlength(name, font=_font(font_size)) > room:
            font_size -= 2
        draw.text((left, height / 2), name, font=_font(font_size), fill=background, anchor="lm")
    buffer = BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(*, business, title: str, content: bytes):
    image_model = get_image_model()
    existing = image_model.objects.filter(collection=business.collection, title=title).first()
    if existing is not None:
        return existing
    image = image_model(title=title, collection=business.collection)
    image.file = ImageFile(BytesIO(content), name=f"{business.slug}-{title.lower().replace(' ', '-')}.png")
    image.save()
    return image


def themes_demo_ensure() -> list[str]:
    """Create and publish the demo themes and put them on the demo programs that wear no theme. One query when
    every demo program wears a theme already (the demo's second run is kept cheap)."""
    lines = []
    actor = Actor.system("seed_demo")
    for slug, program in demo_programs().items():
        if slug not in DEMO_THEMES or program.theme_id is not None:
            continue
        spec = dict(DEMO_THEMES[slug])
        business = program.business
        name, letter = spec.pop("name"), spec.pop("monogram")
        theme = Theme.objects.filter(business=business, name=name).first()
        if theme is None:
            if business.collection_id is None:
                continue
            colours = {"background": spec["accent_colour"], "foreground": spec["on_accent_colour"]}
            logo = _image(
                business=business,
                title=f"{business.name} logo",
                content=monogram_png(letter=letter, name=business.name, size=(480, 150), **colours),
            )
            icon = _image(
                business=business,
                title=f"{business.name} icon",
                content=monogram_png(letter=letter, name=business.name, size=(180, 180), **colours),
            )
            theme = theme_create(
                business=business, actor=actor, name=name, publish=True, logo=logo, icon=icon, stamp_icon=icon, **spec
            )
            lines.append(f"Theme “{theme.name}” for {business.name}")
        theme_program_assign(program=program, theme=theme, actor=actor)
    return lines
