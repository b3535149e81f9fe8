"""API keys in the admin: the owner creates a key (shown once), lists keys with their last use, and revokes them.

Keys are never edited or deleted (their audit trail and idempotency records refer to them); creating and
revoking call ``programs.services.api_keys``. The listing and the revoke view find keys through the business
policy, so another business's key is a 404; the form offers only the user's programs and stores.
"""

from django import forms
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import ListingButton

from programs import access
from programs.admin.forms import ReasonForm
from programs.errors import LoyaltyError
from programs.models import ApiKey, Store
from programs.services.api_keys import api_key_create, api_key_revoke
from tenancy.actors import Actor
from tenancy.admin import views

NAMESPACE = "loyalty_api_keys"


def url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


class ApiKeyForm(forms.Form):
    program = forms.ModelChoiceField(label=gettext_lazy("Program"), queryset=ApiKey.objects.none())
    store = forms.ModelChoiceField(
        label=gettext_lazy("Store"),
        queryset=Store.objects.none(),
        required=False,
        help_text=ApiKey._meta.get_field("store").help_text,
    )
    name = forms.CharField(
        label=gettext_lazy("Name"), max_length=100, help_text=ApiKey._meta.get_field("name").help_text
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        programs = access.programs_for_user(user=user)
        self.fields["program"].queryset = programs
        self.fields["store"].queryset = access.scope_for_user(Store.objects.select_related("program"), user=user)
        if not self.is_bound and programs.count() == 1:
            self.fields["program"].initial = programs.get().pk


class ApiKeyCreateView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Creates the key and answers with its secret on the same page: never stored, never shown again."""

    model = ApiKey
    permission_required = "add"
    form_class = ApiKeyForm
    template_name = "programs/admin/api_key_form.html"
    page_title = gettext_lazy("New API key")
    header_icon = "key"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": url("index"), "label": _("API keys")}, {"url": "", "label": _("New")}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(action_url=url("add"), submit_button_label=_("Create key"), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            created = api_key_create(
                program=data["program"], store=data["store"], name=data["name"], actor=Actor.staff(self.request.user)
            )
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        context = self.get_context_data(
            form=None,
            page_title=_("API key created"),
            api_key=created.api_key,
            plaintext=created.plaintext,
            base_url=settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
        )
        response = TemplateResponse(self.request, "programs/admin/api_key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = ApiKey
    permission_required = "change"
    form_class = ReasonForm
    template_name = "programs/admin/api_key_revoke.html"
    page_title = gettext_lazy("Revoke API key")
    header_icon = "key"

    @cached_property
    def api_key(self) -> ApiKey:
        queryset = self.permission_policy.instances_user_has_permission_for(self.request.user, "change")
        api_key = queryset.select_related("program__business", "store").filter(pk=self.kwargs["pk"]).first()
        if api_key is None:
            raise Http404
        return api_key

    def dispatch(self, request, *args, **kwargs):
        self.api_key  # noqa: B018  (404 for another business's key, whatever the method)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("API keys")},
            {"url": "", "label": str(self.api_key)},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=url("revoke", self.api_key.pk),
            submit_button_label=_("Revoke"),
            actor=Actor.api(self.api_key),
            **kwargs,
        )

    def form_valid(self, form):
        if self.api_key.revoked_at is None:
            api_key_revoke(
                api_key=self.api_key, actor=Actor.staff(self.request.user), reason=form.cleaned_data["reason"]
            )
            messages.success(self.request, _("API key “%(name)s” revoked.") % {"name": self.api_key.name})
        return redirect(url("index"))


def api_key_status(api_key: ApiKey) -> str:
    return _("Active") if api_key.revoked_at is None else _("Revoked")


class ApiKeyIndexView(views.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.revoked_at is None and self.permission_policy.user_has_permission_for_instance(
            self.request.user, "change", instance
        ):
            buttons.append(ListingButton(_("Revoke"), url=url("revoke", instance.pk), icon_name="bin", priority=30))
        return buttons
