"""Stamp rewards: a full card becomes a reward the POS can redeem; refunds can cancel an unused one."""

from datetime import datetime
from decimal import Decimal

from programs.choices import EntryKind, RewardStatus, Unit
from programs.models import Card, LedgerEntry, StampReward
from programs.services import ledger


def rewards_issue(*, card: Card, purchase=None, now: datetime) -> list[StampReward]:
    """Exchange every full set of ``stamp_goal`` stamps for a reward (the stamps leave the balance).

    Stamps past their expiry don't count, even before the expiry job has closed them: they are expired first.
    """
    goal = Decimal(card.card_type.stamp_goal or 0)
    issued = []
    if goal <= 0 or card.stamps_balance < goal:
        return issued
    lots = ledger.open_lots(card=card, unit=Unit.STAMPS, now=now)  # lowers the balance by what was past expiry
    while card.stamps_balance >= goal:
        reward = StampReward.objects.create(
            program_id=card.program_id, card=card, issued_by_purchase=purchase, issued_at=now
        )
        ledger.debit_post(
            card=card,
            unit=Unit.STAMPS,
            kind=EntryKind.REWARD_ISSUE,
            amount=goal,
            now=now,
            lots=lots,
            reward=reward,
            purchase=purchase,
        )
        issued.append(reward)
    return issued


def rewards_void_for_stamps(*, card: Card, needed: Decimal, now: datetime, **links) -> int:
    """Cancel the newest unused rewards until the card holds ``needed`` stamps, returning their stamps to
    the lots they came from. Used when a refund takes back stamps that already became a reward."""
    voided = 0
    rewards = card.rewards.filter(status=RewardStatus.AVAILABLE).order_by("-issued_at", "-pk")
    for reward in rewards:
        if card.stamps_balance >= needed:
            break
        issue_entries = LedgerEntry.objects.filter(reward=reward, kind=EntryKind.REWARD_ISSUE)
        amount = -sum((entry.amount for entry in issue_entries), Decimal("0"))
        ledger.allocations_return(
            card=card,
            unit=Unit.STAMPS,
            kind=EntryKind.REWARD_VOID,
            source_entries=issue_entries,
            amount=amount,
            now=now,
            reward=reward,
            **links,
        )
        reward.status = RewardStatus.VOID
        reward.voided_at = now
        reward.save(update_fields=["status", "voided_at"])
        voided += 1
    return voided
