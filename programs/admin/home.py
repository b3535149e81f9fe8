"""The owner's admin home: each of their programs with its links, a few live figures and the setup checklist.

Wired in ``programs/wagtail_hooks.py`` (``construct_homepage_panels``). Everything on it is read in a fixed
number of queries whatever the number of programs: the checklist and links through their batched registries
(``programs.checklist``), the figures through ``selectors.program_figures_list``.
"""

from dataclasses import dataclass

from django.urls import reverse
from wagtail.admin.ui.components import Component
from wagtail.permissions import policy_registry

from programs import access, checklist, selectors
from programs.models import Program
from programs.wording import money_display, points_display

# Programs shown on the home; the rest are one click away in the programs list.
HOME_PROGRAMS_LIMIT = 12


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
