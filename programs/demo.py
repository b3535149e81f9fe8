"""Apps built on the engine add their part of the demo world here: a theme, a portal site, promo pages.

``manage.py seed_demo`` builds the engine's demo (businesses, programs, a year of history), then calls every
registered extension, in registration order, each time it runs, also when the demo already exists, so a demo
seeded by an older version gains what the newer apps bring. An extension must be idempotent: it creates what is
missing and returns the lines to print under the demo's summary (URLs, logins), or none::

    # themes/apps.py, in ready()
    demo_extension_register("themes", themes_demo_ensure)

Extensions find the demo's programs with ``demo_programs()``.
"""

from collections.abc import Callable
from dataclasses import dataclass

DEMO_BUSINESS_SLUGS = ("kvitka", "zerno")


@dataclass(frozen=True)
class DemoExtension:
    name: str
    ensure: Callable[[], list[str]]


DEMO_EXTENSIONS: list[DemoExtension] = []


def demo_extension_register(name: str, ensure: Callable[[], list[str]]) -> None:
    if any(extension.name == name for extension in DEMO_EXTENSIONS):
        raise ValueError(f"demo extension {name!r} is already registered")
    DEMO_EXTENSIONS.append(DemoExtension(name, ensure))


def demo_extensions_ensure() -> list[str]:
    """Run every extension; the lines they want printed, in order."""
    return [line for extension in DEMO_EXTENSIONS for line in extension.ensure()]


def demo_programs() -> dict:
    """The demo's programs by their business's slug (``{"kvitka": <Program>, "zerno": <Program>}``), or ``{}``
    before the demo is seeded."""
    from programs.models import Program

    programs = Program.objects.filter(business__slug__in=DEMO_BUSINESS_SLUGS).select_related("business")
    return {program.business.slug: program for program in programs.order_by("pk")}
