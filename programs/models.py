"""The loyalty engine's data: tenants, programs and their rules, members, cards, the ledger and purchases.

Rows here hold state and database invariants only; every write that means something goes through
``programs.services`` and every read that is shared goes through ``programs.selectors``.
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from phonenumber_field.modelfields import PhoneNumberField

from programs.choices import (
    Bucket,
    CardKind,
    CardStatus,
    Currency,
    DowngradePolicy,
    EntryKind,
    Gender,
    RewardStatus,
    Rounding,
    RuleKind,
    StampBasis,
    TierBasis,
    TierChangeReason,
    Unit,
)
from programs.fields import WeekdaysField
from programs.querysets import (
    CardQuerySet,
    EarningRuleQuerySet,
    LedgerEntryQuerySet,
    LotQuerySet,
    MemberQuerySet,
    ProgramQuerySet,
)

ZERO = Decimal("0")
PERCENT_VALIDATORS = [MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))]
NON_NEGATIVE = [MinValueValidator(ZERO)]


def money_field(verbose_name, **kwargs):
    kwargs.setdefault("default", ZERO)
    kwargs.setdefault("validators", NON_NEGATIVE)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def points_field(verbose_name, **kwargs):
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


def actor_field(**kwargs):
    """The staff user behind a row (``None``: the system, a job or a till); the row stays if the user is deleted."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff user"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        **kwargs,
    )


def percent_field(verbose_name, **kwargs):
    kwargs.setdefault("validators", PERCENT_VALIDATORS)
    return models.DecimalField(verbose_name, max_digits=5, decimal_places=2, **kwargs)


def config_token_new() -> int:
    return secrets.randbits(62)


def csv_values(text: str) -> list[str]:
    """Comma-separated editor input (categories, SKUs) as a clean, case-folded list."""
    return [item.strip().casefold() for item in (text or "").split(",") if item.strip()]


# --- Tenancy -------------------------------------------------------------------------------------------------


class Business(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        related_name="businesses",
        blank=True,
        help_text=_("Admin users who manage this business's programs, members and reports."),
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)

    class Meta:
        verbose_name = _("business")
        verbose_name_plural = _("businesses")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Program(models.Model):
    business = models.ForeignKey(
        Business, verbose_name=_("business"), related_name="programs", on_delete=models.PROTECT
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=80, unique=True, help_text=_("Short name used in links and card numbers.")
    )
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.UAH)
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Kyiv",
        help_text=_("Happy hours, weekdays and birthdays are evaluated in this time zone."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive programs accept no purchases and no new members.")
    )
    tier_basis = models.CharField(
        _("tier qualification"),
        max_length=16,
        choices=TierBasis.choices,
        default=TierBasis.SPEND,
        help_text=_("What members accumulate to reach a higher tier."),
    )
    tier_window_days = models.PositiveIntegerField(
        _("qualification window (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Count only the last N days (e.g. 365). Leave empty to count the whole membership."),
    )
    downgrade_policy = models.CharField(
        _("downgrade policy"), max_length=16, choices=DowngradePolicy.choices, default=DowngradePolicy.NEVER
    )
    downgrade_grace_days = models.PositiveIntegerField(
        _("grace period (days)"),
        default=30,
        help_text=_("With the grace-period policy: days a member may stay below the threshold."),
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)
    # Renewed whenever the program's rules change, so cached rule snapshots know they are stale. Random rather
    # than a counter: a recreated row (SQLite reuses ids) can never look like the one a snapshot was taken of.
    config_version = models.BigIntegerField(default=config_token_new, editable=False)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["business__name", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.downgrade_policy == DowngradePolicy.PERIOD_END and not self.tier_window_days:
            raise ValidationError(
                {"tier_window_days": _("Downgrading at the end of a period needs a qualification window.")}
            )
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError({"timezone": _("Unknown time zone.")}) from exc


class Store(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="stores", on_delete=models.CASCADE)
    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=64, help_text=_("Identifier the cash register sends."))
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["program", "code"], name="store_code_unique_per_program")]

    def __str__(self):
        return self.name


