"""Access helpers of the loyalty engine: programs, members and cards a staff user may reach.

Built on ``tenancy.access`` (the business a row belongs to): another business's row is indistinguishable from a
missing one, both are a 404. The generic helpers are re-exported here so callers need one import.
"""

from django.db.models import QuerySet
from django.http import Http404

from programs.models import Card, CardType, Member, Program
from tenancy.access import (  # noqa: F401  (re-exported)
    business_id_of,
    business_ids_for_user,
    businesses_for_user,
    scope_for_user,
    user_may_access,
)


def programs_for_user(*, user) -> QuerySet[Program]:
    """Programs a staff user may see and edit: every program for a superuser, else their businesses'."""
    return Program.objects.for_user(user).select_related("business")


def card_types_for_user(*, user) -> QuerySet[CardType]:
    """Card types of the user's programs."""
    return scope_for_user(CardType.objects.select_related("program"), user=user)


def access_program_for_user(*, user, program_id) -> Program:
    """The program ``program_id`` if the user may see it; ``Http404`` for missing and not yours alike."""
    program = programs_for_user(user=user).filter(pk=program_id).first()
    if program is None:
        raise Http404
    return program


def access_member_for_user(*, user, member_id) -> Member:
    """The member ``member_id`` of one of the user's programs; ``Http404`` for missing and not yours alike."""
    member = (
        Member.objects.filter(pk=member_id)
        .filter(program__in=programs_for_user(user=user).values("pk"))
        .select_related("program", "program__business", "tier")
        .first()
    )
    if member is None:
        raise Http404
    return member


def access_card_for_user(*, user, member: Member, card_id) -> Card:
    """Card ``card_id`` of ``member`` in one of the user's programs; ``Http404`` if it is not that."""
    card = (
        Card.objects.filter(pk=card_id)
        .filter(member=member)
        .filter(program__in=programs_for_user(user=user).values("pk"))
        .select_related("card_type", "program", "member")
        .first()
    )
    if card is None:
        raise Http404
    return card
