"""Members, their cards and their tier history."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from programs.choices import CardStatus, Gender, TierChangeReason, Unit
from programs.models.common import money_field, points_field
from programs.models.programs import Program
from programs.models.rules import CardType, Tier
from programs.querysets import CardQuerySet, MemberQuerySet


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
    consent_telegram = models.BooleanField(_("Telegram messages"), default=False)
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
    # The member's id in the system the base was imported from: how a re-run import finds them again.
    external_id = models.CharField(_("external id"), max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-joined_at"]
        constraints = [
            models.UniqueConstraint(fields=["program", "phone"], name="member_phone_unique_per_program"),
            models.UniqueConstraint(
                fields=["program", "external_id"],
                condition=~Q(external_id=""),
                name="member_external_id_unique_per_program",
            ),
            models.CheckConstraint(
                condition=Q(lifetime_spend__gte=0) & Q(points_earned_total__gte=0), name="member_counters_non_negative"
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
        "self", verbose_name=_("replaced by"), related_name="replaces", null=True, blank=True, on_delete=models.PROTECT
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
        "Purchase", verbose_name=_("purchase"), related_name="+", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("time"), default=dj_timezone.now)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.from_tier} → {self.to_tier}"
