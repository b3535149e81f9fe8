"""The operator's screen for giving a program its portal (superusers only: sites are not per business, see
``docs/pages.md``). It parses the form and calls ``pages.services.portal_site_create``."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from pages.models import portal_language_default
from pages.services import portal_site_create
from programs.errors import LoyaltyError
from programs.models import Program
from tenancy.actors import Actor


class PortalSiteForm(forms.Form):
    program = forms.ModelChoiceField(
        label=gettext_lazy("Program"),
        queryset=Program.objects.filter(portal_home__isnull=True).select_related("business"),
        help_text=gettext_lazy("Programs that have no portal yet."),
    )
    hostname = forms.CharField(
        label=gettext_lazy("Host name"),
        max_length=253,
        help_text=gettext_lazy("E.g. club.kvitka.ua; point its DNS at this server."),
    )
    port = forms.IntegerField(label=gettext_lazy("Port"), initial=80, min_value=1, max_value=65535)
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = portal_language_default()


class PortalSiteCreateView(WagtailAdminTemplateMixin, FormView):
    form_class = PortalSiteForm
    template_name = "wagtailadmin/generic/form.html"
    page_title = gettext_lazy("New portal site")
    header_icon = "site"

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_superuser):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            action_url=self.request.path, submit_button_label=_("Create the portal"), **kwargs
        )

    def form_valid(self, form):
        try:
            site = portal_site_create(
                program=form.cleaned_data["program"],
                hostname=form.cleaned_data["hostname"],
                port=form.cleaned_data["port"],
                language=form.cleaned_data["language"],
                actor=Actor.staff(self.request.user),
            )
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The portal of %(program)s is at %(url)s.")
            % {
                "program": form.cleaned_data["program"],
                "url": site.root_url + "/",
            },
        )
        return redirect(reverse("wagtailadmin_pages:edit", args=[site.root_page_id]))
