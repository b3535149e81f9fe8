"""Everything a renderer needs to draw a program in its brand, in one value: ``theme_tokens(program)``.

The portal and the pages read ``css`` (CSS custom properties), the wallet passes read the colours as Apple
``rgb()`` or Google hex, the PDF reports read the colours and the font. One selector keeps every surface in step.
A program without a theme of its own is drawn in Kartka's default palette.
"""

from dataclasses import dataclass, field

from themes.fonts import font_get


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``"#1f6feb"`` → ``(31, 111, 235)``."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


@dataclass(frozen=True)
class ThemeTokens:
    # Colours, as "#rrggbb".
    background: str = "#ffffff"
    text: str = "#1b1f24"
    accent: str = "#1f6feb"
    on_accent: str = "#ffffff"  # text and icons drawn on the accent colour (buttons)
    label: str = "#57606a"  # secondary text: labels, captions
    stamp_filled: str = "#1f6feb"
    stamp_empty: str = "#d0d7de"
    # The CSS font-family value, and the URL of the stylesheet with its @font-face rules ("" for system fonts).
    font_family: str = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif'
    font_stylesheet_url: str = ""
    # Image URLs ("" when the theme has none).
    logo_url: str = ""
    icon_url: str = ""
    strip_url: str = ""
    stamp_icon_url: str = ""
    # Links shown in footers and on passes: {"website": url, "instagram": url, "phone": "+380…", …}.
    links: dict = field(default_factory=dict)
    # Changes whenever anything above changes: part of every cache key of a rendered page or pass.
    version: str = "default"
    # Added for the renderers that need more than URLs: the theme's name, its font's key (themes.fonts) and the
    # ids of its Wagtail images, for renditions (wallet @1x/@2x/@3x PNGs, PDF logos); None when it has none.
    name: str = ""
    font_key: str = "system"
    logo_image_id: int | None = None
    icon_image_id: int | None = None
    strip_image_id: int | None = None
    stamp_icon_image_id: int | None = None

    def css_variables(self) -> dict[str, str]:
        return {
            "--k-background": self.background,
            "--k-text": self.text,
            "--k-accent": self.accent,
            "--k-on-accent": self.on_accent,
            "--k-label": self.label,
            "--k-stamp-filled": self.stamp_filled,
            "--k-stamp-empty": self.stamp_empty,
            "--k-font": self.font_family,
        }

    @property
    def css(self) -> str:
        """Declarations for a ``:root { … }`` rule (or a ``style`` attribute)."""
        return "; ".join(f"{name}: {value}" for name, value in self.css_variables().items())

    def apple_rgb(self, colour: str) -> str:
        """A colour as a pass.json wants it: ``"rgb(31, 111, 235)"``."""
        return "rgb({}, {}, {})".format(*hex_to_rgb(colour))

    def google_hex(self, colour: str) -> str:
        """A colour as Google Wallet's ``hexBackgroundColor`` wants it: ``"#1f6feb"``."""
        return colour.lower()

    def pdf_rgb(self, colour: str) -> tuple[float, float, float]:
        """A colour as 0–1 floats (ReportLab-style drawing, PDF operators)."""
        return tuple(round(channel / 255, 4) for channel in hex_to_rgb(colour))


DEFAULT_TOKENS = ThemeTokens()


def _image_url(image) -> str:
    return image.file.url if image is not None else ""


def tokens_from_theme(theme, *, version: str = "preview") -> ThemeTokens:
    """The tokens of ``theme`` as it is in memory (a live row, or an unsaved draft in the editor's preview)."""
    font = font_get(theme.font)
    links = {
        name: str(value)
        for name in ("website", "instagram", "facebook", "telegram", "phone")
        if (value := getattr(theme, name, ""))
    }
    return ThemeTokens(
        background=theme.background_colour,
        text=theme.text_colour,
        accent=theme.accent_colour,
        on_accent=theme.on_accent_colour,
        label=theme.label_colour,
        stamp_filled=theme.stamp_filled_colour,
        stamp_empty=theme.stamp_empty_colour,
        font_family=font.family,
        font_stylesheet_url=font.stylesheet_url,
        logo_url=_image_url(theme.logo),
        icon_url=_image_url(theme.icon),
        strip_url=_image_url(theme.strip),
        stamp_icon_url=_image_url(theme.stamp_icon),
        links=links,
        version=version,
        name=theme.name,
        font_key=font.key,
        logo_image_id=theme.logo_id,
        icon_image_id=theme.icon_id,
        strip_image_id=theme.strip_id,
        stamp_icon_image_id=theme.stamp_icon_id,
    )


def theme_tokens(program) -> ThemeTokens:
    """The tokens of ``program``'s theme as last published, or Kartka's defaults when it has none (no theme, or
    a theme that was never published or was unpublished). A draft never changes them.

    One query (none without a theme). ``version`` is the theme's id and live revision, so it changes on every
    publication and callers can cache what they render under it.
    """
    if program.theme_id is None:
        return DEFAULT_TOKENS
    # The model through the foreign key rather than an import: this module is the contract every renderer
    # imports, and themes.models reaches it back through themes.preview.
    theme_model = type(program)._meta.get_field("theme").related_model
    theme = (
        theme_model.objects.filter(pk=program.theme_id, live=True)
        .select_related("logo", "icon", "strip", "stamp_icon")
        .first()
    )
    if theme is None:
        return DEFAULT_TOKENS
    return tokens_from_theme(theme, version=f"t{theme.pk}.r{theme.live_revision_id}")
