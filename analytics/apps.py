from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from analytics import receivers, tasks
        from analytics.demo import analytics_demo_ensure
        from analytics.models import (
            DailyFact,
            LiabilitySnapshot,
            MemberFact,
            MemberMonth,
            RecomputeRun,
            ReportDelivery,
        )
        from programs import schedules
        from programs.checklist import program_link_register
        from programs.demo import demo_extension_register
        from tenancy.registry import tenant_model_register

        for model in (DailyFact, LiabilitySnapshot, MemberFact, MemberMonth, RecomputeRun, ReportDelivery):
            tenant_model_register(model, "program__business")
        schedules.schedules_register(tasks.SCHEDULES)
        receivers.connect()
        program_link_register("analytics.dashboard", label=_("Dashboard"), links_many=tasks.dashboard_urls, order=20)
        demo_extension_register("analytics", analytics_demo_ensure)
