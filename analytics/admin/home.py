"""The analytics panel of the owner's admin home: each program's last 30 days against the 30 before, from the
rollups (a fixed number of queries per program shown), with a link to its dashboard."""

from django.utils.formats import number_format
from wagtail.admin.ui.components import Component

from analytics import selectors
from analytics.admin import views
from programs import access
from programs.admin.home import money_display

HOME_PROGRAMS_LIMIT = 6


class AnalyticsHomePanel(Component):
    name = "analytics_summary"
    template_name = "analytics/admin/home_panel.html"
    order = 20

    class Media:
        css = {"all": ["analytics/dashboard.css"]}

    def get_context_data(self, parent_context):
        request = parent_context["request"]
        if not views.user_may_view_dashboards(request.user):
            return {"programs": []}
        programs = list(
            access.programs_for_user(user=request.user)
            .filter(is_active=True)
            .order_by("business__name", "name")[:HOME_PROGRAMS_LIMIT]
        )
        rows = []
        for program in programs:
            filters = selectors.default_filters(program)
            values = selectors.point_values(program)
            now = selectors.kpis_get(program=program, filters=filters, values=values)
            before = selectors.kpis_get(program=program, filters=filters.previous(), values=values)
            change, direction = views.change_display(now.revenue, before.revenue)
            rows.append(
                {
                    "program": program,
                    "url": views.url("program", program.pk),
                    "revenue": money_display(now.revenue, program.currency),
                    "change": change,
                    "direction": direction,
                    "purchases": number_format(now.purchases, decimal_pos=0, use_l10n=True, force_grouping=True),
                    "new_members": number_format(now.new_members, decimal_pos=0, use_l10n=True, force_grouping=True),
                    "redemption": views.percent_display(now.redemption_rate),
                }
            )
        return {"programs": rows}
