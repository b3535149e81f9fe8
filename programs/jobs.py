"""Scheduled jobs of the engine and their django-q2 schedules (declared in ``ProgramsConfig.ready`` through
``programs.schedules``, written after every migrate)."""

import logging
from datetime import timedelta

from django.conf import settings

from programs import clock
from programs.services.api_keys import idempotency_records_purge
from programs.services.bonuses import birthday_bonuses_grant
from programs.services.expiry import lots_expire
from programs.services.tiers import tiers_review

logger = logging.getLogger(__name__)

SCHEDULES = {
    # name: (function path, schedule type, minutes)
    "kartka.expire_lots": ("programs.jobs.expire_lots", "I", 15),
    "kartka.review_tiers": ("programs.jobs.review_tiers", "D", None),
    "kartka.birthday_bonuses": ("programs.jobs.birthday_bonuses", "H", None),
    "kartka.api_idempotency_purge": ("programs.jobs.api_idempotency_purge", "H", None),
    # The outbox: hand events to the consumers whose wake was lost; forget old handled events.
    "kartka.events_sweep": ("programs.outbox.events_dispatch", "I", 1),
    "kartka.events_purge": ("programs.outbox.events_purge_old", "D", None),
}


def expire_lots() -> int:
    cards = lots_expire(at=clock.now())
    logger.info("expiry: %s cards changed", cards)
    return cards


def review_tiers() -> dict:
    counts = tiers_review(at=clock.now())
    logger.info("tier review: %s", counts)
    return counts


def birthday_bonuses() -> int:
    # Hourly, so every program's zone gets its birthdays soon after its local midnight; once a year each.
    granted = birthday_bonuses_grant(at=clock.now())
    logger.info("birthday bonuses: %s granted", granted)
    return granted


def api_idempotency_purge() -> int:
    """Forget API answers older than ``API_IDEMPOTENCY_DAYS``: their Idempotency-Keys can't be replayed after."""
    before = clock.now() - timedelta(days=settings.KARTKA_API_IDEMPOTENCY_DAYS)
    deleted = idempotency_records_purge(before=before)
    logger.info("idempotency records: %s purged", deleted)
    return deleted
