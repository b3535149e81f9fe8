from django import forms
from django.utils.text import capfirst

from tenancy.admin.forms import ScopedAdminModelForm
from webhooks.models import WebhookEndpoint


class WebhookEndpointForm(ScopedAdminModelForm):
    """The program can be chosen among the user's own only (``ScopedAdminModelForm``), and not changed later."""

    url = forms.URLField(
        label=capfirst(WebhookEndpoint._meta.get_field("url").verbose_name),
        max_length=500,
        assume_scheme="https",
        help_text=WebhookEndpoint._meta.get_field("url").help_text,
    )


class ConfirmForm(forms.Form):
    """No fields: the button of a confirmation page (a POST with its CSRF token)."""
