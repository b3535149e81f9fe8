"""The analytics panel of the owner's admin home: each program's last 30 days against the 30 before, from the
rollups, with a link to its dashboard. Three queries whatever the number of programs (the home's query count must
not grow with them: ``tests/programs/test_admin_home.py``)."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum
from wagtail.admin.ui.components import Component

from analytics import selectors
from analytics.admin import views
from analytics.models import DailyFact
from programs import access
from programs.admin.home import money_display
from programs.wording import count_display

HOME_PROGRAMS_LIMIT = 6
ZERO = Decimal("0")


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
        if not programs:
            return {"programs": []}
        windows = {program.pk: selectors.default_filters(program) for program in programs}
        earliest = min(window.previous().first for window in windows.values())
        latest = max(window.last for window in windows.values())
        values = selectors.point_values(*programs)
        totals = defaultdict(lambda: {"now": defaultdict(lambda: ZERO), "before": defaultdict(lambda: ZERO)})
        rows = (
            DailyFact.objects.filter(program__in=programs, day__gte=earliest, day__lte=latest)
            .values("program_id", "card_type_id", "day")
            .annotate(
                purchases=Sum("purchases"),
                revenue=Sum("revenue"),
                new_members=Sum("new_members"),
                earned_c=Sum("points_earned_cashback"),
                earned_p=Sum("points_earned_promo"),
                redeemed=Sum("points_redeemed"),
            )
            .order_by()
        )
        for row in rows:
            window = windows[row["program_id"]]
            if window.first <= row["day"] <= window.last:
                period = "now"
            elif window.previous().first <= row["day"] < window.first:
                period = "before"
            else:
                continue
            value = values.get(row["card_type_id"], Decimal("1"))
            cells = totals[row["program_id"]][period]
            cells["purchases"] += row["purchases"] or 0
            cells["revenue"] += row["revenue"] or ZERO
            cells["new_members"] += row["new_members"] or 0
            cells["earned"] += ((row["earned_c"] or ZERO) + (row["earned_p"] or ZERO)) * value
            cells["redeemed"] += (row["redeemed"] or ZERO) * value
        cards = []
        for program in programs:
            now, before = totals[program.pk]["now"], totals[program.pk]["before"]
            change, direction = views.change_display(now["revenue"], before["revenue"])
            rate = now["redeemed"] / now["earned"] if now["earned"] > 0 else None
            cards.append(
                {
                    "program": program,
                    "url": views.url("program", program.pk),
                    "revenue": money_display(now["revenue"], program.currency),
                    "change": change,
                    "direction": direction,
                    "purchases": count_display(now["purchases"]),
                    "new_members": count_display(now["new_members"]),
                    "redemption": views.percent_display(rate),
                }
            )
        return {"programs": cards}
