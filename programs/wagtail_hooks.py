"""Admin wiring for the loyalty engine: permission policies first, then the one Loyalty menu group."""

from django.contrib.auth.models import Permission
from wagtail import hooks
from wagtail.permissions import register_permission_policy

from programs.access import BUSINESS_PATHS
from programs.models import Business
from programs.permissions import BusinessScopedPermissionPolicy

# Before anything asks the registry for these models' policy (it would create a fallback that can't be replaced).
# Every tenant-owned model (the ones access.py knows the way to a business for) gets the business-scoped policy.
for _model in BUSINESS_PATHS:
    register_permission_policy(_model, BusinessScopedPermissionPolicy(_model, superusers_only=_model is Business))

from programs.admin.viewsets import LoyaltyViewSetGroup  # noqa: E402  (viewsets read the policies above)


@hooks.register("register_admin_viewset")
def register_loyalty_viewsets():
    return LoyaltyViewSetGroup()


@hooks.register("register_permissions")
def register_member_permissions():
    # Members and cards have no ModelViewSet to register these; list them so Settings → Groups can grant them.
    return Permission.objects.filter(
        content_type__app_label="programs",
        codename__in=["add_member", "change_member", "view_member", "change_card", "view_card"],
    )
