"""The demo's dashboards: the engine's demo seed writes a year of purchases through the services, but the outbox
consumer starts at the end of the outbox, so the demo programs' rollups are built once here (idempotent: a program
whose rollups exist is left alone)."""

from analytics import rollups
from analytics.models import RecomputeRun
from programs.demo import demo_programs


def analytics_demo_ensure() -> list[str]:
    lines = []
    for program in demo_programs().values():
        if RecomputeRun.objects.filter(program=program, finished_at__isnull=False).exists():
            continue
        bounds = rollups.history_bounds(program)
        if bounds is None:
            continue
        result = rollups.rollups_recompute(program=program, first=bounds[0], last=bounds[1])
        lines.append(f"Analytics: {program} rolled up ({result.days_done} days).")
    return lines
