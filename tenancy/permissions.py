"""The admin's permission policy for tenant-owned models: Django model permissions, narrowed to the user's
businesses.

A business owner needs the model permission (the "Business owners" group grants it) *and* the row must belong to
one of their businesses; superusers pass both. Registered for every tenant-owned model by
``tenancy.registry.tenant_model_register``, from the owning app's ``AppConfig.ready``.
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies import ModelPermissionPolicy

from tenancy import access


class BusinessScopedPermissionPolicy(ModelPermissionPolicy):
    """``ModelPermissionPolicy`` whose instances are limited to the user's businesses (``tenancy.access``).

    ``superusers_only`` closes the model to everyone but superusers, whatever permissions they were given
    (businesses themselves: owners must not create tenants or hand out access).
    """

    def __init__(self, model, *, superusers_only: bool = False, auth_model=None):
        super().__init__(model, auth_model=auth_model)
        self.superusers_only = superusers_only

    # Model level: "may the user do this to some rows of this model?"

    def user_has_permission(self, user, action):
        if self.superusers_only:
            return user.is_active and user.is_superuser
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        if self.superusers_only:
            return get_user_model().objects.filter(is_active=True, is_superuser=True)
        return super().users_with_any_permission(actions)

    # Instance level: "... and is this row theirs?"

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and access.user_may_access(user=user, instance=instance)

    def user_has_any_permission_for_instance(self, user, actions, instance):
        return self.user_has_any_permission(user, actions) and access.user_may_access(user=user, instance=instance)

    def instances_user_has_any_permission_for(self, user, actions):
        if not self.user_has_any_permission(user, actions):
            return self.model._default_manager.none()
        return access.scope_for_user(self.model._default_manager.all(), user=user)

    def users_with_any_permission_for_instance(self, actions, instance):
        users = self.users_with_any_permission(actions)
        business_id = access.business_id_of(instance)
        return users.filter(Q(is_superuser=True) | Q(businesses=business_id)).distinct()
