"""The engine's notion of "now". Real time, unless a backfill (the demo seed, an import of old receipts)
or a test runs the services at a chosen moment with ``clock.travel(at)``."""

import contextlib
import threading
from datetime import UTC, datetime

from django.utils import timezone

_local = threading.local()


def now() -> datetime:
    return getattr(_local, "at", None) or timezone.now()


@contextlib.contextmanager
def travel(at: datetime):
    if timezone.is_naive(at):
        raise ValueError("clock.travel needs an aware datetime")
    previous = getattr(_local, "at", None)
    # Kept in UTC like timezone.now(): "N days later" must be 24-hour days, not wall-clock days across DST.
    _local.at = at.astimezone(UTC)
    try:
        yield at
    finally:
        _local.at = previous
