"""Receipts from the stores and their refunds."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.models.common import ZERO, actor_field, api_key_field, money_field, percent_field, points_field
from programs.models.members import Card, Member
from programs.models.programs import Program, Store


class Purchase(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="purchases", on_delete=models.PROTECT)
    store = models.ForeignKey(Store, verbose_name=_("store"), related_name="purchases", on_delete=models.PROTECT)
    card = models.ForeignKey(Card, verbose_name=_("card"), related_name="purchases", on_delete=models.PROTECT)
    member = models.ForeignKey(Member, verbose_name=_("member"), related_name="purchases", on_delete=models.PROTECT)
    receipt_id = models.CharField(_("receipt"), max_length=100)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the request, to tell a replay from a clash.")
    purchased_at = models.DateTimeField(_("purchased"))
    created_at = models.DateTimeField(_("recorded"), default=dj_timezone.now)
    total = money_field(_("total"))
    discount_percent = percent_field(_("discount %"), default=ZERO)
    discount_amount = money_field(_("discount"))
    points_redeemed = points_field(_("points redeemed"))
    redeemed_value = money_field(_("paid with points"))
    paid_amount = money_field(_("paid"))
    points_earned = points_field(_("points earned"))
    stamps_earned = points_field(_("stamps earned"))
    spend_counted = money_field(_("spend counted"), help_text="What the purchase added to the member's spend.")
    refunded_amount = money_field(_("refunded"))
    points_reversed = points_field(_("points taken back"))
    points_returned = points_field(_("points given back"))
    stamps_reversed = points_field(_("stamps taken back"))
    spend_reversed = money_field(_("spend taken back"))
    actor = actor_field()
    api_key = api_key_field()

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        ordering = ["-purchased_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["store", "receipt_id"], name="receipt_unique_per_store"),
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("total")),
                name="purchase_refund_within_total",
            ),
            models.CheckConstraint(
                condition=Q(points_reversed__lte=F("points_earned"))
                & Q(points_returned__lte=F("points_redeemed"))
                & Q(stamps_reversed__lte=F("stamps_earned")),
                name="purchase_reversal_within_effect",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "purchased_at"], name="purchase_program_time_idx"),
            models.Index(fields=["member", "purchased_at"], name="purchase_member_time_idx"),
        ]

    def __str__(self):
        return self.receipt_id

    @property
    def is_fully_refunded(self) -> bool:
        return self.total > 0 and self.refunded_amount >= self.total


class PurchaseLine(models.Model):
    purchase = models.ForeignKey(Purchase, verbose_name=_("purchase"), related_name="lines", on_delete=models.CASCADE)
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"))
    amount = money_field(_("amount"))
    refunded_quantity = models.DecimalField(max_digits=12, decimal_places=3, default=ZERO)
    refunded_amount = money_field(_("refunded"))

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0) & Q(amount__gte=0), name="line_quantity_amount_valid"),
            models.CheckConstraint(
                condition=Q(refunded_quantity__lte=F("quantity")) & Q(refunded_amount__lte=F("amount")),
                name="line_refund_within_line",
            ),
        ]

    def __str__(self):
        return f"{self.sku or self.category} × {self.quantity}"


class Refund(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.PROTECT)
    purchase = models.ForeignKey(Purchase, verbose_name=_("purchase"), related_name="refunds", on_delete=models.PROTECT)
    refund_id = models.CharField(_("refund id"), max_length=100)
    fingerprint = models.CharField(max_length=64)
    amount = money_field(_("amount"))
    points_reversed = points_field(_("points taken back"))
    points_debt = points_field(_("points owed"))
    points_returned = points_field(_("points given back"))
    stamps_reversed = points_field(_("stamps taken back"))
    spend_reversed = money_field(_("spend taken back"))
    reward_returned = models.BooleanField(default=False)
    actor = actor_field()
    api_key = api_key_field()
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["purchase", "refund_id"], name="refund_id_unique_per_purchase"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self):
        return self.refund_id


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, verbose_name=_("refund"), related_name="lines", on_delete=models.CASCADE)
    line = models.ForeignKey(
        PurchaseLine, verbose_name=_("receipt line"), related_name="refund_lines", on_delete=models.PROTECT
    )
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    amount = money_field(_("amount"))

    def __str__(self):
        return f"{self.line_id} × {self.quantity}"
