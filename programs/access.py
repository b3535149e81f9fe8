"""Access helpers: what a staff user may see of the tenants' data, one condition per line.

Every admin read of a business's rows goes through here (or through ``programs.permissions``, which uses these
helpers), so a row of another business is indistinguishable from a missing one: both are a 404.
Superusers see everything; an inactive user sees nothing.
"""

from django.db.models import Model, QuerySet
from django.http import Http404

from programs.models import (
    ApiKey,
    AuditEvent,
    Business,
    Card,
    CardType,
    DiscountThreshold,
    EarningRule,
    LedgerEntry,
    Member,
    Program,
    RedemptionRule,
    Store,
    Tier,
)

# How each tenant-owned model reaches its Business (a lookup path; "" is the business itself).
BUSINESS_PATHS: dict[type[Model], str] = {
    Business: "",
    Program: "business",
    Store: "program__business",
    CardType: "program__business",
    Tier: "program__business",
    EarningRule: "program__business",
    Member: "program__business",
    Card: "program__business",
    LedgerEntry: "program__business",
    AuditEvent: "business",
    DiscountThreshold: "card_type__program__business",
    RedemptionRule: "card_type__program__business",
    ApiKey: "program__business",
}


def businesses_for_user(*, user) -> QuerySet[Business]:
    """Businesses a staff user works for: all of them for a superuser, those listing them as staff otherwise."""
    if not user.is_active:
        return Business.objects.none()
    if user.is_superuser:
        return Business.objects.all()
    return Business.objects.filter(staff=user)


def programs_for_user(*, user) -> QuerySet[Program]:
    """Programs a staff user may see and edit: every program for a superuser, else their businesses'."""
    return Program.objects.for_user(user).select_related("business")


def business_ids_for_user(*, user) -> set[int]:
    """The ids of ``businesses_for_user``, cached on the user object for the request."""
    cached = getattr(user, "_kartka_business_ids", None)
    if cached is None:
        cached = set(businesses_for_user(user=user).values_list("pk", flat=True))
        user._kartka_business_ids = cached
    return cached


def scope_for_user(queryset: QuerySet, *, user) -> QuerySet:
    """Narrow ``queryset`` (of a tenant-owned model) to the rows of the user's businesses.

    Raises ``LookupError`` for a model without a known path to its business, so nothing is left unscoped
    by accident.
    """
    path = BUSINESS_PATHS.get(queryset.model)
    if path is None:
        raise LookupError(f"{queryset.model.__name__} has no business path")
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    # A subquery rather than a join through the staff table: no duplicate rows, no DISTINCT needed.
    return queryset.filter(**{f"{path}__in" if path else "pk__in": businesses_for_user(user=user).values("pk")})


def business_id_of(instance: Model) -> int | None:
    """The id of the business that owns ``instance`` (follows ``BUSINESS_PATHS``, one hop at a time)."""
    path = BUSINESS_PATHS.get(type(instance))
    if path is None:
        raise LookupError(f"{type(instance).__name__} has no business path")
    if not path:
        return instance.pk
    *hops, last = path.split("__")
    obj = instance
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


def user_may_access(*, user, instance: Model) -> bool:
    """Whether ``instance`` belongs to one of the user's businesses (always true for a superuser)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return business_id_of(instance) in business_ids_for_user(user=user)


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
