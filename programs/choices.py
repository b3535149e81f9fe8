from django.db import models
from django.utils.translation import gettext_lazy as _


class Currency(models.TextChoices):
    UAH = "UAH", _("Ukrainian hryvnia (₴)")
    EUR = "EUR", _("Euro (€)")
    USD = "USD", _("US dollar ($)")
    PLN = "PLN", _("Polish złoty (zł)")
    GBP = "GBP", _("Pound sterling (£)")
    KZT = "KZT", _("Kazakhstani tenge (₸)")
    GEL = "GEL", _("Georgian lari (₾)")
    RUB = "RUB", _("Russian rouble (₽)")


class CardKind(models.TextChoices):
    DISCOUNT = "discount", _("Discount")
    ACCUMULATIVE = "accumulative", _("Accumulative discount")
    CASHBACK = "cashback", _("Cashback / bonus points")
    STAMPS = "stamps", _("Stamp card")


class Rounding(models.TextChoices):
    DOWN = "down", _("Whole points, rounded down")
    HALF_UP = "half_up", _("Whole points, rounded half up")
    CENTS = "cents", _("Two decimals")


class StampBasis(models.TextChoices):
    PURCHASE = "purchase", _("One stamp per qualifying purchase or visit")
    ITEM = "item", _("One stamp per qualifying item")


class SpendBasis(models.TextChoices):
    """What a purchase adds to the member's total spend (accumulative-discount steps and spend tiers)."""

    BEFORE_DISCOUNT = "before_discount", _("The amount before discount")
    PAID = "paid", _("The amount paid (after discount)")


class TierCrossingRate(models.TextChoices):
    """The rate a purchase that lifts the member to a higher tier is priced at."""

    OLD = "old", _("The old tier's rate: the new tier applies from the next purchase")
    NEW = "new", _("The new tier's rate: the purchase that reaches the tier gets it")


class TierBasis(models.TextChoices):
    SPEND = "spend", _("Total spend")
    POINTS = "points", _("Points earned")
    PURCHASES = "purchases", _("Number of purchases")


class DowngradePolicy(models.TextChoices):
    NEVER = "never", _("Never downgrade")
    PERIOD_END = "period_end", _("At the end of the qualification period")
    GRACE = "grace", _("After a grace period below the threshold")


class RuleKind(models.TextChoices):
    MULTIPLIER = "multiplier", _("Points multiplier on purchases")
    REGISTRATION = "registration", _("Bonus for joining")
    BIRTHDAY = "birthday", _("Birthday bonus")
    PROFILE_COMPLETED = "profile_completed", _("Bonus for a completed profile")


ACTION_RULE_KINDS = (RuleKind.REGISTRATION, RuleKind.BIRTHDAY, RuleKind.PROFILE_COMPLETED)


class Bucket(models.TextChoices):
    CASHBACK = "cashback", _("Cashback")
    PROMO = "promo", _("Promo")


class Unit(models.TextChoices):
    POINTS = "points", _("Points")
    STAMPS = "stamps", _("Stamps")


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual")
    REDEMPTION = "redemption", _("Redemption")
    EXPIRY = "expiry", _("Expiry")
    REVERSAL = "reversal", _("Refund reversal")
    RETURN = "return", _("Refund return")
    ADJUSTMENT = "adjustment", _("Staff adjustment")
    TRANSFER_OUT = "transfer_out", _("Moved to a replacement card")
    TRANSFER_IN = "transfer_in", _("Moved from a replaced card")
    REWARD_ISSUE = "reward_issue", _("Stamps exchanged for a reward")
    REWARD_VOID = "reward_void", _("Reward cancelled, stamps returned")
    # A reward given at the till: moves nothing (its stamps left with ``reward_issue``), records what and when.
    REWARD_USE = "reward_use", _("Reward used")
    # A refund took back more than the card still held: the shortfall is owed (``debt_change``), not a balance move.
    DEBT = "debt", _("Refund debt")
    DEBT_SETTLEMENT = "debt_settlement", _("Refund debt settled")
    OPENING = "opening", _("Opening balance (imported)")


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")
    REPLACED = "replaced", _("Replaced")


class RewardStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    REDEEMED = "redeemed", _("Redeemed")
    VOID = "void", _("Cancelled")


class Gender(models.TextChoices):
    UNKNOWN = "", _("Not specified")
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    OTHER = "x", _("Other")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class TierChangeReason(models.TextChoices):
    UPGRADE = "upgrade", _("Upgrade")
    PERIOD_END = "period_end", _("End of qualification period")
    GRACE_ENDED = "grace_ended", _("Grace period ended")
    REFUND = "refund", _("Refund")
    STAFF = "staff", _("Changed by staff")


class EventType(models.TextChoices):
    """What the outbox records (``programs.outbox``): one row per change, written in the change's transaction."""

    MEMBER_CREATED = "member.created", _("Member enrolled")
    MEMBER_UPDATED = "member.updated", _("Member profile updated")
    CARD_ISSUED = "card.issued", _("Card issued")
    CARD_BLOCKED = "card.blocked", _("Card blocked")
    CARD_UNBLOCKED = "card.unblocked", _("Card unblocked")
    CARD_REPLACED = "card.replaced", _("Card replaced")
    # One per card and transaction that wrote the card's ledger, whatever the cause (``BalanceCause``).
    CARD_BALANCES_CHANGED = "card.balances_changed", _("Card balances changed")
    PURCHASE_RECORDED = "purchase.recorded", _("Purchase recorded")
    PURCHASE_REFUNDED = "purchase.refunded", _("Purchase refunded")
    TIER_CHANGED = "tier.changed", _("Tier changed")


class BalanceCause(models.TextChoices):
    """Why a card's ledger moved: the ``cause`` of a ``card.balances_changed`` event."""

    PURCHASE = "purchase", _("Purchase")
    REFUND = "refund", _("Refund")
    ADJUSTMENT = "adjustment", _("Staff adjustment")
    JOINING_BONUS = "joining_bonus", _("Joining bonus")
    BIRTHDAY_BONUS = "birthday_bonus", _("Birthday bonus")
    PROFILE_BONUS = "profile_bonus", _("Profile bonus")
    EXPIRY = "expiry", _("Expiry")
    REPLACEMENT = "replacement", _("Card replacement")
    IMPORT = "import", _("Import")
