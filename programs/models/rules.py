"""What a program offers and how it pays: card types, accumulative-discount steps, redemption rules, tiers and
earning rules. Editing any of them renews the program's ``config_version`` (``programs.signals``)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from programs.choices import Bucket, CardKind, Rounding, RuleKind, SpendBasis, StampBasis
from programs.fields import WeekdaysField
from programs.models.common import NON_NEGATIVE, ZERO, csv_values, money_field, percent_field, points_field
from programs.models.programs import Program
from programs.querysets import EarningRuleQuerySet


class CardType(ClusterableModel):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="card_types", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=16, choices=CardKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Shown to members in the portal."))
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, help_text=_("After this day the card earns and pays nothing.")
    )
    # Discount
    discount_percent = percent_field(
        _("discount %"), default=ZERO, help_text=_("Discount cards: the fixed discount on every purchase.")
    )
    # Cashback / points
    cashback_percent = percent_field(
        _("cashback %"), default=ZERO, help_text=_("Cashback cards: share of the paid amount credited as points.")
    )
    rounding = models.CharField(_("points rounding"), max_length=8, choices=Rounding.choices, default=Rounding.DOWN)
    spend_basis = models.CharField(
        _("total spend counts"),
        max_length=16,
        choices=SpendBasis.choices,
        default=SpendBasis.BEFORE_DISCOUNT,
        help_text=_(
            "What each purchase adds to the member's total spend, which the accumulative discount steps and "
            "spend tiers are measured against. Before discount: a customer who spent 2 000 at the till reaches a "
            "step from 2 000 even if the discount made them pay less."
        ),
    )
    spend_counts_points = models.BooleanField(
        _("points-paid part counts toward total spend"),
        default=True,
        help_text=_("Off: the part of a purchase paid with points adds nothing to total spend or tiers."),
    )
    earn_min_purchase = money_field(
        _("minimum purchase to earn"), help_text=_("Purchases below this amount earn no points or stamps.")
    )
    points_expiry_days = models.PositiveIntegerField(
        _("points expire after (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Cashback points expire this many days after they were earned. Empty: never."),
    )
    # Stamps
    stamp_goal = models.PositiveIntegerField(
        _("stamps for a reward"), null=True, blank=True, help_text=_("E.g. 9: the 10th coffee is free.")
    )
    stamp_basis = models.CharField(
        _("stamps are given"),
        max_length=16,
        choices=StampBasis.choices,
        default=StampBasis.PURCHASE,
        help_text=_(
            "Only what is paid for earns: a line rung at 0.00 never earns a stamp, and neither does the free item "
            "of a reward, so with 9 stamps for a reward every 10th item is free, card after card. The till rings "
            "the free item at 0.00 with “redeem reward”."
        ),
    )
    stamp_categories = models.CharField(
        _("qualifying categories"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated product categories that earn stamps (e.g. coffee). Empty: all."),
    )
    stamp_expiry_days = models.PositiveIntegerField(
        _("stamps expire after (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Each stamp expires this many days after it was given. Empty: never."),
    )
    reward_description = models.CharField(
        _("reward"), max_length=200, blank=True, help_text=_("What a full card gives, e.g. “A free coffee”.")
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)

    class Meta:
        verbose_name = _("card type")
        verbose_name_plural = _("card types")
        ordering = ["program__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100)
                & Q(cashback_percent__gte=0, cashback_percent__lte=100),
                name="card_type_percents_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CardKind.STAMPS) | Q(stamp_goal__gte=1), name="card_type_stamp_goal_positive"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="card_type_validity_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def earns_points(self) -> bool:
        return self.kind == CardKind.CASHBACK

    @property
    def earns_stamps(self) -> bool:
        return self.kind == CardKind.STAMPS

    def stamp_category_list(self) -> list[str]:
        return csv_values(self.stamp_categories)

    def clean(self):
        errors = {}
        if self.kind == CardKind.STAMPS and (self.stamp_goal is None or self.stamp_goal < 1):
            errors["stamp_goal"] = _("A stamp card needs a goal of at least one stamp.")
        if self.kind == CardKind.DISCOUNT and not self.discount_percent:
            errors["discount_percent"] = _("A discount card needs a discount above 0 %.")
        if self.kind == CardKind.CASHBACK and not self.cashback_percent:
            errors["cashback_percent"] = _("A cashback card needs a cashback rate above 0 %.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of validity is before its start.")
        if errors:
            raise ValidationError(errors)

    def is_valid_on(self, day) -> bool:
        if not self.is_active:
            return False
        if self.valid_from and day < self.valid_from:
            return False
        return not (self.valid_until and day > self.valid_until)


class DiscountThreshold(models.Model):
    """A step of an accumulative discount: from ``min_spend`` of total spend the member gets ``percent``."""

    card_type = ParentalKey(CardType, related_name="thresholds", on_delete=models.CASCADE)
    min_spend = money_field(_("from total spend"))
    percent = percent_field(_("discount %"))

    class Meta:
        verbose_name = _("discount step")
        verbose_name_plural = _("discount steps")
        ordering = ["min_spend"]
        constraints = [
            models.UniqueConstraint(fields=["card_type", "min_spend"], name="threshold_unique_spend"),
            models.CheckConstraint(condition=Q(percent__gte=0, percent__lte=100), name="threshold_percent_range"),
        ]

    def __str__(self):
        return f"{self.min_spend}+ → {self.percent} %"


class RedemptionRule(models.Model):
    """How a cashback card's points pay for purchases."""

    card_type = ParentalKey(CardType, related_name="redemption_rules", on_delete=models.CASCADE)
    point_value = models.DecimalField(
        _("value of one point"),
        max_digits=10,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text=_("In the program's currency."),
    )
    max_share_percent = percent_field(
        _("max share of the check"),
        default=Decimal("50"),
        # xgettext:no-python-format
        help_text=_("At most this % of a check is paid by points."),
    )
    min_check = money_field(_("minimum check"), help_text=_("Points pay only for checks of at least this amount."))
    paid_part_earns = models.BooleanField(
        _("points-paid part earns"),
        default=False,
        help_text=_("If on, the part of the check paid with points still earns cashback."),
    )

    class Meta:
        verbose_name = _("redemption rule")
        verbose_name_plural = _("redemption rules")
        constraints = [
            models.UniqueConstraint(fields=["card_type"], name="one_redemption_rule_per_card_type"),
            models.CheckConstraint(
                condition=Q(max_share_percent__gte=0, max_share_percent__lte=100), name="redemption_share_range"
            ),
            models.CheckConstraint(condition=Q(point_value__gt=0), name="redemption_point_value_positive"),
        ]

    def __str__(self):
        return str(_("Redemption rule"))


