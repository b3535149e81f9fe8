"""Admin wiring for webhooks: the two viewsets, which place themselves in the Loyalty menu. (Their business-scoped
permission policies were registered by ``WebhooksConfig.ready`` through ``tenancy.registry``.)"""

from wagtail import hooks

from webhooks.admin.viewsets import WebhookDeliveryViewSet, WebhookEndpointViewSet


@hooks.register("register_admin_viewset")
def register_webhook_viewsets():
    return [WebhookEndpointViewSet(), WebhookDeliveryViewSet()]
