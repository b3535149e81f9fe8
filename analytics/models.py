"""Pre-aggregated facts the dashboards and reports read instead of the ledger.

Every row is derived: ``analytics.rollups`` rebuilds any of them from the engine's tables at any time, so they are
replaced (delete + insert per program and day, or per member), never edited by hand. Days are the program's own
days (its time zone); money and points are ``Decimal``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from programs.models import CardType, Member, Program, Store, Tier
from programs.models.common import money_field, points_field


class DailyFact(models.Model):
    """What happened in one program on one of its days, for one card type × store × tier.

    Purchases count on the day they were made (``purchased_at``), refunds, ledger movements and stamp rewards on the
    day they were written: a refund or an expiry months later lands on its own day, not the purchase's. The tier is
    the member's tier at the moment of the fact (from the tier history). ``store`` is empty for movements that
    happen outside a store (expiry, bonuses, staff adjustments), ``card_type`` for new members without a card.
    """

    program = models.ForeignKey(Program, related_name="+", on_delete=models.CASCADE, db_index=False)
    day = models.DateField()
    card_type = models.ForeignKey(CardType, null=True, related_name="+", on_delete=models.CASCADE, db_index=False)
    store = models.ForeignKey(Store, null=True, related_name="+", on_delete=models.CASCADE, db_index=False)
    tier = models.ForeignKey(Tier, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False)
    purchases = models.IntegerField(default=0)
    revenue = money_field(_("revenue"))
    discount = money_field(_("discount"))
    paid_with_points = money_field(_("paid with points"))
    refunds = models.IntegerField(default=0)
    refunded = money_field(_("refunded"))
    points_earned_cashback = points_field(_("points earned (cashback)"))
    points_earned_promo = points_field(_("points earned (promo)"))
    points_redeemed = points_field(_("points redeemed"))
    points_expired_cashback = points_field(_("points expired (cashback)"))
    points_expired_promo = points_field(_("points expired (promo)"))
    # The sum of every points entry of the day by bucket (accruals, redemptions, expiry, refunds, adjustments...):
    # the running total of these is the points outstanding (the liability) at the end of each day.
    points_net_cashback = points_field(_("points net change (cashback)"))
    points_net_promo = points_field(_("points net change (promo)"))
    stamps_issued = points_field(_("stamps issued"))
    rewards_issued = models.IntegerField(default=0)
    rewards_redeemed = models.IntegerField(default=0)
    new_members = models.IntegerField(default=0)
    cards_issued = models.IntegerField(default=0)
    # Tier changes of the day, under the tier moved to.
    tier_upgrades = models.IntegerField(default=0)
    tier_downgrades = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["program", "day"], name="dailyfact_program_day_idx")]
        # Opens the dashboards, their downloads and the PDF report (of the user's own businesses' programs).
        permissions = [("view_dashboards", "Can view analytics dashboards and reports")]

    def __str__(self):
        return f"{self.program_id} {self.day}"


# The member-level rollups hold one row per member and per member-month: millions of rows that a full recompute
# writes in one transaction. Their references are kept by Django's delete collector (``on_delete``), not by
# constraints in the database: a deferred foreign key checks each row again at commit, which was 10M trigger runs
# and 38 s of a 10M-purchase recompute's 133 s member phase. Every row is derived and rebuilt by ``rollups``.


class MemberFact(models.Model):
    """One member's buying, for cohorts, activity and RFM: first and last purchase, how often, how much (net of
    refunds), and the member's current tier and first card type."""

    program = models.ForeignKey(
        Program, related_name="+", on_delete=models.CASCADE, db_index=False, db_constraint=False
    )
    member = models.OneToOneField(Member, related_name="+", on_delete=models.CASCADE, db_constraint=False)
    card_type = models.ForeignKey(
        CardType, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False, db_constraint=False
    )
    tier = models.ForeignKey(
        Tier, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False, db_constraint=False
    )
    joined_on = models.DateField()
    first_purchase_on = models.DateField(null=True)
    last_purchase_on = models.DateField(null=True)
    purchases = models.IntegerField(default=0)
    monetary = money_field(_("spend"))
    # Spend in the 90 days before joining and the 90 days after (purchases recorded before the member joined come
    # from imports or a card linked later).
    spend_before_joining = money_field(_("spend before joining"))
    spend_after_joining = money_field(_("spend after joining"))

    class Meta:
        indexes = [models.Index(fields=["program", "last_purchase_on"], name="memberfact_program_last_idx")]

    def __str__(self):
        return f"{self.member_id}"


