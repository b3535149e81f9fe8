"""Wallet screens: every program's wallet status, one program's page (problems, figures, the last pushes, "Check
now") and its credentials form.

Every view needs ``wallet.manage_wallet`` (business owners have it; superusers have everything) and finds its
program through ``programs.access``, so another business's program is a 404 whatever the method. "Check now" and
saving are POSTs with Django's CSRF check, and call ``wallet.services``.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from programs import access
from programs.models import Program
from tenancy.actors import Actor
from wallet import selectors, services
from wallet.admin.forms import SECRETS_KEY_MISSING, WalletCredentialsForm, certificate_summary
from wallet.checks import WalletHealth, wallet_config_of, wallet_health
from wallet.choices import CredentialSource
from wallet.secrets import SecretsUnavailable

NAMESPACE = "wallet_admin"
PERMISSION = "wallet.manage_wallet"


def url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def moment_display(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def user_may_manage_wallet(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)


def health_display(health: WalletHealth) -> str:
    """ "From the program · healthy", "From the environment · 2 problems", "Not configured"."""
    if not health.configured:
        return str(CredentialSource.NONE.label)
    if not health.checked:
        state = _("not checked yet")
    elif health.problems:
        count = len(health.problems)
        state = ngettext("%(count)s problem", "%(count)s problems", count) % {"count": count}
    else:
        state = _("healthy")
    return f"{health.source.label} · {state}"


def push_answer(registration) -> str:
    """APNs's answer to a push in words: "200" alone, or the status with Apple's reason."""
    if registration.last_push_status is None:
        return "—"
    if registration.last_push_reason:
        return f"{registration.last_push_status} {registration.last_push_reason}"
    return str(registration.last_push_status)


def device_short(device) -> str:
    """A device's library id, shortened: enough to tell devices apart, not a handle on them."""
    return f"{device.library_identifier[:8]}…"


class WalletPermissionMixin:
    """Refuses (403) a user without ``wallet.manage_wallet`` before anything else is looked at."""

    def dispatch(self, request, *args, **kwargs):
        if not user_may_manage_wallet(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ProgramObjectMixin(WalletPermissionMixin):
    """The program of the URL, among the user's programs only (else 404, whatever the method)."""

    @cached_property
    def program(self) -> Program:
        # With its settings row (or the knowledge that there is none) for the credentials loaders.
        programs = access.programs_for_user(user=self.request.user).select_related("wallet_config")
        program = programs.filter(pk=self.kwargs["pk"]).first()
        if program is None:
            raise Http404
        return program

    def dispatch(self, request, *args, **kwargs):
        if user_may_manage_wallet(request.user):
            self.program  # noqa: B018  (404 for another business's program, whatever the method)
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Wallet")},
            {"url": url("program", self.program.pk), "label": str(self.program)},
            {"url": "", "label": self.get_page_title()},
        ]


# --- Every program -------------------------------------------------------------------------------------------


class WalletIndexView(WalletPermissionMixin, generic.IndexView):
    """The user's programs with each wallet's status and the figures of their passes, in a fixed number of
    queries (``selectors.wallet_program_list``)."""

    model = Program
    index_url_name = f"{NAMESPACE}:index"
    index_results_url_name = f"{NAMESPACE}:index_results"
    page_title = gettext_lazy("Wallet")
    header_icon = "mobile-alt"
    paginate_by = 50
    default_ordering = "name"

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "name",
                label=gettext_lazy("Program"),
                accessor=str,
                get_url=lambda program: url("program", program.pk),
                sort_key="name",
            ),
            Column("business", label=gettext_lazy("Business")),
            Column("apple", label=gettext_lazy("Apple Wallet"), accessor=lambda p: health_display(wallet_health(p)[0])),
            Column(
                "google", label=gettext_lazy("Google Wallet"), accessor=lambda p: health_display(wallet_health(p)[1])
            ),
            Column("wallet_passes", label=gettext_lazy("Passes"), sort_key="wallet_passes"),
            Column("wallet_apple_devices", label=gettext_lazy("Apple devices"), sort_key="wallet_apple_devices"),
            Column("wallet_google_saved", label=gettext_lazy("Saved to Google"), sort_key="wallet_google_saved"),
            Column(
                "wallet_last_push_at",
                label=gettext_lazy("Last push"),
                accessor=lambda program: moment_display(program.wallet_last_push_at),
                sort_key="wallet_last_push_at",
            ),
        ]

    def get_base_queryset(self):
        return selectors.wallet_program_list(programs=access.programs_for_user(user=self.request.user))


# --- One program ---------------------------------------------------------------------------------------------


