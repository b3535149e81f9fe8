"""Webhook screens beyond CRUD: the signing secret, a test event, a delivery's page and re-sending it.

Every view finds its object through the business-scoped permission policy, so another business's endpoint or
delivery is a 404 whatever the method, and checks the model permission before anything else. Actions are POSTs
(with Django's CSRF check) from a confirmation page, and call ``webhooks.services``.
"""

import json

from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from django_filters import ChoiceFilter, ModelChoiceFilter
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button, ListingButton
from wagtail.permissions import policy_registry

from programs.errors import LoyaltyError
from tenancy import access
from tenancy.actors import Actor
from tenancy.admin import views
from webhooks import services
from webhooks.admin.forms import ConfirmForm
from webhooks.choices import DeliveryStatus, EventType
from webhooks.models import WebhookDelivery, WebhookEndpoint

ENDPOINTS = "webhooks_endpoints"
DELIVERIES = "webhooks_deliveries"


def endpoint_url(name: str, *args) -> str:
    return reverse(f"{ENDPOINTS}:{name}", args=args)


def delivery_url(name: str, *args) -> str:
    return reverse(f"{DELIVERIES}:{name}", args=args)


def deliveries_of(endpoint: WebhookEndpoint) -> str:
    return f"{delivery_url('index')}?endpoint={endpoint.pk}"


