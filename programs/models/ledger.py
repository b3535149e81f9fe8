"""The ledger: append-only entries, the lots credits open and debits consume, and stamp rewards."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.choices import Bucket, EntryKind, RewardStatus, Unit
from programs.models.common import actor_field, points_field
from programs.models.members import Card
from programs.models.programs import Program, Store
from programs.models.rules import EarningRule
from programs.querysets import LedgerEntryQuerySet, LotQuerySet


class LedgerEntry(models.Model):
    """One append-only movement of points or stamps on a card. Never updated, never deleted."""

    # No index of their own: entry_program_time_idx and entry_card_time_idx lead with them (Meta.indexes).
    program = models.ForeignKey(
        Program, verbose_name=_("program"), related_name="+", on_delete=models.PROTECT, db_index=False
    )
    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="entries", on_delete=models.PROTECT, db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices, default=Unit.POINTS)
    bucket = models.CharField(_("bucket"), max_length=10, choices=Bucket.choices, default=Bucket.CASHBACK)
    amount = points_field(_("amount"))
    balance_after = points_field(_("balance after"))
    # What the entry did to the card's debt: + a refund debt (amount 0: the balance cannot go below zero),
    # - a settlement (its amount too) or a debt moved to a replacement card. The debt is the sum of these.
    debt_change = points_field(_("change of debt"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    # The optional links are indexed by partial indexes (Meta.indexes) that leave out the rows without them.
    lot = models.ForeignKey(
        "Lot",
        verbose_name=_("lot"),
        related_name="expiry_entries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
        help_text="The lot an expiry entry closes.",
    )
    rule = models.ForeignKey(
        EarningRule,
        verbose_name=_("earning rule"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
    )
    purchase = models.ForeignKey(
        "Purchase",
        verbose_name=_("purchase"),
        related_name="entries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    refund = models.ForeignKey(
        "Refund",
        verbose_name=_("refund"),
        related_name="entries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    reward = models.ForeignKey(
        "StampReward",
        verbose_name=_("stamp reward"),
        related_name="entries",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        db_index=False,
    )
    actor = actor_field(db_index=False)
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Every entry moves the balance or the debt, but for the record of a reward given (its stamps left
            # the balance when it was issued).
            models.CheckConstraint(
                condition=~Q(amount=0) | ~Q(debt_change=0) | Q(kind=EntryKind.REWARD_USE),
                name="entry_moves_something",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="entry_balance_after_non_negative"),
        ]
        indexes = [
            # A card's history (newest first); also the card's foreign-key index.
            models.Index(fields=["card", "-created_at", "-id"], name="entry_card_time_idx"),
            # A program's entries over time; also what a program delete checks (PROTECT).
            models.Index(fields=["program", "created_at"], name="entry_program_time_idx"),
            # Each optional link only where it is set. Who needs them: refunds find a purchase's entries, a stamp
            # reward's cancellation its issue entries; deleting a store (PROTECT), an earning rule or a user
            # (SET_NULL) looks up the entries that point at it; lot and refund keep `lot.expiry_entries` and
            # `refund.entries` cheap (no reader in the engine today) at the cost of the rows that carry them.
            models.Index(fields=["purchase"], name="entry_purchase_idx", condition=Q(purchase__isnull=False)),
            models.Index(fields=["refund"], name="entry_refund_idx", condition=Q(refund__isnull=False)),
            models.Index(fields=["reward"], name="entry_reward_idx", condition=Q(reward__isnull=False)),
            models.Index(fields=["store"], name="entry_store_idx", condition=Q(store__isnull=False)),
            models.Index(fields=["rule"], name="entry_rule_idx", condition=Q(rule__isnull=False)),
            models.Index(fields=["actor"], name="entry_actor_idx", condition=Q(actor__isnull=False)),
            models.Index(fields=["lot"], name="entry_lot_idx", condition=Q(lot__isnull=False)),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:+}"


class Lot(models.Model):
    """What is left of one credit: debits consume lots soonest-expiry first, expiry closes them.

    Lots are the ledger's working index (mutable ``remaining``); the ledger rows stay the record of truth.
    """

    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.PROTECT)
    # No index of its own: every read of a card's lots is of its open ones (lot_open_by_card_idx), and cards are
    # never deleted.
    card = models.ForeignKey(
        Card, verbose_name=_("card"), related_name="lots", on_delete=models.PROTECT, db_index=False
    )
    unit = models.CharField(max_length=8, choices=Unit.choices, default=Unit.POINTS)
    bucket = models.CharField(max_length=10, choices=Bucket.choices, default=Bucket.CASHBACK)
    amount = points_field(_("amount"))
    remaining = points_field(_("remaining"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    entry = models.OneToOneField(
        LedgerEntry, verbose_name=_("ledger entry"), related_name="opened_lot", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    objects = LotQuerySet.as_manager()

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")), name="lot_remaining_in_range"
            ),
        ]
        indexes = [
            models.Index(
                fields=["card", "unit", "expires_at", "id"], name="lot_open_by_card_idx", condition=Q(remaining__gt=0)
            ),
            models.Index(fields=["expires_at", "id"], name="lot_due_idx", condition=Q(remaining__gt=0)),
        ]

    def __str__(self):
        return f"{self.remaining}/{self.amount}"


class LotAllocation(models.Model):
    """The part of a lot a debit consumed (positive) or a refund gave back (negative)."""

    entry = models.ForeignKey(
        LedgerEntry, verbose_name=_("ledger entry"), related_name="allocations", on_delete=models.PROTECT
    )
    lot = models.ForeignKey(Lot, verbose_name=_("lot"), related_name="allocations", on_delete=models.PROTECT)
    amount = points_field(_("amount"))

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="allocation_not_zero")]

    def __str__(self):
        return f"{self.lot_id}: {self.amount}"


class StampReward(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.PROTECT)
    card = models.ForeignKey(Card, verbose_name=_("card"), related_name="rewards", on_delete=models.PROTECT)
    status = models.CharField(_("status"), max_length=10, choices=RewardStatus.choices, default=RewardStatus.AVAILABLE)
    issued_by_purchase = models.ForeignKey(
        "Purchase",
        verbose_name=_("issued by purchase"),
        related_name="rewards_issued",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    redeemed_by_purchase = models.ForeignKey(
        "Purchase",
        verbose_name=_("redeemed by purchase"),
        related_name="rewards_redeemed",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    issued_at = models.DateTimeField(_("issued"), default=dj_timezone.now)
    redeemed_at = models.DateTimeField(_("redeemed"), null=True, blank=True)
    voided_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("stamp reward")
        verbose_name_plural = _("stamp rewards")
        ordering = ["issued_at", "id"]

    def __str__(self):
        return f"{self.card} · {self.get_status_display()}"
