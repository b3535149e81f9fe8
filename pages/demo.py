"""The demo's portals (``programs.demo`` extension "pages"): Kvitka at ``kvitka.localhost`` and Zerno at
``zerno.localhost``, on the port the demo serves (``PORT``, 8000), each with a published home and one promo page.
Idempotent: a second run creates nothing and only moves the sites to the current port."""

import os
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef
from django.utils import formats, translation
from wagtail.models import Site

from pages.models import PortalHomePage, PromoPage
from pages.services import (
    STAFF_PAGE_PERMISSIONS,
    portal_home_for,
    portal_permissions_ensure,
    portal_site_create,
    portal_site_for,
)
from programs import clock
from programs.demo import demo_programs
from tenancy.actors import Actor

ACTOR = Actor.system("seed_demo")

# Each portal in its customers' language: Kvitka's in Ukrainian, Zerno's in English.
HOMES = {
    "kvitka": {
        "language": "uk",
        "tagline": "Бали з кожної покупки, подарунки на день народження",
        "intro": "<p>Kvitka Club безкоштовний: кожна покупка в наших магазинах повертає бали, а постійні покупці "
        "переходять на Срібний і Золотий рівні.</p>",
    },
    "zerno": {
        "language": "en",
        "tagline": "Your tenth coffee is on us",
        "intro": "<p>Zerno Friends is our thank-you to the regulars: a stamp for every coffee, and a discount for "
        "the neighbours from the offices around.</p>",
    },
}


def demo_promo_kvitka(program) -> PromoPage:
    tz = ZoneInfo(program.timezone)
    last_day = (clock.now().astimezone(tz) + timedelta(days=30)).date()
    ends_at = datetime.combine(last_day, time(23, 59), tzinfo=tz)
    with translation.override("uk"):
        day = formats.date_format(last_day, "j E")  # E: the month as a date says it ("5 січня")
    return PromoPage(
        title=f"Подвійні бали за аксесуари до {day}",
        slug="double-points-accessories",
        search_description="Шарфи, ремені, сумки й прикраси приносять удвічі більше балів.",
        body=[
            (
                "hero",
                {
                    "title": "Подвійні бали за аксесуари",
                    "text": f"Шарфи, ремені, сумки й прикраси приносять удвічі більше балів до {day}.",
                    "button_text": "Вступити до Kvitka Club",
                },
            ),
            ("countdown", {"heading": "До кінця акції", "ends_at": ends_at, "ended_text": ""}),
            (
                "offers",
                {
                    "heading": "Подвійні бали за",
                    "offers": [
                        {"title": "Шарфи", "text": "Шовк і вовна, усі кольори", "badge": "×2"},
                        {"title": "Ремені", "text": "Шкіряні ремені для нього й для неї", "badge": "×2"},
                        {"title": "Сумки", "text": "Шопери, клатчі й рюкзаки", "badge": "×2"},
                    ],
                },
            ),
            ("tiers", {"heading": ""}),
            ("join", {"heading": "", "text": ""}),
            (
                "faq",
                {
                    "heading": "Запитання",
                    "questions": [
                        {
                            "question": "Чи додаються подвійні бали до бонусу мого рівня?",
                            "answer": "<p>Так: множники Срібного й Золотого рівнів діють поверх них.</p>",
                        },
                        {
                            "question": "Які товари вважаються аксесуарами?",
                            "answer": "<p>Усе з полиць аксесуарів, позначене так у чеку.</p>",
                        },
                    ],
                },
            ),
        ],
    )


def demo_promo_zerno(program) -> PromoPage:
    return PromoPage(
        title="Every 10th coffee free",
        slug="every-10th-coffee-free",
        search_description="A stamp for every coffee; the tenth one is on us.",
        body=[
            (
                "hero",
                {
                    "title": "Every 10th coffee free",
                    "text": "Show your Zerno Friends card with every coffee: a stamp each time, and the tenth cup is "
                    "on us.",
                    "button_text": "Get your card",
                },
            ),
            ("stamps", {"heading": "Your card after six coffees", "collected": 6}),
            ("join", {"heading": "", "text": ""}),
            (
                "faq",
                {
                    "heading": "Questions",
                    "questions": [
                        {
                            "question": "Does a cappuccino count?",
                            "answer": "<p>Every coffee counts, whatever its size.</p>",
                        },
                    ],
                },
            ),
        ],
    )


PROMOS = {"kvitka": demo_promo_kvitka, "zerno": demo_promo_zerno}


@transaction.atomic
def _portal_ensure(key: str, program, port: int) -> str:
    hostname = f"{key}.localhost"
    home = portal_home_for(program)
    if home is None:
        site = portal_site_create(
            program=program, hostname=hostname, port=port, actor=ACTOR, language=HOMES[key]["language"]
        )
        home = PortalHomePage.objects.get(pk=site.root_page_id)
        home.tagline = HOMES[key]["tagline"]
        home.intro = HOMES[key]["intro"]
        home.save_revision(log_action=True).publish()
    else:
        portal_permissions_ensure(home=home)
        site = portal_site_for(program)
        if site is not None and site.port != port:
            site.port = port
            site.save(update_fields=["port"])
    if not PromoPage.objects.child_of(home).exists():
        promo = home.add_child(instance=PROMOS[key](program))
        promo.save_revision(log_action=True).publish()
    return f"http://{site.hostname}:{site.port}/" if site is not None else ""


def _portals_ready(port: int) -> list[str] | None:
    """The demo's summary lines when every demo program already has its home, its site on ``port``, a promo page
    and its staff's page permissions, read in one query (a second ``seed_demo`` stays cheap); ``None`` otherwise."""
    promos = PromoPage.objects.filter(depth=3, path__startswith=OuterRef("root_page__path"))
    home = "root_page__portalhomepage__program"
    rows = (
        Site.objects.filter(**{f"{home}__business__slug__in": list(PROMOS)})
        .annotate(
            key=F(f"{home}__business__slug"),
            program_name=F(f"{home}__name"),
            grants=Count("root_page__group_permissions", distinct=True),
            promo=Exists(promos),
        )
        .values_list("key", "program_name", "hostname", "port", "grants", "promo")
    )
    found = {row[0]: row[1:] for row in rows}
    lines = []
    for key in PROMOS:
        if key not in found:
            return None
        name, hostname, site_port, grants, promo = found[key]
        if site_port != port or grants < len(STAFF_PAGE_PERMISSIONS) or not promo:
            return None
        lines.append(f"Portal: http://{hostname}:{site_port}/  ({name})")
    return lines


def pages_demo_ensure() -> list[str]:
    """Each demo program's portal (made if missing); the lines the demo prints."""
    port = int(os.environ.get("PORT") or 8000)
    ready = _portals_ready(port)
    if ready is not None:
        return ready
    programs = {key: program for key, program in demo_programs().items() if key in PROMOS}
    urls = {key: _portal_ensure(key, program, port) for key, program in programs.items()}
    return [f"Portal: {urls[key]}  ({program.name})" for key, program in programs.items() if urls.get(key)]
