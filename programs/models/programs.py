"""Programs and their stores (the tenant, ``Business``, lives in ``tenancy``)."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from programs.choices import Currency, DowngradePolicy, TierBasis, TierCrossingRate
from programs.models.common import config_token_new
from programs.phones import phone_region_validate
from programs.querysets import ProgramQuerySet
from tenancy.models import Business


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
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[phone_region_validate],
        help_text=_(
            "Two letters, e.g. UA. Phone numbers written without a country code (“067 123 45 67”) are read as this "
            "country's. Empty: the server's default."
        ),
    )
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
    tier_crossing_rate = models.CharField(
        _("purchase that reaches a tier"),
        max_length=8,
        choices=TierCrossingRate.choices,
        default=TierCrossingRate.OLD,
        help_text=_(
            "Which tier's discount, cashback and multiplier price the purchase that lifts a member to a higher "
            "tier. Whether it reaches the tier is decided at the old tier's prices."
        ),
    )
    downgrade_policy = models.CharField(
        _("downgrade policy"), max_length=16, choices=DowngradePolicy.choices, default=DowngradePolicy.NEVER
    )
    downgrade_grace_days = models.PositiveIntegerField(
        _("grace period (days)"),
        default=30,
        help_text=_("With the grace-period policy: days a member may stay below the threshold."),
    )
    theme = models.ForeignKey(
        "themes.Theme",
        verbose_name=_("theme"),
        related_name="programs",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("How the portal, the wallet cards and reports look. Empty: Kartka's default look."),
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
        if self.theme_id is not None and self.business_id is not None and self.theme.business_id != self.business_id:
            raise ValidationError({"theme": _("Choose one of this business's themes.")})
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
