"""The setup checklist and the program links the owner's admin home shows for each program.

Each app contributes what it knows without ``programs`` importing it: the engine registers its own items (card
type, store, API key, tiers, earning rules) in ``ProgramsConfig.ready``; other apps register theirs in their own
``ready`` (webhooks: an endpoint; themes: a theme; pages: portal pages and the portal link)::

    checklist_item_register(
        "webhooks.endpoint",
        label=_("Webhook endpoint"),
        check_many=lambda programs: set(WebhookEndpoint.objects.filter(program__in=programs)
                                         .values_list("program_id", flat=True)),
        url=lambda program: reverse("webhooks_endpoints:add"),
        optional=True,
        order=70,
    )
    program_link_register("pages.portal", label=_("Portal"), links_many=portal_urls)

The home shows every program of the owner at once, so checks are *batched*: ``check_many(programs)`` answers for
a list of programs in a fixed number of queries (the ids of the programs that are done). Links work the same way:
``links_many(programs)`` returns ``{program_id: url}`` for the programs that have one.
"""

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from programs.models import ApiKey, CardType, EarningRule, Program, Store, Tier

CheckMany = Callable[[Sequence[Program]], Collection[int]]
LinksMany = Callable[[Sequence[Program]], Mapping[int, str]]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    check_many: CheckMany
    url: Callable[[Program], str] | None
    optional: bool
    order: int
    help_text: str


@dataclass(frozen=True)
class ProgramLink:
    key: str
    label: str
    links_many: LinksMany
    order: int


@dataclass(frozen=True)
class ChecklistEntry:
    """One item of one program's checklist, as the home shows it."""

    key: str
    label: str
    done: bool
    optional: bool
    url: str | None
    help_text: str


@dataclass(frozen=True)
class ProgramChecklist:
    entries: list[ChecklistEntry]

    @property
    def required(self) -> list[ChecklistEntry]:
        return [entry for entry in self.entries if not entry.optional]

    @property
    def required_done(self) -> int:
        return sum(entry.done for entry in self.required)

    @property
    def is_complete(self) -> bool:
        return all(entry.done for entry in self.required)


_ITEMS: dict[str, ChecklistItem] = {}
_LINKS: dict[str, ProgramLink] = {}


def checklist_item_register(
    key: str,
    *,
    label: str,
    check_many: CheckMany,
    url: Callable[[Program], str] | None = None,
    optional: bool = False,
    order: int = 100,
    help_text: str = "",
) -> None:
    """Add (or replace: ``key`` is the identity, so a second ``ready`` is harmless) a setup-checklist item.

    ``check_many(programs)`` returns the ids of the given programs for which the item is done, in a number of
    queries that does not grow with the number of programs. ``url(program)`` is where the owner sets it up (no
    query, please: it is called for every program on the home). ``optional`` items show as "optional" rather than
    "missing" and don't count towards the program being set up. ``label`` and ``help_text`` should be lazy
    translations (they are read in the admin user's language).
    """
    _ITEMS[key] = ChecklistItem(
        key=key, label=label, check_many=check_many, url=url, optional=optional, order=order, help_text=help_text
    )


def checklist_item_unregister(key: str) -> None:
    """Remove an item (an app that is switched off, a test). Unknown keys are ignored."""
    _ITEMS.pop(key, None)


def checklist_items() -> list[ChecklistItem]:
    return sorted(_ITEMS.values(), key=lambda item: (item.order, item.key))


def program_link_register(key: str, *, label: str, links_many: LinksMany, order: int = 100) -> None:
    """Add (or replace) a link shown with each program, e.g. the program's portal.

    ``links_many(programs)`` returns ``{program_id: absolute or site-relative url}`` for the programs that have
    one, in a number of queries that does not grow with the number of programs.
    """
    _LINKS[key] = ProgramLink(key=key, label=label, links_many=links_many, order=order)


def program_link_unregister(key: str) -> None:
    _LINKS.pop(key, None)


