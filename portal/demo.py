"""The demo's cabinets (``programs.demo`` extension "portal"): each demo portal gets a terms page customers accept
when they sign up, and the demo prints where to sign in, a member's phone to sign in with and where the code shows
(the console backend writes it to the demo's terminal). Idempotent; one query when everything is in place."""

import os

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery

from pages.models import PortalHomePage, PromoPage
from programs.demo import DEMO_BUSINESS_SLUGS
from programs.models import Member

TERMS_SLUG = "terms"


def _terms_page(program) -> PromoPage:
    return PromoPage(
        title=f"{program.name}: terms of the loyalty program",
        slug=TERMS_SLUG,
        search_description="How points are earned, spent and expire, and what we do with your data.",
        body=[
            (
                "text",
                "<h2>Membership</h2><p>Membership is free and open to anyone with a phone number. One account per "
                "phone number.</p><h2>Points</h2><p>Points are credited after each purchase as described on the "
                "program's page, can pay for part of a later purchase, and may expire as shown in your account."
                "</p><h2>Your data</h2><p>We keep your phone number, your purchases and the preferences you set in "
                "your account, only to run the program, and write to you only on the channels you chose.</p>",
            ),
        ],
    )


def _ready() -> list[tuple] | None:
    first_phone = Member.objects.filter(program=OuterRef("program")).order_by("pk").values("phone")[:1]
    rows = list(
        PortalHomePage.objects.filter(program__business__slug__in=DEMO_BUSINESS_SLUGS)
        .annotate(phone=Subquery(first_phone))
        .order_by("program_id")
        .values_list("program__business__slug", "program__name", "terms_page_id", "phone")
    )
    if not rows or any(row[2] is None for row in rows):
        return None
    return rows


@transaction.atomic
def _terms_ensure() -> None:
    for home in PortalHomePage.objects.filter(program__business__slug__in=DEMO_BUSINESS_SLUGS, terms_page=None):
        terms = PromoPage.objects.child_of(home).filter(slug=TERMS_SLUG).first()
        if terms is None:
            terms = home.add_child(instance=_terms_page(home.program))
            terms.save_revision(log_action=True).publish()
        home.terms_page = terms
        home.save_revision(log_action=True).publish()


def portal_demo_ensure() -> list[str]:
    rows = _ready()
    if rows is None:
        _terms_ensure()
        rows = _ready() or []
    port = int(os.environ.get("PORT") or 8000)
    lines = []
    for slug, name, _terms_id, phone in rows:
        # The demo's portals answer at <business slug>.localhost (pages.demo).
        lines.append(f"Cabinet: http://{slug}.localhost:{port}/account/  ({name}; sign in with {phone})")
    if rows:
        where = {
            "console": "the one-time code is printed in this terminal",
            "memory": "codes are kept in memory (tests only)",
        }.get(settings.KARTKA_OTP_BACKEND, f"codes are sent by the {settings.KARTKA_OTP_BACKEND or 'no'} backend")
        lines.append(f"Cabinet codes: {where}.")
    return lines
