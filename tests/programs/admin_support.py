"""Shared set-up for the Loyalty admin tests: a whole tenant built the way production builds it (factories for
configuration, services for members, cards and staff), and helpers that read the admin's HTML like a user."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from bs4 import BeautifulSoup
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.test.utils.form_data import querydict_from_html

from programs import clock
from programs.choices import Bucket, CardKind, RuleKind
from programs.factories import (
    BusinessFactory,
    CardTypeFactory,
    DiscountThresholdFactory,
    EarningRuleFactory,
    ProgramFactory,
    RedemptionRuleFactory,
    StoreFactory,
    TierFactory,
    UserFactory,
)
from programs.models import Business, Card, CardType, EarningRule, Member, Program, Store, Tier
from programs.services.cards import card_adjust
from programs.services.members import member_create
from tenancy.actors import Actor
from tenancy.services import business_staff_add


def D(value) -> Decimal:
    return Decimal(str(value))


@dataclass
class Tenant:
    business: Business
    owner: object
    program: Program
    card_type: CardType
    stamp_type: CardType
    tier: Tier
    rule: EarningRule
    store: Store
    member: Member
    card: Card


def build_tenant(slug: str, *, phone: str, first_name: str) -> Tenant:
    """A business with an owner, a program and one of everything the admin manages, plus a member with points."""
    business = BusinessFactory(slug=slug, name=f"{slug.title()} Ltd")
    owner = UserFactory(username=f"owner-{slug}")
    business_staff_add(business=business, user=owner)
    program = ProgramFactory(business=business, slug=f"{slug}-club", name=f"{slug.title()} Club")
    card_type = CardTypeFactory(program=program, name=f"{slug.title()} Bonus", cashback_percent=D(5))
    DiscountThresholdFactory(card_type=card_type, min_spend=D(0), percent=D(3))
    RedemptionRuleFactory(card_type=card_type)
    stamp_type = CardTypeFactory(program=program, name=f"{slug.title()} Coffee", stamps=True, is_active=False)
    tier = TierFactory(program=program, name=f"{slug.title()} Silver", threshold=D(0))
    rule = EarningRuleFactory(
        program=program,
        name=f"{slug.title()} Welcome",
        kind=RuleKind.REGISTRATION,
        bonus_points=D(10),
        multiplier=D(1),
    )
    store = StoreFactory(program=program, name=f"{slug.title()} Main Street", code=f"{slug}-main")
    member = member_create(program=program, phone=phone, first_name=first_name, card_types=[card_type])
    card = member.cards.get()
    card_adjust(card=card, amount=D(40), reason=f"{slug} goodwill", actor=Actor.staff(owner))
    card_adjust(
        card=card,
        amount=D(15),
        reason=f"{slug} promo",
        actor=Actor.staff(owner),
        bucket=Bucket.PROMO,
        expires_at=clock.now() + timedelta(days=30),
    )
    card.refresh_from_db()
    assert stamp_type.kind == CardKind.STAMPS
    return Tenant(business, owner, program, card_type, stamp_type, tier, rule, store, member, card)


def admin_url(name: str, *args) -> str:
    return reverse(name, args=args)


def warm_get(client, url: str):
    """``url``'s response to a second request, and the SQL that one ran: the first warmed what a process keeps
    (content types, permissions, Wagtail's site root paths, which any save of a site or an earlier test may have
    emptied), so a query count compares the pages themselves."""
    client.get(url)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    return response, [query["sql"] for query in context.captured_queries]


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def page_text(response) -> str:
    return " ".join(soup(response).get_text(" ").split())


def form_data(response, form_id: str = "w-editor-form") -> QueryDict:
    """What the browser would submit for the page's form as rendered (inline formsets included)."""
    data = querydict_from_html(response.content.decode(), form_id=form_id)
    # Wagtail's helper posts "" for a ticked checkbox without a value attribute; a browser posts "on".
    for box in soup(response).select(f'#{form_id} input[type="checkbox"][checked]'):
        if "value" not in box.attrs:
            data[box["name"]] = "on"
    return data


def field_errors(response, field: str) -> list[str]:
    """The error messages the admin shows next to ``field`` (Wagtail's field wrapper), as the user reads them."""
    page = soup(response)
    wrapper = page.select_one(f'[data-field][data-contentpath="{field}"]')
    if wrapper is None:
        widget = page.find(id=f"id_{field}") or page.find(id=f"id_{field}_0")
        if widget is None:
            raise AssertionError(f"no field {field!r} on the page")
        wrapper = widget.find_parent(attrs={"data-field": True})
    return [" ".join(node.get_text(" ").split()) for node in wrapper.select(".error-message")]


def form_errors(response) -> list[str]:
    """Errors shown above a form (non-field errors and inline-panel errors)."""
    page = soup(response)
    nodes = page.select(".messages .error, .error-message, .help-critical")
    return [" ".join(node.get_text(" ").split()) for node in nodes]
