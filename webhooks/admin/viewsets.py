"""Webhooks in the Loyalty menu: endpoints (CRUD, signing secret, test event) and the delivery log (read, re-send).

Both are ``ScopedModelViewSet``s from ``tenancy.admin.viewsets``: every view reaches only the user's businesses'
rows, and endpoint edits are audited like the builder's. They join the Loyalty menu through its submenu hook.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column, DateColumn

from programs.admin.viewsets import LOYALTY_MENU_HOOK, program_filterset
from tenancy.admin.viewsets import ReadOnlyScopedModelViewSet, ScopedModelViewSet
from webhooks.admin import views
from webhooks.admin.forms import WebhookEndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint

# After "API keys" (the Loyalty group's 9th item; its own items come first at a tie), before "Audit log".
MENU_ORDER = 9


class WebhookEndpointViewSet(ScopedModelViewSet):
    model = WebhookEndpoint
    name = views.ENDPOINTS
    url_prefix = "loyalty/webhooks"
    icon = "link-external"
    menu_label = _("Webhooks")
    add_item_label = _("Add webhook")
    menu_hook = LOYALTY_MENU_HOOK
    menu_order = MENU_ORDER
    add_to_reference_index = False
    index_view_class = views.EndpointIndexView
    add_view_class = views.EndpointCreateView
    edit_view_class = views.EndpointEditView
    list_display = [
        "url",
        "description",
        "program",
        Column("events", label=_("Events"), accessor="get_events_display"),
        BooleanColumn("is_active", label=_("Active")),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]
    search_fields = ["url", "description"]
    filterset_class = program_filterset(WebhookEndpoint, "is_active")
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [FieldPanel("program"), FieldPanel("url"), FieldPanel("description"), FieldPanel("is_active")],
                heading=_("Endpoint"),
            ),
            FieldPanel("events"),
        ],
        base_form_class=WebhookEndpointForm,
    )

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(**{"usage_url_name": None, **kwargs})

    def get_urlpatterns(self):
        return [
            *(pattern for pattern in super().get_urlpatterns() if pattern.name != "usage"),
            path("secret/<int:pk>/", views.EndpointSecretView.as_view(), name="secret"),
            path("secret/<int:pk>/rotate/", views.EndpointSecretRotateView.as_view(), name="rotate_secret"),
            path("test/<int:pk>/", views.EndpointTestView.as_view(), name="test"),
        ]


class WebhookDeliveryViewSet(ReadOnlyScopedModelViewSet):
    """Read-only log plus re-send; deliveries are never edited or deleted here (the purge job forgets old ones)."""

    model = WebhookDelivery
    name = views.DELIVERIES
    url_prefix = "loyalty/webhook-deliveries"
    icon = "list-ul"
    menu_label = _("Webhook deliveries")
    menu_hook = LOYALTY_MENU_HOOK
    menu_order = MENU_ORDER
    index_view_class = views.DeliveryIndexView
    inspect_view_class = views.DeliveryDetailView
    list_select_related = ("endpoint", "endpoint__program")
    list_display = [
        "event_type",
        "endpoint",
        Column("program", label=_("Program"), accessor="endpoint.program"),
        "status",
        Column("attempts", label=_("Attempts")),
        Column("last_status_code", label=_("Response code"), accessor=lambda d: d.last_status_code or "—"),
        Column("next_attempt_at", label=_("Next attempt"), accessor=lambda d: views.moment_display(d.next_attempt_at)),
        DateColumn("created_at", label=_("Created"), sort_key="created_at"),
    ]
    filterset_class = views.WebhookDeliveryFilterSet
    inspect_view_fields = [
        "uuid",
        "event_type",
        "event_id",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_duration_ms",
        "last_error",
        "resent_from",
    ]

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), path("resend/<int:pk>/", views.DeliveryResendView.as_view(), name="resend")]
