"""The demo's dashboards: the engine's demo seed writes a year of purchases through the services, but the outbox
consumer starts at the end of the outbox, so the demo programs' rollups are built once here (idempotent: a program
whose rollups were built is left alone; one query when there is nothing to do)."""

from analytics import rollups
from analytics.models import RecomputeRun
from programs.demo import DEMO_BUSINESS_SLUGS
from programs.models import Program


def analytics_demo_ensure() -> list[str]:
    built = RecomputeRun.objects.filter(finished_at__isnull=False).values("program_id")
    missing = Program.objects.filter(business__slug__in=DEMO_BUSINESS_SLUGS).exclude(pk__in=built).order_by("pk")
    lines = []
    for program in missing:
        bounds = rollups.history_bounds(program)
        if bounds is None:
            continue
        result = rollups.rollups_recompute(program=program, first=bounds[0], last=bounds[1])
        lines.append(f"Analytics: {program} rolled up ({result.days_done} days).")
    return lines
