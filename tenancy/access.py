"""Access helpers: what a staff user may see of the tenants' data, one condition per line.

Every admin read of a business's rows goes through here (or through ``tenancy.permissions``, which uses these
helpers), so a row of another business is indistinguishable from a missing one: both are a 404.
Superusers see everything; an inactive user sees nothing.
"""

from django.db.models import Model, QuerySet
from django.http import Http404

from tenancy.models import Business
from tenancy.registry import BUSINESS_PATHS


def businesses_for_user(*, user) -> QuerySet[Business]:
    """Businesses a staff user works for: all of them for a superuser, those listing them as staff otherwise."""
    if not user.is_active:
        return Business.objects.none()
    if user.is_superuser:
        return Business.objects.all()
    return Business.objects.filter(staff=user)


def business_ids_for_user(*, user) -> set[int]:
    """The ids of ``businesses_for_user``, cached on the user object for the request."""
    cached = getattr(user, "_kartka_business_ids", None)
    if cached is None:
        cached = set(businesses_for_user(user=user).values_list("pk", flat=True))
        user._kartka_business_ids = cached
    return cached


def scope_for_user(queryset: QuerySet, *, user) -> QuerySet:
    """Narrow ``queryset`` (of a tenant-owned model) to the rows of the user's businesses.

    Raises ``LookupError`` for a model never passed to ``tenant_model_register``, so nothing is left unscoped
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
    """The id of the business that owns ``instance`` (follows its registered path, one hop at a time)."""
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


def access_for_user(queryset: QuerySet, *, user, pk) -> Model:
    """Row ``pk`` of ``queryset`` if it belongs to one of the user's businesses; ``Http404`` for missing and not
    yours alike (the queryset's model must be registered)."""
    obj = scope_for_user(queryset, user=user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj
