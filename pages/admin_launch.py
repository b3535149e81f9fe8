"""The "New loyalty program" wizard of the admin: one form that calls ``pages.launch.program_launch`` and lands on
the owner's home with the portal's link. Wired in ``pages/wagtail_hooks.py``; the home's button points here."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.images.fields import WagtailImageField
from wagtail.models import Site
from wagtail.permissions import policy_registry

from pages.launch import PRESETS, BrandColours, brand_palette, program_launch
from pages.services import HOSTNAME
from programs.choices import CardKind, Currency
from programs.errors import LoyaltyError
from programs.models import Program
from tenancy.access import businesses_for_user
from tenancy.actors import Actor
from themes.colours import AA_RATIO, validate_hex_colour
from themes.widgets import ColourInput


def _colour_field(label, initial, help_text=""):
    return forms.CharField(
        label=label,
        initial=initial,
        max_length=7,
        validators=[validate_hex_colour],
        widget=ColourInput,
        help_text=help_text,
    )


class ProgramLaunchForm(forms.Form):
    business = forms.ModelChoiceField(label=gettext_lazy("Business"), queryset=None)
    name = forms.CharField(
        label=gettext_lazy("Program name"),
        max_length=200,
        help_text=gettext_lazy("What customers see, e.g. “Kvitka Club”."),
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices, initial=Currency.UAH)
    language = forms.ChoiceField(
        label=gettext_lazy("Portal language"),
        choices=settings.LANGUAGES,
        help_text=gettext_lazy("The language of the portal and of what the card says to customers."),
    )
    card_kind = forms.ChoiceField(
        label=gettext_lazy("Kind of card"),
        choices=list(PRESETS.items()),
        initial=CardKind.CASHBACK,
        widget=forms.RadioSelect,
        help_text=gettext_lazy("Sensible defaults to start with; change any of them later in the Loyalty menu."),
    )
    background = _colour_field(gettext_lazy("Background colour"), "#ffffff")
    text = _colour_field(gettext_lazy("Text colour"), "#1b1f24")
    accent = _colour_field(
        gettext_lazy("Accent colour"),
        "#1f6feb",
        gettext_lazy("Buttons and links; the text on it is picked white or black, whichever reads better."),
    )
    logo = WagtailImageField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("Optional. PNG or JPEG, at least 160×50 px."),
    )
    hostname = forms.CharField(
        label=gettext_lazy("Portal address"),
        max_length=253,
        help_text=gettext_lazy("A host name such as club.example.com (brand.localhost while developing)."),
    )

    def __init__(self, *args, businesses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["business"].queryset = businesses
        self.fields["language"].initial = settings.LANGUAGE_CODE
        # Wagtail's image field writes its own help text (formats, size limit); ours says what a logo needs.
        self.fields["logo"].help_text = _("Optional. PNG or JPEG, at least 160×50 px.")
        self.fixed_business = None
        if businesses.count() == 1:
            # An owner of one business launches into it; there is nothing to choose.
            self.fixed_business = businesses.get()
            del self.fields["business"]

    def clean_hostname(self):
        hostname = self.cleaned_data["hostname"].strip().lower().rstrip(".")
        if not HOSTNAME.match(hostname):
            raise ValidationError(_("Enter a host name such as club.example.com (no http://, port or path)."))
        if Site.objects.filter(hostname=hostname).exists():
            raise ValidationError(_("Another site already answers to this host name."))
        return hostname

    def clean(self):
        # Every refusal at once: the colours' contrast is checked here as the service will check it again.
        data = super().clean()
        if all(data.get(name) for name in ("background", "text", "accent")):
            try:
                brand_palette(BrandColours(background=data["background"], text=data["text"], accent=data["accent"]))
            except ValidationError as error:
                for field, texts in error.message_dict.items():
                    for text in texts:
                        self.add_error(field, text)
        return data

    def chosen_business(self):
        return self.fixed_business or self.cleaned_data["business"]


class ProgramLaunchView(WagtailAdminTemplateMixin, FormView):
    form_class = ProgramLaunchForm
    template_name = "pages/admin/program_launch.html"
    page_title = gettext_lazy("New loyalty program")
    header_icon = "crosshairs"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not policy_registry.get_by_type(Program).user_has_permission(user, "add"):
            raise PermissionDenied
        self.businesses = businesses_for_user(user=user).order_by("name")
        if not self.businesses.exists():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "businesses": self.businesses}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            action_url=self.request.path, submit_button_label=_("Launch the program"), **kwargs
        )
        context["media"] = context["form"].media  # the colour inputs' picker script and styles
        context["aa_ratio"] = AA_RATIO  # the live contrast check under the colours
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            launched = program_launch(
                business=form.chosen_business(),
                actor=Actor.staff(self.request.user),
                name=data["name"],
                currency=data["currency"],
                language=data["language"],
                card_kind=data["card_kind"],
                colours=BrandColours(background=data["background"], text=data["text"], accent=data["accent"]),
                logo_file=data.get("logo"),
                hostname=data["hostname"],
                port=int(self.request.get_port()),
            )
        except LoyaltyError as error:
            error.add_to_form(form)
            return self.form_invalid(form)
        except ValidationError as error:
            for field, texts in error.message_dict.items():
                for text in texts:
                    form.add_error(field if field in form.fields else None, text)
            return self.form_invalid(form)
        portal = launched.site.root_url + "/"
        messages.success(
            self.request,
            _("%(program)s is launched. Its portal is at %(url)s.") % {"program": launched.program, "url": portal},
            buttons=[
                messages.button(portal, _("Open the portal"), new_window=True),
                messages.button(
                    reverse("wagtailsnippets_themes_theme:edit", args=[launched.theme.pk]), _("Edit the look")
                ),
                messages.button(
                    reverse("wagtailadmin_pages:edit", args=[launched.site.root_page_id]), _("Edit the portal")
                ),
            ],
        )
        return redirect(reverse("wagtailadmin_home"))
