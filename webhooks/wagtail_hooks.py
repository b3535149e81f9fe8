"""Admin wiring for webhooks: the business-scoped permission policy for both models, then the two viewsets, which
place themselves in the Loyalty menu."""

from wagtail import hooks
from wagtail.permissions import register_permission_policy

from programs.permissions import BusinessScopedPermissionPolicy
from webhooks.models import WebhookDelivery, WebhookEndpoint

# Before any viewset asks the registry for these models' policy (WebhooksConfig.ready gave them business paths).
for _model in (WebhookEndpoint, WebhookDelivery):
    register_permission_policy(_model, BusinessScopedPermissionPolicy(_model))

from webhooks.admin.viewsets import WebhookDeliveryViewSet, WebhookEndpointViewSet  # noqa: E402


@hooks.register("register_admin_viewset")
def register_webhook_viewsets():
    return [WebhookEndpointViewSet(), WebhookDeliveryViewSet()]
