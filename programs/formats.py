"""How the engine writes numbers and times for machines (the API's answers, outbox payloads, webhooks): money and
points as strings with two decimals, quantities with three, times ISO 8601 in UTC with a ``Z``."""

from datetime import UTC, datetime
from decimal import Decimal

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def money(value: Decimal | None) -> str:
    return str(Decimal(value or 0).quantize(CENT))


def quantity(value: Decimal) -> str:
    return str(Decimal(value).quantize(MILLI))


def moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def tier_data(tier) -> dict | None:
    return None if tier is None else {"id": tier.pk, "name": tier.name}
