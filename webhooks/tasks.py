"""The functions django-q2 runs: the send task queued with each batch of deliveries, and the scheduled sweep and
purge (declared when the app is ready, like ``programs.jobs``, and written after every migrate)."""

import logging
from datetime import timedelta

from django.conf import settings

from programs import clock
from webhooks import services

logger = logging.getLogger(__name__)

SCHEDULES = {
    # name: (function path, schedule type, minutes)
    "kartka.webhooks_sweep": ("webhooks.tasks.deliveries_sweep", "I", 1),
    "kartka.webhooks_purge": ("webhooks.tasks.deliveries_purge", "D", None),
}


def deliveries_send(delivery_ids: list[int]) -> dict:
    """Queued by ``services.deliveries_enqueue`` after the deliveries were committed."""
    return dict(services.deliveries_send(delivery_ids=delivery_ids))


def deliveries_sweep() -> dict:
    """Every minute: retries that are due, and pending deliveries whose task never ran (a worker died)."""
    counts = dict(services.deliveries_sweep())
    if counts:
        logger.info("webhooks sweep: %s", counts)
    return counts


def deliveries_purge() -> int:
    """Daily: forget delivered and failed deliveries older than ``WEBHOOK_RETENTION_DAYS``."""
    before = clock.now() - timedelta(days=settings.KARTKA_WEBHOOK_RETENTION_DAYS)
    deleted = services.deliveries_purge(before=before)
    logger.info("webhook deliveries: %s purged", deleted)
    return deleted
