"""The owner's admin home: each of their programs with its links, a few live figures and the setup checklist.

Wired in ``programs/wagtail_hooks.py`` (``construct_homepage_panels``). Everything on it is read in a fixed
number of queries whatever the number of programs: the checklist and links through their batched registries
(``programs.checklist``), the figures through ``selectors.program_figures_list``.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import get_language
from wagtail.admin.ui.components import Component
from wagtail.permissions import policy_registry

from programs import access, checklist, selectors
from programs.choices import Currency
from programs.models import Program

# Programs shown on the home; the rest are one click away in the programs list.
HOME_PROGRAMS_LIMIT = 12

# The symbol each currency's label ends with, e.g. "Ukrainian hryvnia (₴)".
CURRENCY_SYMBOLS = {value: str(label).rsplit("(", 1)[-1].rstrip(")") for value, label in Currency.choices}
# Languages that write the symbol after the amount ("1 250,00 ₴"); English writes it first ("₴1,250.00").
SYMBOL_AFTER = ("ru", "uk")


def money_display(amount: Decimal, currency: str) -> str:
    """``amount`` in ``currency`` as the admin user's language writes money: grouping, decimal mark, symbol."""
    number = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if (get_language() or "en").split("-")[0] in SYMBOL_AFTER:
        return f"{number}\N{NO-BREAK SPACE}{symbol}"
    return f"{symbol}{number}"


def points_display(amount: Decimal) -> str:
    """Points with grouping; whole numbers without decimals ("1 250", "12,50")."""
    decimals = 0 if amount == amount.to_integral_value() else 2
    return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@dataclass(frozen=True)
class ProgramCard:
    program: Program
    edit_url: str
    members_url: str
    links: list[checklist.ProgramLinkEntry]
    checklist: checklist.ProgramChecklist
    figures: selectors.ProgramFigures
    sales_today: str
    points_outstanding: str
    points_cashback: str
    points_promo: str


def program_cards(*, programs) -> list[ProgramCard]:
    """What the home shows of each of ``programs`` (already scoped to the user), in a fixed number of queries."""
    programs = list(programs)
    checklists = checklist.checklists_for(programs)
    links = checklist.program_links_for(programs)
    figures = selectors.program_figures_list(programs=programs)
    cards = []
    for program in programs:
        numbers = figures[program.pk]
        cards.append(
            ProgramCard(
                program=program,
                edit_url=reverse("loyalty_programs:edit", args=[program.pk]),
                members_url=f"{reverse('loyalty_members:index')}?program={program.pk}",
                links=links[program.pk],
                checklist=checklists[program.pk],
                figures=numbers,
                sales_today=money_display(numbers.sales_today, program.currency),
                points_outstanding=points_display(numbers.points_outstanding),
                points_cashback=points_display(numbers.points_cashback),
                points_promo=points_display(numbers.points_promo),
            )
        )
    return cards


class ProgramsHomePanel(Component):
    """The first thing an owner sees after signing in."""

    name = "loyalty_programs"
    template_name = "programs/admin/home_programs.html"
    order = 10

    class Media:
        css = {"all": ["programs/admin/home.css"]}

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        user = request.user
        scoped = access.programs_for_user(user=user).order_by("-is_active", "business__name", "name", "pk")
        programs = list(scoped[: HOME_PROGRAMS_LIMIT + 1])
        more = len(programs) > HOME_PROGRAMS_LIMIT
        programs = programs[:HOME_PROGRAMS_LIMIT]
        businesses = list(access.businesses_for_user(user=user).order_by("name")[: HOME_PROGRAMS_LIMIT + 1])
        policy = policy_registry.get_by_type(Program)
        return {
            "request": request,
            "cards": program_cards(programs=programs),
            "more_programs": more,
            "programs_total": scoped.count() if more else len(programs),
            "programs_url": reverse("loyalty_programs:index"),
            "can_add_program": policy.user_has_permission(user, "add"),
            # The launch wizard lives in ``pages`` (it composes programs, themes and the portal); reached by name,
            # so ``programs`` never imports it.
            "add_program_url": reverse("pages_program_launch"),
            "businesses": businesses[:HOME_PROGRAMS_LIMIT],
            "more_businesses": len(businesses) > HOME_PROGRAMS_LIMIT,
            "businesses_url": reverse("loyalty_businesses:index") if user.is_superuser else "",
        }
