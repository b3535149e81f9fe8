"""The OpenAPI examples of the API's operations: request bodies, answers and problems, one group per view.

They describe the same small world as ``programs.api.schema`` (Kvitka Club, store ``main``, card
``2000000000018``), whose shared values (``CARD``, ``MEMBER_CARDS``, ``PURCHASE_VALUE``, …) they build on, so the
schemathesis test's examples phase exercises live rows. Kept out of the views so a view reads as what it does.
"""

from drf_spectacular.utils import OpenApiExample

from programs.api import schema as doc

# --- Lookup ------------------------------------------------------------------------------------------------------

LOOKUP_CARD_NUMBER = [OpenApiExample("Card", value=doc.CARD)]
LOOKUP_FOUND = [OpenApiExample("Found by card", value=doc.MEMBER_CARDS, response_only=True)]
LOOKUP_PROBLEMS = [
    doc.UNKNOWN_CARD,
    doc.INVALID_PHONE,
]
LOOKUP_REQUEST = [OpenApiExample("By card", value={"card_number": doc.CARD}, request_only=True)]

# --- Members -----------------------------------------------------------------------------------------------------

ENROL_REQUEST = {
    "phone": "067 555 12 34",
    "first_name": "Olena",
    "last_name": "Kovalenko",
    "email": "olena@example.com",
    "birth_date": "1990-05-17",
    "consent_email": True,
}


ENROLLED = {**doc.MEMBER_CARDS, "member": {**doc.MEMBER, "phone": "+380675551234"}, "card": None}

MEMBER_ENROLLED = [OpenApiExample("Enrolled", value=ENROLLED, response_only=True)]
MEMBER_ENROL_PROBLEMS = [
    doc.problem_example("member_exists", 409, "A member with this phone already exists in the program."),
    doc.INVALID_PHONE,
]
MEMBER_ENROL_REQUEST = [OpenApiExample("Enrol", value=ENROL_REQUEST, request_only=True)]

MEMBER_FOUND = [OpenApiExample("Member", value={**doc.MEMBER_CARDS, "card": None}, response_only=True)]
MEMBER_GET_PROBLEMS = [doc.UNKNOWN_MEMBER]

MEMBER_UPDATED = [OpenApiExample("Updated", value={**doc.MEMBER_CARDS, "card": None}, response_only=True)]
MEMBER_UPDATE_PROBLEMS = [
    doc.UNKNOWN_MEMBER,
    doc.INVALID_EMAIL,
]
MEMBER_UPDATE_REQUEST = [
    OpenApiExample(
        "New e-mail and consent", value={"email": "olena@example.com", "consent_sms": True}, request_only=True
    )
]

# --- Quote and purchases -----------------------------------------------------------------------------------------

QUOTE_VALUE = {
    "card": doc.CARD,
    "currency": "UAH",
    "total": "1500.00",
    "discount_percent": "0.00",
    "discount_amount": "0.00",
    "amount_after_discount": "1500.00",
    "points_available": "250.00",
    "points_redeemable": "250.00",
    "points_redeemed": "100.00",
    "redeemed_value": "100.00",
    "amount_to_pay": "1400.00",
    "points_to_earn": "51.00",
    "earnings": [
        {"amount": "42.00", "bucket": "cashback", "expires_at": "2027-11-22T12:30:00Z", "reason": ""},
        {
            "amount": "9.00",
            "bucket": "cashback",
            "expires_at": "2027-11-22T12:30:00Z",
            "reason": "Double points on accessories",
        },
    ],
    "stamps_to_earn": "0.00",
    "reward_redeemed": False,
    "reward": None,
}
REDEMPTION_PROBLEMS = [
    doc.problem_example(
        "insufficient_points", 422, "Not enough points: 250.00 available, 400.00 requested.", name="Not enough points"
    ),
    doc.problem_example(
        "redemption_limit_exceeded", 422, "At most 450.00 points can pay for this check.", name="Over the limit"
    ),
    doc.problem_example("currency_mismatch", 422, "The program counts in UAH, not EUR.", name="Other currency"),
    doc.problem_example("card_blocked", 409, "This card is blocked.", name="Blocked card"),
    doc.problem_example("unknown_card", 404, "There is no card with this number in the program.", name="Unknown card"),
]

QUOTE = [OpenApiExample("Quote", value=QUOTE_VALUE, response_only=True)]
QUOTE_PROBLEMS = [doc.INVALID_EXAMPLE, *REDEMPTION_PROBLEMS]
QUOTE_REQUEST = [
    OpenApiExample(
        "Quote with points",
        value={key: value for key, value in doc.PURCHASE_REQUEST.items() if key not in ("store", "receipt_id")},
        request_only=True,
    )
]

PURCHASE_RECORDED = [OpenApiExample("Recorded", value=doc.PURCHASE_VALUE, response_only=True, status_codes=["201"])]
PURCHASE_REPLAYED = [
    OpenApiExample("Replayed receipt", value={**doc.PURCHASE_VALUE, "replayed": True}, response_only=True)
]
PURCHASE_RECORD_PROBLEMS = [
    doc.INVALID_EXAMPLE,
    *REDEMPTION_PROBLEMS,
    doc.problem_example(
        "store_not_allowed",
        403,
        "This key records purchases in its own store only.",
        name="Other store",
    ),
]
PURCHASE_REQUEST = [OpenApiExample("Purchase paying 100 points", value=doc.PURCHASE_REQUEST, request_only=True)]

