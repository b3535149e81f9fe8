"""Scheduled jobs of the analytics app (django-q2, registered through ``programs.schedules`` in ``ready``).

* ``analytics.rollups_nightly`` (daily): rebuilds every program's yesterday and its liability snapshot, so whatever
  the outbox consumer missed (a consumer added after the events, a hand-edited row) is right by the morning.
* ``analytics.reports_monthly`` (hourly): once a program's new month has begun, e-mails the past month's report to
  its owners, once (``ReportDelivery``); hourly so that "the 1st" holds whatever time the schedule was created.
"""

import logging
from datetime import timedelta

from django.urls import reverse

from analytics import reports, rollups
from programs import clock
from programs.models import Program

logger = logging.getLogger(__name__)

SCHEDULES = {
    # name: (function path, schedule type, minutes)
    "kartka.analytics_nightly": ("analytics.tasks.rollups_nightly", "D", None),
    "kartka.analytics_reports": ("analytics.tasks.reports_monthly", "H", None),
}


def rollups_nightly() -> int:
    """Rebuild yesterday (each program's own) for every program, and refresh the liability snapshots."""
    count = 0
    for program in Program.objects.order_by("pk"):
        yesterday = rollups.local_day(program, clock.now()) - timedelta(days=1)
        rollups.rollups_recompute(program=program, first=yesterday, last=yesterday, members=False)
        count += 1
    return count


def reports_monthly() -> int:
    """E-mail last month's report of every active program whose new month has begun and that has not had it."""
    sent = 0
    for program in Program.objects.filter(is_active=True).select_related("business").order_by("pk"):
        month = reports.previous_month(rollups.local_day(program, clock.now()))
        if reports.report_email(program=program, month=month):
            sent += 1
    return sent


def dashboard_urls(programs) -> dict[int, str]:
    """The dashboard link shown with each program on the admin home (no queries)."""
    return {program.pk: reverse("analytics_dashboards:program", args=[program.pk]) for program in programs}