class WalletProgramView(ProgramObjectMixin, WagtailAdminTemplateMixin, TemplateView):
    """A program's wallets: where the credentials come from, what the last check found, the passes' figures and
    the last pushes, with "Check now" and the credentials form a click away."""

    template_name = "wallet/admin/program.html"
    header_icon = "mobile-alt"
    pushes_shown = 20

    def get_page_title(self):
        return str(self.program)

    def get_page_subtitle(self):
        return _("Wallet")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Wallet")},
            {"url": "", "label": str(self.program)},
        ]

    @staticmethod
    def apple_details(health: WalletHealth, config) -> list[tuple[str, str]]:
        """What can be said of the Apple credentials without a secret: the ids, the certificate, the APNs key id."""
        if health.source == CredentialSource.PROGRAM:
            return [
                (_("Pass type ID"), config.apple_pass_type_identifier),
                (_("Team ID"), config.apple_team_identifier),
                (_("Certificate"), certificate_summary(config.apple_certificate)),
                (_("APNs key ID"), config.apns_key_id if config.apns_key_sealed else ""),
            ]
        if health.source == CredentialSource.ENVIRONMENT:
            return [
                (_("Pass type ID"), settings.KARTKA_WALLET_APPLE_PASS_TYPE_ID),
                (_("Team ID"), settings.KARTKA_WALLET_APPLE_TEAM_ID),
                (_("APNs key ID"), settings.KARTKA_WALLET_APNS_KEY_ID),
            ]
        return []

    @staticmethod
    def google_details(health: WalletHealth, config) -> list[tuple[str, str]]:
        if health.source == CredentialSource.PROGRAM:
            return [(_("Google issuer ID"), config.google_issuer_id)]
        if health.source == CredentialSource.ENVIRONMENT:
            return [(_("Google issuer ID"), settings.KARTKA_WALLET_GOOGLE_ISSUER_ID)]
        return []

    def get_context_data(self, **kwargs):
        program = self.program
        config = wallet_config_of(program)
        apple, google = wallet_health(program)
        figures = selectors.wallet_program_list(programs=Program.objects.filter(pk=program.pk)).get()
        pushes = selectors.wallet_pushes_recent(program=program, limit=self.pushes_shown)
        for registration in pushes:
            registration.device_short = device_short(registration.device)
            registration.answer = push_answer(registration)
        return super().get_context_data(
            program=program,
            config=config,
            apple=apple,
            google=google,
            apple_details=self.apple_details(apple, config),
            google_details=self.google_details(google, config),
            figures=figures,
            pushes=pushes,
            check_url=url("check", program.pk),
            credentials_url=url("credentials", program.pk),
            **kwargs,
        )


class WalletCheckView(ProgramObjectMixin, View):
    """ "Check now": checks both wallets' credentials and stores the findings (POST only)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        config = services.wallet_config_check(program=self.program, actor=Actor.staff(request.user))
        problems = len(config.apple_problems) + len(config.google_problems)
        if problems:
            messages.warning(
                request,
                ngettext(
                    "Checked: %(count)s problem to fix, listed below.",
                    "Checked: %(count)s problems to fix, listed below.",
                    problems,
                )
                % {"count": problems},
            )
        else:
            messages.success(request, _("Checked: no problems found."))
        return redirect(url("program", self.program.pk))


class WalletCredentialsView(ProgramObjectMixin, WagtailAdminTemplateMixin, FormView):
    """The program's own credentials. Saving stores them sealed (``wallet_config_save``), then checks them and
    shows what the check found on the program's page."""

    form_class = WalletCredentialsForm
    template_name = "wallet/admin/credentials.html"
    page_title = gettext_lazy("Wallet credentials")
    header_icon = "key"

    def get_page_subtitle(self):
        return str(self.program)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "config": wallet_config_of(self.program)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            program=self.program,
            action_url=url("credentials", self.program.pk),
            submit_button_label=_("Save and check"),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    def form_valid(self, form):
        actor = Actor.staff(self.request.user)
        try:
            services.wallet_config_save(program=self.program, values=form.values, actor=actor)
        except SecretsUnavailable:
            form.add_error(None, SECRETS_KEY_MISSING)
            return self.form_invalid(form)
        config = services.wallet_config_check(program=self.program, actor=actor)
        problems = config.apple_problems + config.google_problems
        if problems:
            messages.warning(
                self.request,
                ngettext(
                    "Credentials saved. The check found %(count)s problem: see below.",
                    "Credentials saved. The check found %(count)s problems: see below.",
                    len(problems),
                )
                % {"count": len(problems)},
            )
        else:
            messages.success(self.request, _("Credentials saved and checked: no problems found."))
        return redirect(url("program", self.program.pk))
