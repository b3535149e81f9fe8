from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Loyalty programs")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Imported here, not at the top: they import the models, which don't exist before the registry is ready.
        from programs import checklist, jobs, schedules, signals
        from programs.models import (
            ApiKey,
            Card,
            CardType,
            DiscountThreshold,
            EarningRule,
            LedgerEntry,
            Member,
            Program,
            Purchase,
            RedemptionRule,
            Store,
            Tier,
        )
        from tenancy.registry import tenant_model_register

        # How each of the engine's rows reaches its business: the access helpers, the admin's forms and its
        # permission policies all read this.
        tenant_model_register(Program, "business")
        for model in (Store, CardType, Tier, EarningRule, Member, Card, LedgerEntry, ApiKey):
            tenant_model_register(model, "program__business")
        tenant_model_register(Purchase, "program__business", auth_model=Member)
        for model in (DiscountThreshold, RedemptionRule):
            tenant_model_register(model, "card_type__program__business")
        schedules.schedules_register(jobs.SCHEDULES)
        signals.connect()
        checklist.engine_items_register()
