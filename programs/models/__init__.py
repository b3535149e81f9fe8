"""The loyalty engine's data, one module per subdomain: the tenant and its programs, the rules, members and cards,
the ledger, purchases and the API's keys (businesses and the audit trail live in ``tenancy``).

Rows here hold state and database invariants only; every write that means something goes through
``programs.services`` and every read that is shared goes through ``programs.selectors``. Import the models from
here (``from programs.models import Card``); the modules are the package's layout, not its interface.
"""

from programs.models.common import (
    NON_NEGATIVE,
    PERCENT_VALIDATORS,
    ZERO,
    actor_field,
    config_token_new,
    csv_values,
    money_field,
    percent_field,
    points_field,
)
from programs.models.events import Event, EventCursor
from programs.models.keys import ApiKey, IdempotencyRecord
from programs.models.ledger import LedgerEntry, Lot, LotAllocation, StampReward
from programs.models.members import Card, Member, TierChange
from programs.models.programs import Program, Store
from programs.models.purchases import Purchase, PurchaseLine, Refund, RefundLine
from programs.models.rules import CardType, DiscountThreshold, EarningRule, RedemptionRule, Tier

# Moved to ``tenancy``; re-exported so existing imports keep working. New code imports them from ``tenancy.models``.
from tenancy.models import AuditEvent, Business

__all__ = [
    "NON_NEGATIVE",
    "PERCENT_VALIDATORS",
    "ZERO",
    "ApiKey",
    "AuditEvent",
    "Business",
    "Card",
    "CardType",
    "DiscountThreshold",
    "EarningRule",
    "Event",
    "EventCursor",
    "IdempotencyRecord",
    "LedgerEntry",
    "Lot",
    "LotAllocation",
    "Member",
    "Program",
    "Purchase",
    "PurchaseLine",
    "RedemptionRule",
    "Refund",
    "RefundLine",
    "StampReward",
    "Store",
    "Tier",
    "TierChange",
    "actor_field",
    "config_token_new",
    "csv_values",
    "money_field",
    "percent_field",
    "points_field",
]