PURCHASE_DETAIL = [
    OpenApiExample(
        "Purchase",
        value={
            **doc.PURCHASE_VALUE,
            "lines": [
                {
                    "id": 11,
                    "position": 0,
                    "sku": "DRS-001",
                    "category": "dresses",
                    "quantity": "1.000",
                    "amount": "1200.00",
                    "refunded_quantity": "0.000",
                    "refunded_amount": "0.00",
                }
            ],
        },
        response_only=True,
    )
]
PURCHASE_GET_PROBLEMS = [doc.UNKNOWN_PURCHASE]

# --- Refunds -----------------------------------------------------------------------------------------------------

REFUND_VALUE = {
    "id": 3,
    "refund_id": "RF-1",
    "purchase_id": 6,
    "receipt_id": "R-1000",
    "store": doc.STORE,
    "card": doc.CARD,
    "amount": "300.00",
    "points_reversed": "10.20",
    "points_debt": "0.00",
    "points_returned": "20.00",
    "stamps_reversed": "0.00",
    "reward_returned": False,
    "created_at": "2026-11-23T09:15:00Z",
    "purchase": {
        "total": "1500.00",
        "refunded_amount": "300.00",
        "points_earned": "51.00",
        "points_reversed": "10.20",
        "points_redeemed": "100.00",
        "points_returned": "20.00",
    },
    "balances": {"points": "210.80", "stamps": "0.00", "points_debt": "0.00", "stamps_debt": "0.00"},
    "replayed": False,
}

REFUNDED = [OpenApiExample("Refunded", value=REFUND_VALUE, response_only=True, status_codes=["201"])]
REFUND_REPLAYED = [OpenApiExample("Replayed", value={**REFUND_VALUE, "replayed": True}, response_only=True)]
REFUND_PROBLEMS = [
    doc.INVALID_EXAMPLE,
    doc.problem_example("refund_exceeds_purchase", 422, "The refund exceeds what is left of the purchase (1200.00)."),
    doc.problem_example("duplicate_refund", 409, "Refund RF-1 was already recorded with different content."),
    doc.UNKNOWN_PURCHASE,
]
REFUND_REQUEST = [
    OpenApiExample(
        "By lines",
        value={"store": doc.STORE, "receipt_id": "R-1000", "refund_id": "RF-1", "lines": [{"position": 1}]},
        request_only=True,
    ),
    OpenApiExample("By amount", value={"purchase_id": 6, "refund_id": "RF-2", "amount": "300.00"}, request_only=True),
]

# --- Cards -------------------------------------------------------------------------------------------------------

LEDGER_VALUE = {
    "next": f"http://localhost:8000/api/v1/cards/{doc.CARD}/ledger/?cursor=cD0yMDI2LTExLTIy",
    "previous": None,
    "card": doc.CARD_VALUE,
    "results": [
        {
            "id": 901,
            "kind": "accrual",
            "unit": "points",
            "bucket": "cashback",
            "amount": "9.00",
            "balance_after": "201.00",
            "debt_change": "0.00",
            "reason": "Double points on accessories · receipt R-1001",
            "rule": "Double points on accessories",
            "receipt_id": "R-1001",
            "refund_id": None,
            "store": doc.STORE,
            "note": "",
            "expires_at": "2027-11-22T12:30:00Z",
            "created_at": "2026-11-22T12:30:01Z",
        },
        {
            "id": 899,
            "kind": "redemption",
            "unit": "points",
            "bucket": "promo",
            "amount": "-100.00",
            "balance_after": "150.00",
            "debt_change": "0.00",
            "reason": "receipt R-1001",
            "rule": None,
            "receipt_id": "R-1001",
            "refund_id": None,
            "store": doc.STORE,
            "note": "",
            "expires_at": None,
            "created_at": "2026-11-22T12:30:01Z",
        },
    ],
}

LEDGER = [OpenApiExample("Ledger", value=LEDGER_VALUE, response_only=True)]
LEDGER_PROBLEMS = [doc.UNKNOWN_CARD]

CARD_ACTION_PROBLEMS = [
    doc.UNKNOWN_CARD,
    doc.problem_example("card_replaced", 409, "This card was replaced by a new one."),
    doc.problem_example(
        "invalid_input",
        400,
        "The request is not valid.",
        errors={"reason": ["This field is required."]},
    ),
]


def card_after_action(*, status: str) -> list[OpenApiExample]:
    """The answer of a block or unblock: the card, in the status the action leaves it."""
    return [OpenApiExample("Card", value={**doc.CARD_VALUE, "status": status}, response_only=True)]


def card_action_request(*, reason: str) -> list[OpenApiExample]:
    return [OpenApiExample("Reason", value={"reason": reason}, request_only=True)]
