"""The pages app's scheduled job: Wagtail's publishing schedule (go-live and expiry dates) takes effect only when
``publish_scheduled`` runs, so the django-q2 cluster runs it every minute."""

from django.core.management import call_command

SCHEDULES = {
    # name: (function path, schedule type, minutes)
    "kartka.pages_publish_scheduled": ("pages.jobs.pages_publish_scheduled", "I", 1),
}


def pages_publish_scheduled() -> None:
    """Publish the revisions whose go-live time has come and unpublish the pages whose expiry has passed (each
    sends Wagtail's signals, which renew the portal cache)."""
    call_command("publish_scheduled")
