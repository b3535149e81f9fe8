"""Everything a renderer needs to draw a program in its brand, in one value: ``theme_tokens(program)``.

The portal and the pages read ``css`` (CSS custom properties), the wallet passes read the colours as Apple
``rgb()`` or Google hex, the PDF reports read the colours and the font. One selector keeps every surface in step.
A program without a theme of its own is drawn in Kartka's default palette.
"""

from dataclasses import dataclass, field


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


DEFAULT_TOKENS = ThemeTokens()


def theme_tokens(program) -> ThemeTokens:
    """The tokens of ``program``'s theme, or Kartka's defaults when it has none."""
    return DEFAULT_TOKENS