class Tier(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="tiers", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=100)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=14,
        decimal_places=2,
        default=ZERO,
        validators=NON_NEGATIVE,
        help_text=_("Members reach this tier at this much spend, points or purchases. The first tier starts at 0."),
    )
    discount_percent = percent_field(
        _("discount %"), default=ZERO, help_text=_("Discount cards give at least this discount in this tier.")
    )
    cashback_percent = percent_field(
        _("cashback %"),
        null=True,
        blank=True,
        help_text=_("Replaces the card type's cashback rate in this tier. Empty: the card's rate."),
    )
    multiplier = models.DecimalField(
        _("points multiplier"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(ZERO)],
        help_text=_("Multiplies the base points of every purchase (1 = no change)."),
    )
    color = models.CharField(_("colour"), max_length=7, default="#9e9e9e", help_text=_("Hex, e.g. #c9a227."))
    icon = models.CharField(_("icon"), max_length=40, blank=True, help_text=_("Icon name, e.g. star or crown."))
    description = models.TextField(_("benefits text"), blank=True, help_text=_("Shown to members."))

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["program", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["program", "threshold"], name="tier_threshold_unique"),
            models.UniqueConstraint(fields=["program", "name"], name="tier_name_unique"),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="tier_threshold_non_negative"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.color and not (len(self.color) == 7 and self.color.startswith("#")):
            errors["color"] = _("Use a hex colour like #c9a227.")
        if self.program_id is not None:
            clash = Tier.objects.filter(program_id=self.program_id, threshold=self.threshold).exclude(pk=self.pk)
            if clash.exists():
                errors["threshold"] = _("Another tier of this program already starts at this threshold.")
        if errors:
            raise ValidationError(errors)