def moment_display(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def user_may(user, model, action: str) -> bool:
    return policy_registry.get_by_type(model).user_has_permission(user, action)


# --- Endpoints -----------------------------------------------------------------------------------------------


class EndpointIndexView(views.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        user = self.request.user
        buttons.append(ListingButton(_("Deliveries"), url=deliveries_of(instance), icon_name="list-ul", priority=40))
        if self.permission_policy.user_has_permission_for_instance(user, "change", instance):
            buttons.append(
                ListingButton(
                    _("Signing secret"), url=endpoint_url("secret", instance.pk), icon_name="key", priority=50
                )
            )
        if instance.is_active and user_may(user, WebhookDelivery, "add"):
            buttons.append(
                ListingButton(
                    _("Send test event"), url=endpoint_url("test", instance.pk), icon_name="mail", priority=60
                )
            )
        return buttons


class EndpointCreateView(views.CreateView):
    def get_success_message(self, instance):
        return _("Webhook endpoint “%(endpoint)s” created. Copy its signing secret now.") % {"endpoint": instance}

    def get_success_url(self):
        return endpoint_url("secret", self.object.pk)


class EndpointEditView(views.EditView):
    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        buttons.append(Button(_("Deliveries"), url=deliveries_of(self.object), icon_name="list-ul", priority=40))
        secret_url = endpoint_url("secret", self.object.pk)
        buttons.append(Button(_("Signing secret"), url=secret_url, icon_name="key", priority=50))
        return buttons


class EndpointObjectMixin:
    """The endpoint of the URL, if the user may ``endpoint_action`` it (else 404, whatever the method)."""

    endpoint_action = "change"

    @cached_property
    def endpoint(self) -> WebhookEndpoint:
        policy = policy_registry.get_by_type(WebhookEndpoint)
        queryset = policy.instances_user_has_any_permission_for(self.request.user, [self.endpoint_action])
        endpoint = queryset.select_related("program__business").filter(pk=self.kwargs["pk"]).first()
        if endpoint is None:
            raise Http404
        return endpoint

    def dispatch(self, request, *args, **kwargs):
        self.endpoint  # noqa: B018  (404 for another business's endpoint, whatever the method)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": endpoint_url("index"), "label": _("Webhooks")},
            {"url": endpoint_url("edit", self.endpoint.pk), "label": str(self.endpoint)},
            {"url": "", "label": self.get_page_title()},
        ]


class EndpointSecretView(EndpointObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Shows the signing secret to an owner who may change the endpoint; each look is audited."""

    model = WebhookEndpoint
    permission_required = "change"
    http_method_names = ["get"]
    template_name = "webhooks/admin/endpoint_secret.html"
    page_title = gettext_lazy("Signing secret")
    header_icon = "key"

    def get_context_data(self, **kwargs):
        secret = services.endpoint_secret_reveal(endpoint=self.endpoint, actor=Actor.staff(self.request.user))
        return super().get_context_data(
            endpoint=self.endpoint,
            secret=secret,
            may_test=self.endpoint.is_active and user_may(self.request.user, WebhookDelivery, "add"),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class ConfirmView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A confirmation page (GET) and its button (POST) for one action."""

    form_class = ConfirmForm
    template_name = "webhooks/admin/confirm.html"
    submit_label = ""
    question = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path,
            submit_button_label=self.submit_label,
            question=self.question,
            **kwargs,
        )


class EndpointSecretRotateView(EndpointObjectMixin, ConfirmView):
    model = WebhookEndpoint
    permission_required = "change"
    page_title = gettext_lazy("New signing secret")
    header_icon = "key"
    submit_label = gettext_lazy("Replace the secret")
    question = gettext_lazy(
        "Kartka will sign everything with a new secret from now on, retries included. Receivers that still check "
        "the old one will refuse the events until they are given the new one."
    )

    def get_context_data(self, **kwargs):
        return super().get_context_data(endpoint=self.endpoint, **kwargs)

    def form_valid(self, form):
        services.endpoint_secret_rotate(endpoint=self.endpoint, actor=Actor.staff(self.request.user))
        messages.success(self.request, _("The signing secret was replaced. Give the new one to the receiver."))
        return redirect(endpoint_url("secret", self.endpoint.pk))


class EndpointTestView(EndpointObjectMixin, ConfirmView):
    """Needs the right to add deliveries (a test is one) and to see the endpoint."""

    model = WebhookDelivery
    permission_required = "add"
    endpoint_action = "view"
    page_title = gettext_lazy("Send test event")
    header_icon = "mail"
    submit_label = gettext_lazy("Send test event")
    question = gettext_lazy("Kartka will send a signed “webhook.test” event to this endpoint now.")

    def get_context_data(self, **kwargs):
        return super().get_context_data(endpoint=self.endpoint, **kwargs)

    def form_valid(self, form):
        try:
            services.endpoint_test_send(endpoint=self.endpoint, actor=Actor.staff(self.request.user))
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        messages.success(self.request, _("Test event queued for “%(endpoint)s”.") % {"endpoint": self.endpoint})
        return redirect(deliveries_of(self.endpoint))


# --- Deliveries ----------------------------------------------------------------------------------------------


def _endpoints_for_request(request):
    return access.scope_for_user(WebhookEndpoint.objects.select_related("program"), user=request.user)


class WebhookDeliveryFilterSet(WagtailFilterSet):
    endpoint = ModelChoiceFilter(label=gettext_lazy("Endpoint"), queryset=_endpoints_for_request)
    status = ChoiceFilter(label=gettext_lazy("Status"), choices=DeliveryStatus.choices)
    event_type = ChoiceFilter(label=gettext_lazy("Event"), choices=EventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event_type"]


class DeliveryIndexView(views.IndexView):
    pass


class DeliveryDetailView(views.InspectView):
    """A delivery's page: where it stands, the body as sent, the last answer, and the re-send button."""

    template_name = "webhooks/admin/delivery_detail.html"

    def get_page_subtitle(self):
        return str(self.object)

    def get_field_display_value(self, field_name, field):
        value = super().get_field_display_value(field_name, field)
        return "—" if value is None or value == "" else value

    def get_endpoint_display_value(self):
        return f"{self.object.endpoint} — {self.object.endpoint.url}"

    def get_resent_from_display_value(self):
        return str(self.object.resent_from.uuid) if self.object.resent_from_id else "—"

    def get_context_data(self, **kwargs):
        delivery = self.object
        try:
            payload = json.dumps(json.loads(delivery.payload), indent=2, ensure_ascii=False)
        except ValueError:
            payload = delivery.payload
        may_resend = delivery.endpoint.is_active and user_may(self.request.user, WebhookDelivery, "add")
        return super().get_context_data(
            delivery=delivery,
            payload=payload,
            resend_url=delivery_url("resend", delivery.pk) if may_resend else "",
            original_url=delivery_url("inspect", delivery.resent_from_id) if delivery.resent_from_id else "",
            **kwargs,
        )


class DeliveryResendView(ConfirmView):
    model = WebhookDelivery
    permission_required = "add"
    page_title = gettext_lazy("Re-send delivery")
    header_icon = "redirect"
    submit_label = gettext_lazy("Re-send")
    question = gettext_lazy(
        "Kartka will send this event again as a new delivery, with the same event id and body (receivers that "
        "already have it can tell by the id). This delivery stays in the log as it is."
    )

    @cached_property
    def delivery(self) -> WebhookDelivery:
        queryset = self.permission_policy.instances_user_has_any_permission_for(self.request.user, ["view", "add"])
        delivery = queryset.select_related("endpoint__program").filter(pk=self.kwargs["pk"]).first()
        if delivery is None:
            raise Http404
        return delivery

    def dispatch(self, request, *args, **kwargs):
        self.delivery  # noqa: B018  (404 for another business's delivery, whatever the method)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": delivery_url("index"), "label": _("Webhook deliveries")},
            {"url": delivery_url("inspect", self.delivery.pk), "label": str(self.delivery)},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(delivery=self.delivery, endpoint=self.delivery.endpoint, **kwargs)

    def form_valid(self, form):
        try:
            resend = services.delivery_resend(delivery=self.delivery, actor=Actor.staff(self.request.user))
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        messages.success(self.request, _("Delivery queued again."))
        return redirect(delivery_url("inspect", resend.pk))