class MemberMonth(models.Model):
    """A member's purchases in one calendar month of the program: what cohort retention counts."""

    program = models.ForeignKey(
        Program, related_name="+", on_delete=models.CASCADE, db_index=False, db_constraint=False
    )
    member = models.ForeignKey(Member, related_name="+", on_delete=models.CASCADE, db_index=False, db_constraint=False)
    month = models.DateField()
    cohort = models.DateField(help_text="The month of the member's first purchase.")
    purchases = models.IntegerField(default=0)
    spend = money_field(_("spend"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "month"], name="membermonth_unique")]
        indexes = [models.Index(fields=["program", "cohort", "month"], name="membermonth_cohort_idx")]

    def __str__(self):
        return f"{self.member_id} {self.month:%Y-%m}"


class MemberRecency(models.Model):
    """The member facts counted by card type × tier × day of the last purchase × frequency group, with their spend:
    what activity, RFM and the tier mix read (a few thousand rows a program instead of one per member). Kept with
    the member facts: each rebuild of some members takes their old rows' counts off and adds the new ones."""

    program = models.ForeignKey(Program, related_name="+", on_delete=models.CASCADE, db_index=False)
    card_type = models.ForeignKey(CardType, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False)
    tier = models.ForeignKey(Tier, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False)
    last_purchase_on = models.DateField(null=True)
    # 0: at most one purchase, 1: two to four, 2: five or more.
    frequency = models.PositiveSmallIntegerField()
    members = models.IntegerField(default=0)
    monetary = money_field(_("spend"))

    class Meta:
        indexes = [models.Index(fields=["program", "last_purchase_on"], name="memberrecency_program_idx")]

    def __str__(self):
        return f"{self.program_id} {self.last_purchase_on} {self.members}"


class MemberJoining(models.Model):
    """The member facts counted by card type × tier × day of joining, with the spend before and after joining:
    what the joining chart reads for any range of days. Kept like ``MemberRecency``."""

    program = models.ForeignKey(Program, related_name="+", on_delete=models.CASCADE, db_index=False)
    card_type = models.ForeignKey(CardType, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False)
    tier = models.ForeignKey(Tier, null=True, related_name="+", on_delete=models.SET_NULL, db_index=False)
    joined_on = models.DateField()
    members = models.IntegerField(default=0)
    spend_before_joining = money_field(_("spend before joining"))
    spend_after_joining = money_field(_("spend after joining"))

    class Meta:
        indexes = [models.Index(fields=["program", "joined_on"], name="memberjoining_program_idx")]

    def __str__(self):
        return f"{self.program_id} {self.joined_on} {self.members}"


class LiabilitySnapshot(models.Model):
    """Points outstanding now per card type and bucket, with what expires in the next 30 days."""

    program = models.ForeignKey(Program, related_name="+", on_delete=models.CASCADE, db_index=False)
    card_type = models.ForeignKey(CardType, related_name="+", on_delete=models.CASCADE, db_index=False)
    bucket = models.CharField(max_length=10)
    outstanding = points_field(_("outstanding"))
    expiring_30d = points_field(_("expiring in 30 days"))
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["program"], name="liability_program_idx")]

    def __str__(self):
        return f"{self.program_id} {self.bucket} {self.outstanding}"


class RollupVersion(models.Model):
    """Moves (a new random token) whenever any of a program's rollups is written: the dashboard keeps what it built
    for a version and builds again once the version has moved. A token, not a counter, so that a version is never
    seen twice, even for a program id used again."""

    program = models.OneToOneField(Program, primary_key=True, related_name="+", on_delete=models.CASCADE)
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    def __str__(self):
        return f"{self.program_id} {self.token}"


class RecomputeRun(models.Model):
    """A rebuild of one program's rollups over a range of days, done a chunk of days at a time: a run that stops
    (crash, deploy) is resumed from ``next_day`` by the next call for the same range."""

    program = models.ForeignKey(Program, related_name="+", on_delete=models.CASCADE)
    first_day = models.DateField()
    last_day = models.DateField()
    next_day = models.DateField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.program_id} {self.first_day}..{self.last_day}"


class ReportDelivery(models.Model):
    """A monthly report e-mailed to a program's owners: one row per program and month, so the job sends it once."""

    program = models.ForeignKey(Program, related_name="+", on_delete=models.CASCADE)
    month = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "month"], name="report_once_per_month")]

    def __str__(self):
        return f"{self.program_id} {self.month:%Y-%m}"