class EarningRule(models.Model):
    program = models.ForeignKey(
        Program, verbose_name=_("program"), related_name="earning_rules", on_delete=models.CASCADE
    )
    card_type = models.ForeignKey(
        CardType,
        verbose_name=_("card type"),
        related_name="earning_rules",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Limit the rule to one cashback card type. Empty: every cashback card of the program."),
    )
    name = models.CharField(_("name"), max_length=200, help_text=_("Members see this as the reason in history."))
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices, default=RuleKind.MULTIPLIER)
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("from"), null=True, blank=True)
    valid_until = models.DateField(_("until"), null=True, blank=True)
    weekdays = WeekdaysField(_("weekdays"), help_text=_("Only on these days. None ticked: every day."))
    time_from = models.TimeField(_("from time"), null=True, blank=True, help_text=_("Happy hours start."))
    time_until = models.TimeField(_("until time"), null=True, blank=True, help_text=_("Happy hours end."))
    categories = models.CharField(
        _("categories"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated product categories the multiplier applies to. Empty: the whole check."),
    )
    skus = models.CharField(
        _("SKUs"), max_length=1000, blank=True, help_text=_("Comma-separated SKUs the multiplier applies to.")
    )
    min_purchase = money_field(_("minimum purchase"), help_text=_("The rule applies from this check amount."))
    multiplier = models.DecimalField(
        _("multiplier"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("2 = double points on what the rule covers (the extra points are credited separately)."),
    )
    bonus_points = points_field(
        _("bonus points"), validators=NON_NEGATIVE, help_text=_("For joining, birthday and profile bonuses.")
    )
    bucket = models.CharField(
        _("credited as"),
        max_length=10,
        choices=Bucket.choices,
        default=Bucket.CASHBACK,
        help_text=_("Promo bonuses are temporary and must have an expiry."),
    )
    expiry_days = models.PositiveIntegerField(
        _("expire after (days)"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    expires_on = models.DateField(_("expire on"), null=True, blank=True, help_text=_("A fixed last day for promos."))
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)

    objects = EarningRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ["program", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(multiplier__gte=1), name="rule_multiplier_at_least_one"),
            models.CheckConstraint(condition=Q(bonus_points__gte=0), name="rule_bonus_non_negative"),
            models.CheckConstraint(
                condition=~Q(bucket=Bucket.PROMO) | Q(expiry_days__isnull=False) | Q(expires_on__isnull=False),
                name="rule_promo_expires",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.card_type_id and self.program_id and self.card_type.program_id != self.program_id:
            errors["card_type"] = _("The card type belongs to another program.")
        if self.card_type_id and self.card_type.kind != CardKind.CASHBACK:
            errors["card_type"] = _("Earning rules apply to cashback cards only.")
        if self.bucket == Bucket.PROMO and not (self.expiry_days or self.expires_on):
            errors["expires_on"] = _("Promo bonuses need an expiry: a day or a number of days.")
        if self.kind == RuleKind.MULTIPLIER and self.multiplier <= 1:
            errors["multiplier"] = _("A multiplier must be above 1.")
        if self.kind != RuleKind.MULTIPLIER and not self.bonus_points:
            errors["bonus_points"] = _("Set how many bonus points the action gives.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end is before the start.")
        if bool(self.time_from) != bool(self.time_until):
            errors["time_until"] = _("Happy hours need both a start and an end.")
        elif self.time_from and self.time_from == self.time_until:
            errors["time_until"] = _("Happy hours cannot start and end at the same time.")
        if errors:
            raise ValidationError(errors)

    def category_list(self) -> list[str]:
        return csv_values(self.categories)

    def sku_list(self) -> list[str]:
        return csv_values(self.skus)
