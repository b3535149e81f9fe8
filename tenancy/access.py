"""Access helpers: what a staff user may see of the tenants' data, one condition per line.

Every admin read of a business's rows goes through here (or through ``tenancy.permissions``, which uses these
helpers), so a row of another business is indistinguishable from a missing one: both are a 404.
Superusers see everything; an inactive user sees nothing.
"""

from collections.abc import Callable, Iterable

from django.db.models import Model, Q, QuerySet
from django.http import Http404

from tenancy.models import Business

# How each tenant-owned model reaches its Business (a lookup path; "" is the business itself).
BUSINESS_PATHS: dict[type[Model], str] = {}

# Callables ``(business_ids) -> iterable of Page`` naming the page roots each business owns (its portal roots).
PAGE_ROOT_PROVIDERS: list[Callable[[Iterable[int]], Iterable]] = []


def tenant_page_roots(business_ids: Iterable[int]) -> list:
    """The page roots of ``business_ids``, from every registered provider."""
    business_ids = list(business_ids)
    return [page for provider in PAGE_ROOT_PROVIDERS for page in provider(business_ids)]


def businesses_for_user(*, user) -> QuerySet[Business]:
    """Businesses a staff user works for: all of them for a superuser, those listing them as staff otherwise."""
    if not user.is_active:
        return Business.objects.none()
    if user.is_superuser:
        return Business.objects.all()
    return Business.objects.filter(staff=user)


def access_business_for_user(*, user, business_id) -> Business:
    """The business ``business_id`` if the user works for it (any for a superuser); ``Http404`` for missing and
    not yours alike."""
    business = businesses_for_user(user=user).filter(pk=business_id).first()
    if business is None:
        raise Http404
    return business


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


# --- Wagtail's own areas: collections (images, documents) and pages ------------------------------------------


def collections_for_user(*, user) -> QuerySet:
    """Collections holding the user's businesses' images and documents: each business's collection and the
    collections under it. Everything for a superuser, nothing for an inactive user."""
    from wagtail.models import Collection

    if not user.is_active:
        return Collection.objects.none()
    if user.is_superuser:
        return Collection.objects.all()
    paths = businesses_for_user(user=user).exclude(collection=None).values_list("collection__path", flat=True)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(path__startswith=path)
    return Collection.objects.filter(condition)


def scope_media_for_user(queryset: QuerySet, *, user) -> QuerySet:
    """Narrow a queryset of images or documents to the user's businesses' collections."""
    if user.is_active and user.is_superuser:
        return queryset
    return queryset.filter(collection__in=collections_for_user(user=user))


def business_of_collection(collection) -> Business | None:
    """The business whose collection is ``collection`` or one of its ancestors (``None``: nobody's)."""
    return Business.objects.filter(collection__in=collection.get_ancestors(inclusive=True)).first()


def scope_pages_for_user(queryset: QuerySet, *, user, with_ancestors: bool = False) -> QuerySet:
    """Narrow a queryset of pages to the page roots of the user's businesses (``tenant_page_roots``) and the
    pages under them; with ``with_ancestors`` also the roots' ancestors, so a tree can be walked down to them.

    Everything for a superuser; nothing for an inactive user or a user whose businesses own no pages.
    """
    if not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    roots = tenant_page_roots(business_ids_for_user(user=user))
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(path__startswith=root.path)
        if with_ancestors:
            condition |= Q(pk__in=[ancestor.pk for ancestor in root.get_ancestors()])
    return queryset.filter(condition)