def checklists_for(programs: Iterable[Program]) -> dict[int, ProgramChecklist]:
    """Every registered item's state for each of ``programs``: ``{program_id: ProgramChecklist}``.

    One ``check_many`` call per item whatever the number of programs.
    """
    programs = list(programs)
    if not programs:
        return {}
    items = checklist_items()
    done = {item.key: set(item.check_many(programs)) for item in items}
    return {
        program.pk: ProgramChecklist(
            entries=[
                ChecklistEntry(
                    key=item.key,
                    label=item.label,
                    done=program.pk in done[item.key],
                    optional=item.optional,
                    url=item.url(program) if item.url else None,
                    help_text=item.help_text,
                )
                for item in items
            ]
        )
        for program in programs
    }


@dataclass(frozen=True)
class ProgramLinkEntry:
    key: str
    label: str
    url: str


def program_links_for(programs: Iterable[Program]) -> dict[int, list[ProgramLinkEntry]]:
    """The registered links of each of ``programs`` that have them: ``{program_id: [ProgramLinkEntry, ...]}``."""
    programs = list(programs)
    result: dict[int, list[ProgramLinkEntry]] = {program.pk: [] for program in programs}
    if not programs:
        return result
    for link in sorted(_LINKS.values(), key=lambda link: (link.order, link.key)):
        for program_id, url in link.links_many(programs).items():
            if program_id in result and url:
                result[program_id].append(ProgramLinkEntry(key=link.key, label=link.label, url=url))
    return result


# --- The engine's own items ----------------------------------------------------------------------------------


def program_ids_with(queryset, programs: Sequence[Program]) -> set[int]:
    """Ids of ``programs`` that have at least one row of ``queryset``: one query."""
    ids = [program.pk for program in programs]
    # No ordering: the models' default orderings join the program table for nothing.
    return set(queryset.filter(program_id__in=ids).order_by().values_list("program_id", flat=True).distinct())


def _add_url(viewset_name: str) -> Callable[[Program], str]:
    def url(program: Program) -> str:
        return reverse(f"{viewset_name}:add")

    return url


def engine_items_register() -> None:
    """The engine's checklist: what a program needs before a till can record a purchase (a card type, a store,
    an API key) and what makes it richer (tiers, earning rules). Called by ``ProgramsConfig.ready``.

    Tiers and earning rules are optional whatever the card kinds: a stamp card or a fixed discount runs without
    them, and a cashback card already has its base rate on the card type.
    """
    checklist_item_register(
        "programs.card_type",
        label=_("Card type"),
        help_text=_("What members get: a discount, cashback points or stamps."),
        check_many=lambda programs: program_ids_with(CardType.objects.filter(is_active=True), programs),
        url=_add_url("loyalty_card_types"),
        order=10,
    )
    checklist_item_register(
        "programs.store",
        label=_("Store"),
        help_text=_("Where purchases are made; the till sends its code."),
        check_many=lambda programs: program_ids_with(Store.objects.filter(is_active=True), programs),
        url=_add_url("loyalty_stores"),
        order=20,
    )
    checklist_item_register(
        "programs.api_key",
        label=_("API key for the till"),
        help_text=_("The cash register or CRM records purchases with it."),
        check_many=lambda programs: program_ids_with(ApiKey.objects.filter(revoked_at__isnull=True), programs),
        url=_add_url("loyalty_api_keys"),
        order=30,
    )
    checklist_item_register(
        "programs.tiers",
        label=_("Tiers"),
        help_text=_("Levels such as Silver and Gold with better benefits."),
        check_many=lambda programs: program_ids_with(Tier.objects.all(), programs),
        url=_add_url("loyalty_tiers"),
        optional=True,
        order=40,
    )
    checklist_item_register(
        "programs.earning_rules",
        label=_("Earning rules"),
        help_text=_("Bonuses for joining or birthdays, multipliers, happy hours."),
        check_many=lambda programs: program_ids_with(EarningRule.objects.filter(is_active=True), programs),
        url=_add_url("loyalty_earning_rules"),
        optional=True,
        order=50,
    )