# --- Card types, tiers and rules -----------------------------------------------------------------------------


class CardType(ClusterableModel):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="card_types", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=16, choices=CardKind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Shown to members in the portal."))
    is_active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("After this day the card earns and pays nothing."),
    )
    # Discount
    discount_percent = percent_field(
        _("discount %"), default=ZERO, help_text=_("Discount cards: the fixed discount on every purchase.")
    )
    # Cashback / points
    cashback_percent = percent_field(
        _("cashback %"),
        default=ZERO,
        help_text=_("Cashback cards: share of the paid amount credited as points."),
    )
    rounding = models.CharField(_("points rounding"), max_length=8, choices=Rounding.choices, default=Rounding.DOWN)
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
        _("stamps are given"), max_length=16, choices=StampBasis.choices, default=StampBasis.PURCHASE
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
                condition=~Q(kind=CardKind.STAMPS) | Q(stamp_goal__gte=1),
                name="card_type_stamp_goal_positive",
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
                condition=Q(max_share_percent__gte=0, max_share_percent__lte=100),
                name="redemption_share_range",
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


# --- Members, cards and the ledger ---------------------------------------------------------------------------


class Member(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="members", on_delete=models.PROTECT)
    phone = PhoneNumberField(_("phone"))
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birth_date = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True, default="")
    consent_email = models.BooleanField(_("email messages"), default=False)
    consent_sms = models.BooleanField(_("SMS messages"), default=False)
    consent_push = models.BooleanField(_("push messages"), default=False)
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), related_name="members", null=True, blank=True, on_delete=models.SET_NULL
    )
    tier_achieved_at = models.DateTimeField(_("tier since"), null=True, blank=True)
    tier_below_since = models.DateTimeField(_("below tier threshold since"), null=True, blank=True)
    lifetime_spend = money_field(_("total spend"))
    purchase_count = models.PositiveIntegerField(_("purchases"), default=0)
    points_earned_total = points_field(_("points earned"))
    profile_completed_at = models.DateTimeField(_("profile completed"), null=True, blank=True)
    birthday_bonus_year = models.PositiveIntegerField(_("last birthday bonus year"), null=True, blank=True)
    joined_at = models.DateTimeField(_("joined"), default=dj_timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["program", "phone"], name="member_phone_unique_per_program"),
            models.CheckConstraint(
                condition=Q(lifetime_spend__gte=0) & Q(points_earned_total__gte=0),
                name="member_counters_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["program", "last_name"], name="member_program_name_idx")]

    def __str__(self):
        return self.full_name or str(self.phone)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Card(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="cards", on_delete=models.PROTECT)
    member = models.ForeignKey(Member, verbose_name=_("member"), related_name="cards", on_delete=models.PROTECT)
    card_type = models.ForeignKey(CardType, verbose_name=_("card type"), related_name="cards", on_delete=models.PROTECT)
    number = models.CharField(_("card number"), max_length=32)
    status = models.CharField(_("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    status_reason = models.CharField(_("status reason"), max_length=300, blank=True)
    replaced_by = models.OneToOneField(
        "self",
        verbose_name=_("replaced by"),
        related_name="replaces",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
    )
    points_balance = points_field(_("points"))
    stamps_balance = points_field(_("stamps"))
    # What refunds could not take back because it was already spent; later accruals settle it first.
    points_debt = points_field(_("points owed"))
    stamps_debt = points_field(_("stamps owed"))
    issued_at = models.DateTimeField(_("issued"), default=dj_timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=dj_timezone.now)

    objects = CardQuerySet.as_manager()

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="card_number_unique_per_program"),
            models.UniqueConstraint(
                fields=["member", "card_type"],
                condition=~Q(status=CardStatus.REPLACED),
                name="one_live_card_per_member_and_type",
            ),
            models.CheckConstraint(
                condition=Q(points_balance__gte=0)
                & Q(stamps_balance__gte=0)
                & Q(points_debt__gte=0)
                & Q(stamps_debt__gte=0),
                name="card_balances_non_negative",
            ),
        ]
        indexes = [models.Index(fields=["number"], name="card_number_idx")]

    def __str__(self):
        return self.number

    def balance(self, unit: str) -> Decimal:
        return self.points_balance if unit == Unit.POINTS else self.stamps_balance

    def debt(self, unit: str) -> Decimal:
        return self.points_debt if unit == Unit.POINTS else self.stamps_debt


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
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
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
                fields=["card", "unit", "expires_at", "id"],
                name="lot_open_by_card_idx",
                condition=Q(remaining__gt=0),
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


# --- Purchases and refunds -----------------------------------------------------------------------------------


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


# --- History -------------------------------------------------------------------------------------------------


class TierChange(models.Model):
    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="+", on_delete=models.PROTECT)
    member = models.ForeignKey(Member, verbose_name=_("member"), related_name="tier_changes", on_delete=models.PROTECT)
    from_tier = models.ForeignKey(
        Tier, verbose_name=_("from tier"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to tier"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.CharField(_("reason"), max_length=16, choices=TierChangeReason.choices)
    purchase = models.ForeignKey(
        Purchase, verbose_name=_("purchase"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.from_tier} → {self.to_tier}"


class AuditEvent(models.Model):
    """Who changed what, when, and why: staff actions and builder edits, with old and new values."""

    # The trail outlives what it describes: deleting a business or program keeps its history (superusers see it).
    business = models.ForeignKey(
        Business, verbose_name=_("business"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    program = models.ForeignKey(
        Program, verbose_name=_("program"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    actor = actor_field()
    # A till or CRM acting through the POS/CRM API: the key it used (there is no staff user then).
    api_key = models.ForeignKey(
        "ApiKey", verbose_name=_("API key"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["business", "-created_at"], name="audit_business_time_idx")]

    def __str__(self):
        return f"{self.action} {self.object_repr}"


# --- POS / CRM API -------------------------------------------------------------------------------------------


class ApiKey(models.Model):
    """A machine's credential for the POS/CRM API, reaching one program only.

    A store key records purchases in its own store; a program key (a CRM, an e-shop) names the store in each
    purchase. The key reads ``kk_<prefix>_<secret>``: the prefix finds the row, and only a SHA-256 of the secret is
    kept (the secret is 32 random bytes, so a fast hash is enough; it is shown once, when the key is created).
    """

    program = models.ForeignKey(Program, verbose_name=_("program"), related_name="api_keys", on_delete=models.CASCADE)
    store = models.ForeignKey(
        Store,
        verbose_name=_("store"),
        related_name="api_keys",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_(
            "A cash register's key records purchases in this store. Empty: a program key (CRM, e-shop) "
            "that names the store in every purchase."
        ),
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("Who uses the key, e.g. “Till 2, Main Street” or “CRM”.")
    )
    prefix = models.CharField(_("prefix"), max_length=32, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        related_name="+",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created"), default=dj_timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    # Written at most once a minute per key, so busy tills don't turn every call into a write.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def masked(self) -> str:
        return f"kk_{self.prefix}_…"


class IdempotencyRecord(models.Model):
    """The outcome of one API write sent with an ``Idempotency-Key``: a replay gets the same answer back.

    The row is inserted before the write runs, in the same transaction, so a concurrent duplicate waits on the
    unique constraint and then replays the answer instead of running twice. Purged after a few days.
    """

    api_key = models.ForeignKey(ApiKey, verbose_name=_("API key"), related_name="+", on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="Hash of method, path and body.")
    status = models.PositiveSmallIntegerField(null=True)
    # The answer as it was sent, byte for byte (a JSON column would reorder its keys on PostgreSQL).
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_key", "key"], name="idempotency_key_unique_per_api_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self):
        return self.key
