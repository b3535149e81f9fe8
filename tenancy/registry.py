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

# The registers themselves live with their readers (tenancy.access); this module is how apps write to them.
from tenancy.access import BUSINESS_PATHS, PAGE_ROOT_PROVIDERS, tenant_page_roots

__all__ = [
    "BUSINESS_PATHS",
    "PAGE_ROOT_PROVIDERS",
    "tenant_model_register",
    "tenant_page_roots",
    "tenant_page_roots_register",
]


def tenant_model_register(
    model: type[Model], path_to_business: str, *, superusers_only: bool = False, auth_model: type[Model] | None = None
) -> None:
    """Declare ``model`` tenant-owned: its rows belong to the business at ``path_to_business`` ("" for
    ``Business`` itself), and Wagtail's admin uses ``BusinessScopedPermissionPolicy`` for it.

    ``superusers_only`` closes the model's admin to everyone but superusers. ``auth_model``: the model whose
    permissions decide (a purchase is part of its member's history: the member permissions). Raises
    ``ImproperlyConfigured`` when the model is registered twice (two apps disagreeing about a model is a bug, not a
    preference).
    """
    from wagtail.permissions import register_permission_policy

    from tenancy.permissions import BusinessScopedPermissionPolicy

    if model in BUSINESS_PATHS:
        raise ImproperlyConfigured(f"{model._meta.label} is already registered as tenant-owned")
    BUSINESS_PATHS[model] = path_to_business
    policy = BusinessScopedPermissionPolicy(model, superusers_only=superusers_only, auth_model=auth_model)
    register_permission_policy(model, policy)


def tenant_page_roots_register(provider: Callable[[Iterable[int]], Iterable]) -> Callable:
    """Add ``provider(business_ids)``, returning the root pages (with their descendants) those businesses own.

    The page chooser, the page explorer and the admin pages API show a business owner only pages under these
    roots; with no provider registered an owner sees no pages at all. Usable as a decorator.
    """
    PAGE_ROOT_PROVIDERS.append(provider)
    return provider
