"""OpenAPI documentation of the API's answers: serializers that describe the dicts of
``programs.api.representations`` (never used to build them), the problem body, and examples for every endpoint.

The examples describe one small world (Kvitka Club, store ``main``, card ``2000000000018``) that the schemathesis
test builds for real, so the examples phase exercises live rows.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from programs.api.idempotency import HEADER
from programs.api.problems import PROBLEM_CONTENT_TYPE, TITLES, TYPE_PREFIX
from programs.choices import Bucket, CardKind, CardStatus, EntryKind, Gender, TierBasis, Unit

CARD = "2000000000018"
STORE = "main"


def money_out(**kwargs):
    return serializers.DecimalField(max_digits=14, decimal_places=2, **kwargs)


def quantity_out(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=3, **kwargs)


# --- Answers ---------------------------------------------------------------------------------------------------


class ProblemOut(serializers.Serializer):
    type = serializers.CharField(help_text=f"``{TYPE_PREFIX}<code>``")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="In the language of Accept-Language (en, ru, uk).")
    code = serializers.CharField(help_text="Stable and machine-readable: branch on this.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field (nested fields as lines.0.amount), for invalid input.",
    )


class TierOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TierProgressOut(serializers.Serializer):
    tier = TierOut(allow_null=True, help_text="The member's tier now.")
    next_tier = TierOut(allow_null=True, help_text="The next tier up; null at the top.")
    basis = serializers.ChoiceField(choices=TierBasis.choices, help_text="What the program measures tiers by.")
    value = money_out(help_text="The member's figure in that measure (spend, points earned or purchases).")
    remaining = money_out(help_text="What is left to reach the next tier, in the same measure.")
    percent = serializers.IntegerField(
        help_text="How far from the current tier's threshold to the next one's (1-99 until reached)."
    )
    downgrade_at = serializers.DateTimeField(
        allow_null=True, help_text="When the tier steps down, if the member is below its threshold."
    )
    downgrade_to = TierOut(allow_null=True)
    text = serializers.CharField(
        help_text="All of it in words, money per the language of Accept-Language: “19 950,00 ₴ left to Gold "
        "(1 % of the way)”. Empty at the top tier."
    )


class MemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField(help_text="E.164")
    name = serializers.CharField(help_text="First and last name, as the cashier greets them.")
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    gender = serializers.ChoiceField(choices=Gender.choices)
    consent_email = serializers.BooleanField()
    consent_sms = serializers.BooleanField()
    consent_push = serializers.BooleanField()
    consent_telegram = serializers.BooleanField()
    tier = TierOut(allow_null=True)
    joined_at = serializers.DateTimeField()


class CardTypeOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=CardKind.choices)


class BalancesOut(serializers.Serializer):
    points = money_out(help_text="Spendable points: cashback + promo.")
    cashback = money_out()
    promo = money_out(help_text="Temporary bonus points with a hard expiry.")
    stamps = money_out()
    points_debt = money_out(
        help_text="Points a refund could not take back (a `debt` entry in the ledger); later accruals settle it first."
    )
    stamps_debt = money_out(help_text="Stamps a refund could not take back; later stamps settle it first.")


class ExpiryOut(serializers.Serializer):
    at = serializers.DateTimeField()
    amount = money_out()


class CardOut(serializers.Serializer):
    number = serializers.CharField()
    barcode = serializers.CharField(help_text="The QR payload printed on passes: KARTKA:<number>.")
    status = serializers.ChoiceField(choices=CardStatus.choices)
    card_type = CardTypeOut()
    balances = BalancesOut()
    rewards_available = serializers.IntegerField(help_text="Stamp-card rewards ready to redeem.")
    stamp_goal = serializers.IntegerField(allow_null=True)
    next_expiry = ExpiryOut(allow_null=True, help_text="The soonest points to expire.")


class MemberCardsOut(serializers.Serializer):
    member = MemberOut()
    tier_progress = TierProgressOut(allow_null=True, help_text="Null when the program has no tiers.")
    cards = CardOut(many=True)
    card = serializers.CharField(allow_null=True, help_text="The number of the card the lookup matched, if any.")


class ShortBalancesOut(serializers.Serializer):
    points = money_out()
    stamps = money_out()
    points_debt = money_out()
    stamps_debt = money_out()


class EarningOut(serializers.Serializer):
    amount = money_out()
    bucket = serializers.ChoiceField(choices=Bucket.choices)
    expires_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(help_text="The earning rule, empty for the base cashback.")


class QuoteOut(serializers.Serializer):
    card = serializers.CharField()
    currency = serializers.CharField()
    total = money_out()
    discount_percent = money_out()
    discount_amount = money_out()
    amount_after_discount = money_out()
    points_available = money_out()
    points_redeemable = money_out(help_text="The most points this check can be paid with.")
    points_redeemed = money_out()
    redeemed_value = money_out(help_text="What the redeemed points pay, in money.")
    amount_to_pay = money_out()
    points_to_earn = money_out()
    earnings = EarningOut(many=True)
    stamps_to_earn = money_out()
    reward_redeemed = serializers.BooleanField()


class RewardUsedOut(serializers.Serializer):
    description = serializers.CharField(help_text="What the reward gives, as the owner wrote it (may be empty).")
    how_to_ring = serializers.CharField(
        help_text="How the till rings the free item: as its own line at 0.00 (it earns no stamp), in the "
        "language of Accept-Language."
    )


class PurchaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    receipt_id = serializers.CharField()
    store = serializers.CharField()
    card = serializers.CharField()
    member_id = serializers.IntegerField()
    purchased_at = serializers.DateTimeField()
    currency = serializers.CharField()
    total = money_out()
    discount_percent = money_out()
    discount_amount = money_out()
    points_redeemed = money_out()
    redeemed_value = money_out()
    paid_amount = money_out()
    points_earned = money_out()
    stamps_earned = money_out()
    reward_redeemed = serializers.BooleanField()
    reward = RewardUsedOut(
        allow_null=True,
        help_text="The stamp reward this purchase used (redeem_reward), else null. Its use is a reward_use entry "
        "in the card's ledger.",
    )
    rewards_issued = serializers.IntegerField()
    rewards_available = serializers.IntegerField()
    refunded_amount = money_out()
    tier = TierOut(allow_null=True, help_text="The member's tier after the purchase.")
    tier_progress = TierProgressOut(allow_null=True, help_text="After the purchase; null without tiers.")
    balances = ShortBalancesOut()
    replayed = serializers.BooleanField(help_text="True when the receipt had been recorded before.")


class PurchaseLineOut(serializers.Serializer):
    id = serializers.IntegerField()
    position = serializers.IntegerField()
    sku = serializers.CharField()
    category = serializers.CharField()
    quantity = quantity_out()
    amount = money_out()
    refunded_quantity = quantity_out()
    refunded_amount = money_out()


class PurchaseDetailOut(PurchaseOut):
    lines = PurchaseLineOut(many=True)


class RefundPurchaseOut(serializers.Serializer):
    total = money_out()
    refunded_amount = money_out()
    points_earned = money_out()
    points_reversed = money_out()
    points_redeemed = money_out()
    points_returned = money_out()


class RefundOut(serializers.Serializer):
    id = serializers.IntegerField()
    refund_id = serializers.CharField()
    purchase_id = serializers.IntegerField()
    receipt_id = serializers.CharField()
    store = serializers.CharField()
    card = serializers.CharField()
    amount = money_out()
    points_reversed = money_out(help_text="Earned points taken back.")
    points_debt = money_out(help_text="Of those, what the card no longer had (owed).")
    points_returned = money_out(help_text="Spent points given back.")
    stamps_reversed = money_out()
    reward_returned = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    purchase = RefundPurchaseOut()
    balances = ShortBalancesOut()
    replayed = serializers.BooleanField()


class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    unit = serializers.ChoiceField(choices=Unit.choices)
    bucket = serializers.ChoiceField(choices=Bucket.choices)
    amount = money_out(help_text="The change of the balance (0.00 for a `debt` entry and a `reward_use`).")
    balance_after = money_out()
    debt_change = money_out(
        help_text="The change of the card's debt: + a refund took back more than the card held (`debt`), "
        "- it was settled (`debt_settlement`, which names the refund) or moved to a replacement card."
    )
    reason = serializers.CharField(help_text="Why, in words: rule, receipt, refund, staff note.")
    rule = serializers.CharField(allow_null=True)
    receipt_id = serializers.CharField(allow_null=True)
    refund_id = serializers.CharField(allow_null=True)
    store = serializers.CharField(allow_null=True)
    note = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class LedgerOut(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="URL of the next (older) page.")
    previous = serializers.CharField(allow_null=True)
    card = CardOut()
    results = EntryOut(many=True)


# --- Parameters and shared responses ----------------------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    # What programs.api.idempotency.KEY_PATTERN accepts, so a schema-driven client never sends a key it refuses.
    {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]{1,255}$"},
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (e.g. a UUID), up to 255 printable ASCII characters. A replay with the same key "
    "and body returns the first answer; the same key with another body answers 409.",
)
CARD_NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="Card number.",
    examples=[OpenApiExample("Card", value=CARD)],
)
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def problem_example(code: str, status: int, detail: str, *, errors: dict | None = None, name: str = ""):
    value = {
        "type": f"{TYPE_PREFIX}{code}",
        "title": str(TITLES.get(code, code)),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        value["errors"] = errors
    return OpenApiExample(name or code, value=value, response_only=True, status_codes=[str(status)])


def problems(*statuses: int, examples: list[OpenApiExample] = (), body: bool = True) -> dict:
    """Problem responses for ``statuses`` plus the ones every endpoint can answer (401, 429; 409 and 415 for
    requests with a body)."""
    if body:
        statuses = (*statuses, 409, 415)  # 409: an Idempotency-Key reused for another request
    descriptions = {
        400: "Invalid input or malformed JSON.",
        401: "Missing, malformed, unknown or revoked API key.",
        403: "The key may not do this (e.g. a store key naming another store).",
        404: "Not found in the key's program (missing and another program's are alike).",
        409: "Conflict: card blocked, duplicate receipt or refund, Idempotency-Key reused, member exists.",
        422: "The engine refuses: not enough points, limits, minimum check, currency mismatch.",
        415: "The body must be JSON (Content-Type: application/json).",
        429: "Too many requests for this key; see Retry-After.",
    }
    by_status: dict[int, list[OpenApiExample]] = {}
    for example in examples:
        by_status.setdefault(int(example.status_codes[0]), []).append(example)
    generic = {
        400: ("invalid_input", "The request is not valid."),
        403: ("forbidden", "You do not have permission to perform this action."),
        404: ("not_found", "Not found."),
        409: ("idempotency_key_reused", "This Idempotency-Key was already used for a different request."),
        415: ("unsupported_media_type", 'Unsupported media type "text/plain" in request.'),
        422: ("insufficient_points", "Not enough points: 65.00 available, 100.00 requested."),
    }
    for status in statuses:
        if not by_status.get(status):
            code, detail = generic[status]
            by_status[status] = [problem_example(code, status, detail)]
    by_status.setdefault(401, []).append(
        problem_example("unauthenticated", 401, "The API key is not valid or was revoked.")
    )
    by_status.setdefault(429, []).append(
        problem_example("throttled", 429, "Request was throttled. Expected available in 12 seconds.")
    )
    return {
        (status, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            response=ProblemOut, description=descriptions[status], examples=by_status.get(status, [])
        )
        for status in sorted({*statuses, 401, 429})
    }


UNKNOWN_CARD = problem_example("unknown_card", 404, "There is no card with this number in the program.")
UNKNOWN_MEMBER = problem_example("unknown_member", 404, "There is no such member in the program.")
UNKNOWN_PURCHASE = problem_example("unknown_purchase", 404, "There is no such purchase in the program.")
INVALID_PHONE = problem_example(
    "invalid_input", 400, "The request is not valid.", errors={"phone": ["Enter a valid phone number."]}
)
INVALID_EMAIL = problem_example(
    "invalid_input", 400, "The request is not valid.", errors={"email": ["Enter a valid email address."]}
)
INVALID_EXAMPLE = problem_example(
    "invalid_input",
    400,
    "The request is not valid.",
    errors={"lines.0.amount": ["Ensure that there are no more than 10 digits in total."]},
)


# --- Example values -------------------------------------------------------------------------------------------

MEMBER = {
    "id": 42,
    "phone": "+380501234567",
    "name": "Olena Kovalenko",
    "first_name": "Olena",
    "last_name": "Kovalenko",
    "email": "olena@example.com",
    "birth_date": "1990-05-17",
    "gender": "f",
    "consent_email": True,
    "consent_sms": False,
    "consent_push": False,
    "consent_telegram": False,
    "tier": {"id": 1, "name": "Standard"},
    "joined_at": "2026-01-15T10:04:11Z",
}
CARD_VALUE = {
    "number": CARD,
    "barcode": f"KARTKA:{CARD}",
    "status": "active",
    "card_type": {"id": 1, "name": "Kvitka Club card", "kind": "cashback"},
    "balances": {
        "points": "250.00",
        "cashback": "150.00",
        "promo": "100.00",
        "stamps": "0.00",
        "points_debt": "0.00",
        "stamps_debt": "0.00",
    },
    "rewards_available": 0,
    "stamp_goal": None,
    "next_expiry": {"at": "2026-12-14T10:04:11Z", "amount": "100.00"},
}
TIER_PROGRESS = {
    "tier": {"id": 1, "name": "Standard"},
    "next_tier": {"id": 2, "name": "Gold"},
    "basis": "spend",
    "value": "1500.00",
    "remaining": "3500.00",
    "percent": 30,
    "downgrade_at": None,
    "downgrade_to": None,
    "text": "₴3,500.00 left to Gold (30 % of the way)",
}
MEMBER_CARDS = {"member": MEMBER, "tier_progress": TIER_PROGRESS, "cards": [CARD_VALUE], "card": CARD}
LINES = [
    {"sku": "DRS-001", "category": "dresses", "quantity": "1", "amount": "1200.00"},
    {"sku": "BLT-7", "category": "accessories", "quantity": "2", "amount": "300.00"},
]
PURCHASE_REQUEST = {
    "card_number": CARD,
    "store": STORE,
    "receipt_id": "R-1001",
    "currency": "UAH",
    "total": "1500.00",
    "lines": LINES,
    "redeem_points": "100.00",
}
PURCHASE_VALUE = {
    "id": 7,
    "receipt_id": "R-1001",
    "store": STORE,
    "card": CARD,
    "member_id": 42,
    "purchased_at": "2026-11-22T12:30:00Z",
    "currency": "UAH",
    "total": "1500.00",
    "discount_percent": "0.00",
    "discount_amount": "0.00",
    "points_redeemed": "100.00",
    "redeemed_value": "100.00",
    "paid_amount": "1400.00",
    "points_earned": "51.00",
    "stamps_earned": "0.00",
    "reward_redeemed": False,
    "reward": None,
    "rewards_issued": 0,
    "rewards_available": 0,
    "refunded_amount": "0.00",
    "tier": {"id": 1, "name": "Standard"},
    "tier_progress": TIER_PROGRESS,
    "balances": {"points": "201.00", "stamps": "0.00", "points_debt": "0.00", "stamps_debt": "0.00"},
    "replayed": False,
}
