"""Dashboard screens: the list of the user's programs, one program's dashboard, a chart's data as CSV or XLSX, and
the monthly PDF report.

Every view needs ``analytics.view_dashboards`` (business owners have it; superusers have everything; 403 without)
and finds its program through ``programs.access``, so another business's program is a 404 for the page, the
downloads and the report alike. Everything shown is read from the rollups (``analytics.selectors``).
"""

from datetime import date, datetime

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from analytics import charts, exports, reports, selectors
from analytics.admin.forms import DashboardFilterForm
from analytics.rollups import local_day, version_get
from programs import access, clock
from programs.admin.home import money_display, points_display
from programs.models import Program
from programs.wording import count_display

NAMESPACE = "analytics_dashboards"
PERMISSION = "analytics.view_dashboards"
# How long a built dashboard is kept at most. It is keyed by the program's rollup version, so new rollups are never
# hidden behind it; the limit only bounds the memory of versions nobody asks for again.
DASHBOARD_CACHE_SECONDS = 60 * 60


def url(name: str, *args) -> str:
    return reverse(f"{NAMESPACE}:{name}", args=args)


def user_may_view_dashboards(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)


def percent_display(value) -> str:
    return "—" if value is None else f"{number_format(value * 100, decimal_pos=1, use_l10n=True)}\N{NO-BREAK SPACE}%"


def change_display(current, previous) -> tuple[str, str]:
    """The change against the previous period ("+12,5 %") and its direction ("up", "down", "")."""
    if current is None or previous is None or not previous:
        return "", ""
    delta = (current - previous) * 100 / previous
    sign = "+" if delta > 0 else ""
    text = f"{sign}{number_format(delta, decimal_pos=1, use_l10n=True)}\N{NO-BREAK SPACE}%"
    return text, "up" if delta > 0 else ("down" if delta < 0 else "")


