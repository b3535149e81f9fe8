"""The one registry of tenant-owned models, and of the pages each business owns.

Each app says, in its ``AppConfig.ready``, how its models reach their ``Business``::

    tenant_model_register(Program, "business")
    tenant_model_register(WebhookDelivery, "endpoint__program__business")

That one call is what the access helpers (``tenancy.access``), the admin forms' foreign-key choices
(``tenancy.admin.forms``) and Wagtail's permission registry (``tenancy.permissions``) read, so a model is scoped
everywhere or nowhere. ``AppConfig.ready`` runs before any viewset asks Wagtail for a model's policy, which is
when Wagtail would otherwise create an unscoped fallback policy that can no longer be replaced.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model

# How each tenant-owned model reaches its Business (a lookup path; "" is the business itself).
BUSINESS_PATHS: dict[type[Model], str] = {}

# Callables ``(business_ids) -> iterable of Page`` naming the page roots each business owns (its portal roots).
PAGE_ROOT_PROVIDERS: list[Callable[[Iterable[int]], Iterable]] = []


def tenant_model_register(model: type[Model], path_to_business: str, *, superusers_only: bool = False) -> None:
    """Declare ``model`` tenant-owned: its rows belong to the business at ``path_to_business`` ("" for
    ``Business`` itself), and Wagtail's admin uses ``BusinessScopedPermissionPolicy`` for it.

    ``superusers_only`` closes the model's admin to everyone but superusers. Raises ``ImproperlyConfigured`` when
    the model is registered twice (two apps disagreeing about a model is a bug, not a preference).
    """
    from wagtail.permissions import register_permission_policy

    from tenancy.permissions import BusinessScopedPermissionPolicy

    if model in BUSINESS_PATHS:
        raise ImproperlyConfigured(f"{model._meta.label} is already registered as tenant-owned")
    BUSINESS_PATHS[model] = path_to_business
    register_permission_policy(model, BusinessScopedPermissionPolicy(model, superusers_only=superusers_only))


def tenant_page_roots_register(provider: Callable[[Iterable[int]], Iterable]) -> Callable:
    """Add ``provider(business_ids)``, returning the root pages (with their descendants) those businesses own.

    The page chooser, the page explorer and the admin pages API show a business owner only pages under these
    roots; with no provider registered an owner sees no pages at all. Usable as a decorator.
    """
    PAGE_ROOT_PROVIDERS.append(provider)
    return provider


def tenant_page_roots(business_ids: Iterable[int]) -> list:
    """The page roots of ``business_ids``, from every registered provider."""
    business_ids = list(business_ids)
    return [page for provider in PAGE_ROOT_PROVIDERS for page in provider(business_ids)]
