"""What a credit of points or stamps is, before it is posted: the value the pricing (a read: quotes) computes and
the ledger (a write: ``services.ledger.credits_post``) posts. Pure data, so the read side needs nothing of the
write side to describe what a purchase or a bonus would earn."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from programs.choices import Bucket


@dataclass(frozen=True)
class Credit:
    """One credit to post: ``amount`` > 0 into ``bucket`` expiring at ``expires_at`` (``None``: never)."""

    amount: Decimal
    bucket: str = Bucket.CASHBACK
    expires_at: datetime | None = None
    reason: str = ""
    rule_id: int | None = None