class DashboardPermissionMixin:
    """Refuses (403) a user without ``analytics.view_dashboards`` before anything else is looked at."""

    def dispatch(self, request, *args, **kwargs):
        if not user_may_view_dashboards(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class ProgramMixin(DashboardPermissionMixin):
    @cached_property
    def program(self) -> Program:
        return access.access_program_for_user(user=self.request.user, program_id=self.kwargs["pk"])

    @cached_property
    def form(self) -> DashboardFilterForm:
        return DashboardFilterForm(self.request.GET or None, program=self.program)


class DashboardIndexView(DashboardPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """The user's programs; straight to the dashboard when there is only one."""

    template_name = "analytics/admin/index.html"
    page_title = _("Dashboards")
    header_icon = "chart-line"

    def get_page_title(self):
        return _("Dashboards")

    def get(self, request, *args, **kwargs):
        programs = list(access.programs_for_user(user=request.user).order_by("business__name", "name"))
        if len(programs) == 1:
            return redirect(url("program", programs[0].pk))
        self.programs = programs
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["programs"] = [(program, url("program", program.pk)) for program in self.programs]
        return context


class DashboardView(ProgramMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "analytics/admin/dashboard.html"
    header_icon = "chart-line"

    def get_page_title(self):
        return str(self.program)

    def get_page_subtitle(self):
        return _("Dashboard")

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": url("index"), "label": _("Dashboards")},
            {"url": "", "label": str(self.program)},
        ]

    def kpi_cards(self, dashboard: selectors.Dashboard) -> list[dict]:
        program = self.program
        now, before = dashboard.kpis, dashboard.previous

        def money(value):
            return money_display(value, program.currency)

        store_chosen = bool(dashboard.filters.store_id)

        def card(label, value, current=None, previous=None, help_text="", invert=False, whole_program=False):
            change, direction = change_display(current, previous)
            if invert and direction:
                direction = {"up": "down", "down": "up"}[direction]
            return {
                "label": label,
                "value": value,
                "change": change,
                "direction": direction,
                "help": help_text,
                # A figure of members, which a chosen store does not narrow.
                "all_stores": whole_program and store_chosen,
            }

        activity, liability = dashboard.activity, dashboard.liability
        return [
            card(_("Revenue"), money(now.revenue), now.revenue, before.revenue),
            card(_("Purchases"), count_display(now.purchases), now.purchases, before.purchases),
            card(_("Average check"), money(now.average_check), now.average_check, before.average_check),
            card(_("Refunded"), money(now.refunded), now.refunded, before.refunded, invert=True),
            card(
                _("New members"),
                count_display(now.new_members),
                now.new_members,
                before.new_members,
                whole_program=True,
            ),
            card(
                _("Cards issued"),
                count_display(now.cards_issued),
                now.cards_issued,
                before.cards_issued,
                whole_program=True,
            ),
            card(
                _("Active members, 30 days"),
                count_display(activity.active_30),
                help_text=_("Bought in the last 30 days (of %(members)s members).")
                % {"members": count_display(activity.members)},
                whole_program=True,
            ),
            card(
                _("Active members, 90 days"),
                count_display(activity.active_90),
                help_text=_("Bought in the last 90 days."),
                whole_program=True,
            ),
            card(
                _("Repeat-purchase rate"),
                percent_display(activity.repeat_rate),
                help_text=_("Members who bought at least twice, of those who bought."),
                whole_program=True,
            ),
            card(_("Points earned"), money(now.points_earned), now.points_earned, before.points_earned),
            card(_("Points redeemed"), money(now.points_redeemed), now.points_redeemed, before.points_redeemed),
            card(
                _("Points expired"), money(now.points_expired), now.points_expired, before.points_expired, invert=True
            ),
            card(
                _("Redemption rate"),
                percent_display(now.redemption_rate),
                now.redemption_rate,
                before.redemption_rate,
                help_text=_("Redeemed ÷ earned in the period, in money."),
            ),
            card(
                _("Breakage rate"),
                percent_display(now.breakage_rate),
                now.breakage_rate,
                before.breakage_rate,
                help_text=_("Expired ÷ earned in the period, in money."),
                invert=True,
            ),
            card(
                _("Liability"),
                money(liability.total),
                help_text=_("Cashback %(cashback)s · promo %(promo)s · expiring in 30 days %(expiring)s")
                % {
                    "cashback": money(liability.cashback),
                    "promo": money(liability.promo),
                    "expiring": money(liability.expiring_30d),
                },
                whole_program=True,
            ),
            card(
                _("Stamps issued"),
                points_display(now.stamps_issued),
                now.stamps_issued,
                before.stamps_issued,
                help_text=_("Rewards issued %(issued)s · redeemed %(redeemed)s")
                % {"issued": count_display(now.rewards_issued), "redeemed": count_display(now.rewards_redeemed)},
            ),
        ]

    def dashboard_built(self, filters: selectors.Filters, *, accent: str, today: date):
        """The dashboard's figures and their Plotly specs, built once per program, rollup version, filters, day,
        language and accent colour: a request after the rollups moved (``rollups.version_bump``) builds afresh."""
        version = version_get(program=self.program)
        key = ":".join(
            str(part)
            for part in (
                "analytics:dashboard",
                self.program.pk,
                version,
                filters.first,
                filters.last,
                filters.card_type_id,
                filters.store_id,
                filters.tier_id,
                today,
                get_language(),
                accent,
            )
        )
        built = cache.get(key)
        if built is None:
            dashboard = selectors.dashboard_get(program=self.program, filters=filters)
            figures = {name: charts.figure_data(table, accent=accent) for name, table in dashboard.tables.items()}
            built = (dashboard, figures)
            cache.set(key, built, DASHBOARD_CACHE_SECONDS)
        return built

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        from themes.tokens import theme_tokens

        filters = self.form.filters()
        accent = theme_tokens(self.program).accent
        today = local_day(self.program, clock.now())
        dashboard, figures = self.dashboard_built(filters, accent=accent, today=today)
        query = self.request.GET.urlencode()
        previous = filters.previous()
        context.update(
            form=self.form,
            program=self.program,
            dashboard=dashboard,
            kpis=self.kpi_cards(dashboard),
            period=_("%(first)s – %(last)s, compared with %(pfirst)s – %(plast)s")
            % {
                "first": date_format(filters.first, "SHORT_DATE_FORMAT"),
                "last": date_format(filters.last, "SHORT_DATE_FORMAT"),
                "pfirst": date_format(previous.first, "SHORT_DATE_FORMAT"),
                "plast": date_format(previous.last, "SHORT_DATE_FORMAT"),
            },
            charts=[
                {
                    "key": key,
                    "title": table.title,
                    "figure": figures[key],
                    "script_id": f"figure-{key}",
                    "empty": not table.rows,
                    "all_stores": bool(filters.store_id) and key in selectors.WHOLE_PROGRAM_TABLES,
                    "csv": f"{url('export', self.program.pk, key, 'csv')}?{query}",
                    "xlsx": f"{url('export', self.program.pk, key, 'xlsx')}?{query}",
                }
                for key, table in dashboard.tables.items()
            ],
            report_url=url("report", self.program.pk),
            report_month=reports.previous_month(today).strftime("%Y-%m"),
            report_max=today.strftime("%Y-%m"),
        )
        return context


class ExportView(ProgramMixin, View):
    """One chart's data within the dashboard's filters, as CSV or XLSX."""

    def get(self, request, pk: int, key: str, fmt: str):
        if key not in selectors.TABLE_KEYS or fmt not in ("csv", "xlsx"):
            raise Http404
        if request.GET and not self.form.is_valid():
            errors = "; ".join(str(error) for errors in self.form.errors.values() for error in errors)
            return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
        filters = self.form.filters()
        table = selectors.dashboard_get(program=self.program, filters=filters, only=key).tables[key]
        name = f"{self.program.slug}-{key}-{filters.first:%Y%m%d}-{filters.last:%Y%m%d}.{fmt}"
        if fmt == "csv":
            response = HttpResponse(exports.table_csv(table), content_type=exports.CSV_TYPE)
        else:
            response = HttpResponse(exports.table_xlsx(table), content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class ReportView(ProgramMixin, View):
    """The monthly PDF report (``?month=YYYY-MM``, the previous month by default), in the user's language."""

    def get(self, request, pk: int):
        today = local_day(self.program, clock.now())
        raw = request.GET.get("month")
        month = reports.previous_month(today)
        if raw:
            try:
                month = datetime.strptime(raw, "%Y-%m").date()
            except ValueError:
                month = None
            if month is None or month > today.replace(day=1) or month < date(2000, 1, 1):
                messages.error(request, _("Choose a month up to the current one, as YYYY-MM."))
                return redirect(url("program", self.program.pk))
        pdf = reports.report_pdf(program=self.program, month=month)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{reports.report_filename(self.program, month)}"'
        return response
