"""Typed domain errors. Each carries a stable ``code`` (for the API) and a translatable message."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


class LoyaltyError(Exception):
    """Base of the engine's refusals. ``field`` names the input at fault when there is one, and
    ``field_errors`` maps several inputs to their messages (validation of a whole profile); forms and the API
    attach the messages to those inputs."""

    code = "loyalty_error"
    status = 422
    message = _("The operation is not allowed.")

    def __init__(self, message=None, *, field: str | None = None, field_errors: dict | None = None, **params):
        self.params = params
        self.field = field
        self.field_errors = {name: [str(text) for text in texts] for name, texts in (field_errors or {}).items()}
        if message is not None:
            self.message = message
        super().__init__(str(self))

    def __str__(self):
        if not self.params:
            return str(self.message)
        # Amounts read the same whatever precision the caller passed: "65.00 available, 1000.00 requested".
        params = {
            name: value.quantize(CENT) if isinstance(value, Decimal) else value for name, value in self.params.items()
        }
        return str(self.message) % params

    def add_to_form(self, form) -> None:
        """Show the error on a Django form: on its fields where they exist, else above the form."""
        placed = False
        for name, texts in self.field_errors.items():
            for text in texts:
                form.add_error(name if name in form.fields else None, text)
                placed = True
        if not placed:
            form.add_error(self.field if self.field in form.fields else None, str(self))


class InvalidInput(LoyaltyError):
    code = "invalid_input"
    status = 400
    message = _("The request is not valid.")


class CardBlocked(LoyaltyError):
    code = "card_blocked"
    status = 409
    message = _("This card is blocked.")


class CardReplaced(LoyaltyError):
    code = "card_replaced"
    status = 409
    message = _("This card was replaced by a new one.")


class CardTypeInactive(LoyaltyError):
    code = "card_type_inactive"
    status = 409
    message = _("This card type is not valid at the moment.")


class ProgramInactive(LoyaltyError):
    code = "program_inactive"
    status = 409
    message = _("This loyalty program is not active.")


class InsufficientPoints(LoyaltyError):
    code = "insufficient_points"
    message = _("Not enough points: %(available)s available, %(requested)s requested.")


class InsufficientStamps(LoyaltyError):
    code = "insufficient_stamps"
    message = _("Not enough stamps: %(available)s available, %(requested)s requested.")


class BelowMinimumCheck(LoyaltyError):
    code = "below_minimum_check"
    message = _("Points can pay only for checks of at least %(minimum)s.")


class RedemptionLimitExceeded(LoyaltyError):
    code = "redemption_limit_exceeded"
    message = _("At most %(maximum)s points can pay for this check.")


class RedemptionNotAllowed(LoyaltyError):
    code = "redemption_not_allowed"
    message = _("This card cannot pay with points.")


class NoRewardAvailable(LoyaltyError):
    code = "no_reward_available"
    message = _("This card has no reward to redeem.")


class DuplicateReceipt(LoyaltyError):
    code = "duplicate_receipt"
    status = 409
    message = _("Receipt %(receipt)s was already recorded with different content.")


class DuplicateRefund(LoyaltyError):
    code = "duplicate_refund"
    status = 409
    message = _("Refund %(refund)s was already recorded with different content.")


class RefundExceedsPurchase(LoyaltyError):
    code = "refund_exceeds_purchase"
    message = _("The refund exceeds what is left of the purchase (%(left)s).")


class WrongProgram(LoyaltyError):
    code = "wrong_program"
    status = 400
    message = _("The store and the card belong to different programs.")


class StoreInactive(LoyaltyError):
    code = "store_inactive"
    status = 409
    message = _("This store is not active.")


class MemberExists(LoyaltyError):
    code = "member_exists"
    status = 409
    message = _("A member with this phone already exists in the program.")
