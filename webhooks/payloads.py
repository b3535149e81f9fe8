"""The body of a webhook: the envelope around the ``data``, which is the payload of the engine's outbox event
(``programs.payloads``) as it was written in the change's transaction, or derived from it here.

Same conventions as the API's answers (``programs.api.representations``): money and points as strings with two
decimals, times in UTC with a ``Z``. Members are named by id; only ``member.created`` carries the phone and name
(the event is about them), everything else is reached through the API with the id. No secrets, no balances of
other cards, nothing a receiver could not already read with an API key of the program.
"""

import json
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from programs.formats import moment
from programs.models import Program


def body_dumps(payload: dict) -> str:
    """The body as sent: compact JSON, UTF-8 kept as is (receivers hash exactly these bytes)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def envelope(*, event_id: UUID, event_type: str, created_at: datetime, program: Program, data: dict) -> dict:
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": moment(created_at),
        "program": {"id": program.pk, "slug": program.slug},
        "data": data,
    }


def redeemed_points(purchase_data: dict) -> bool:
    """Whether the purchase told of by a ``purchase.recorded`` payload paid with points."""
    return Decimal(purchase_data["purchase"]["points_redeemed"]) > 0


def points_redeemed(purchase_data: dict) -> dict:
    """The ``points.redeemed`` data, from the ``purchase.recorded`` payload of the same purchase."""
    purchase = purchase_data["purchase"]
    return {
        "purchase": {"id": purchase["id"], "receipt_id": purchase["receipt_id"], "store": purchase["store"]},
        "points": purchase["points_redeemed"],
        "value": purchase["redeemed_value"],
        "currency": purchase["currency"],
        "card": purchase_data["card"],
        "member": purchase_data["member"],
    }


def points_expired(balances_data: dict) -> dict:
    """The ``points.expired`` data, from a ``card.balances_changed`` payload whose cause is expiry."""
    card = balances_data["card"]
    return {
        "card": {"number": card["number"], "balances": card["balances"]},
        "member": balances_data["member"],
        "expired": balances_data["expired"],
        "expired_at": balances_data["expired_at"],
    }


def webhook_test(*, endpoint_id: int) -> dict:
    return {"endpoint": {"id": endpoint_id}, "message": "A test event from Kartka: your endpoint is reachable."}
