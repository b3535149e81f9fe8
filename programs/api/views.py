"""The POS/CRM API views: validate input, find rows in the key's program, call one service, answer a dict.

Tenancy: every row is looked up with the key's program in the query, so another program's card, member, purchase
or store is a 404 exactly like a missing one. Writes go through ``programs.services`` only and accept an
``Idempotency-Key`` (``programs.api.idempotency``). Errors are problems (``programs.api.problems``).
"""

from functools import cache

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from programs import selectors
from programs.api import representations as rep
from programs.api import schema as doc
from programs.api import sql
from programs.api.authentication import ApiKeyAuthentication, HasApiKey
from programs.api.idempotency import idempotent
from programs.api.parsers import DecimalJSONParser
from programs.api.problems import (
    CurrencyMismatch,
    StoreInactive,
    StoreNotAllowed,
    StoreRequired,
    UnknownCard,
    UnknownMember,
    UnknownPurchase,
    UnknownStore,
    exception_handler,
)
from programs.api.serializers import (
    LookupIn,
    MemberIn,
    ProfileIn,
    PurchaseIn,
    QuoteIn,
    ReasonIn,
    RefundIn,
)
from programs.api.throttling import ApiKeyRateThrottle
from programs.barcodes import card_number_from_payload
from programs.choices import CardStatus, RewardStatus
from programs.errors import InvalidInput
from programs.models import ApiKey, Card, CardType, Member, Program, Purchase, StampReward, Store
from programs.pricing import Line
from programs.services.cards import card_block, card_unblock
from programs.services.members import member_create, member_update
from programs.services.purchases import RefundLineRequest, purchase_quote, purchase_record, purchase_refund

MAX_CARD_NUMBER = 32


class ApiView(APIView):
    """Base of the API views: key authentication, per-key throttling, exact-decimal JSON, problem errors."""

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKey]
    parser_classes = [DecimalJSONParser]
    renderer_classes = [JSONRenderer]
    throttle_classes = [ApiKeyRateThrottle]

    def get_exception_handler(self):
        return exception_handler

    def permission_denied(self, request, message=None, code=None):
        if not isinstance(request.auth, ApiKey):
            raise NotAuthenticated(HasApiKey.message)
        super().permission_denied(request, message=message, code=code)

    @property
    def api_key(self) -> ApiKey:
        return self.request.auth

    @property
    def program(self):
        return self.request.auth.program

    def valid(self, serializer_class, data) -> dict:
        """``data`` validated by ``serializer_class``; raises its ``ValidationError`` (a 400 problem)."""
        return _validator(serializer_class).run_validation(data)

    # Rows of the key's program, and nothing else.

    def card_get(self, number: str) -> Card:
        """The card of the key's program with this number (or scanned payload); ``UnknownCard`` otherwise."""
        number = card_number_from_payload(number)
        if not number or len(number) > MAX_CARD_NUMBER or not number.isprintable():
            raise UnknownCard()
        card = selectors.card_get_by_number(program=self.program, number=number)
        if card is None:
            raise UnknownCard()
        card.program = self.program  # the key's row: no second read of the program
        card.member.program = self.program
        return card

    def card_ref_get(self, number: str) -> Card:
        """The card of the key's program with this number (or scanned payload) as a bare reference (id and
        program), for a service that locks and reads the card itself; ``UnknownCard`` otherwise."""
        number = card_number_from_payload(number)
        if not number or len(number) > MAX_CARD_NUMBER or not number.isprintable():
            raise UnknownCard()
        card_id = sql.card_id_get(program_id=self.program.pk, number=number)
        if card_id is None:
            raise UnknownCard()
        return Card(pk=card_id, program_id=self.program.pk)

    def member_get(self, member_id: int) -> Member:
        member = Member.objects.filter(pk=member_id, program_id=self.program.pk).select_related("tier").first()
        if member is None:
            raise UnknownMember()
        member.program = self.program
        return member

    def store_for_purchase(self, code: str | None) -> Store:
        """A store key records in its own store; a program key must name one of the program's stores."""
        own = self.api_key.store
        if own is not None:
            if code is not None and code != own.code:
                raise StoreNotAllowed(field="store")
            store = own
        elif code is None:
            raise StoreRequired(field="store")
        else:
            store = self.store_get(code)
        if not store.is_active:
            raise StoreInactive(field="store")
        return store

    def store_get(self, code: str) -> Store:
        store = Store.objects.filter(program_id=self.program.pk, code=code).first()
        if store is None:
            raise UnknownStore(field="store")
        return store

    def currency_check(self, data: dict) -> None:
        given = data.get("currency")
        if given is not None and given.upper() != self.program.currency:
            raise CurrencyMismatch(field="currency", expected=self.program.currency, given=given)

    # Shared answers.

    def member_cards(self, member: Member, *, matched: Card | None = None) -> dict:
        """The member with their live cards (and the matched card, even if replaced), balances split by bucket."""
        cards = list(
            member.cards.exclude(status=CardStatus.REPLACED).select_related("card_type").order_by("issued_at", "pk")
        )
        if matched is not None and all(card.pk != matched.pk for card in cards):
            cards.append(matched)
        balances = selectors.cards_balances(cards=cards)
        return {
            "member": rep.member_data(member, tier=member.tier),
            "cards": [rep.card_data(card, balances[card.pk]) for card in cards],
            "card": matched.number if matched is not None else None,
        }

    def purchase_answer(
        self, purchase: Purchase, *, card: Card, store: Store, replayed: bool, program: Program | None = None
    ) -> dict:
        """The answer about a purchase; ``program`` is the card's program row if the caller has a fresh one."""
        program = program or self.program
        rewards = {"issued": 0, "redeemed": 0, "available": 0}
        if card.card_type.earns_stamps:
            rewards = StampReward.objects.filter(card_id=card.pk).aggregate(
                issued=Count("pk", filter=Q(issued_by_purchase=purchase)),
                redeemed=Count("pk", filter=Q(redeemed_by_purchase=purchase)),
                available=Count("pk", filter=Q(status=RewardStatus.AVAILABLE)),
            )
        rules = selectors.rules_for_card_type(card_type=card.card_type, program=program)
        tier = next((tier for tier in rules.tiers if tier.pk == card.member.tier_id), None)
        return rep.purchase_data(
            purchase,
            card=card,
            store=store,
            currency=program.currency,
            tier=tier,
            rewards=rewards,
            replayed=replayed,
        )


@cache
def _validator(serializer_class) -> serializers.Serializer:
    """One bound instance per input serializer, reused by every request of the process.

    Instantiating a DRF serializer deep-copies and binds its declared fields (about a millisecond for a purchase
    with its nested lines, four times what validating takes). ``run_validation`` keeps no state on the instance,
    so one instance validates any number of requests, in any thread, with the same results and errors.
    """
    return serializer_class()


def _lines(data: dict) -> list[Line] | None:
    if not data.get("lines"):
        return None
    return [
        Line(amount=line["amount"], quantity=line["quantity"], sku=line["sku"], category=line["category"])
        for line in data["lines"]
    ]


# --- Lookup and members ------------------------------------------------------------------------------------------


class LookupView(ApiView):
    @extend_schema(
        operation_id="lookup",
        tags=["Members"],
        summary="Find a member and their cards by card number, phone or scanned code",
        description=(
            "Exactly one of the query parameters. The phone may be in any common format (``050 123 45 67``, "
            "``+380501234567``); it is normalised to E.164, numbers without a country code in the server's region. "
            "The scanned code is the card number, optionally behind ``KARTKA:`` (what passes and the portal print)."
        ),
        parameters=[
            OpenApiParameter(
                "card_number", str, description="Card number.", examples=[OpenApiExample("Card", value=doc.CARD)]
            ),
            OpenApiParameter("phone", str, description="Phone, any common format."),
            OpenApiParameter("barcode", str, description="The payload scanned from the card's QR code or barcode."),
        ],
        responses={
            200: OpenApiResponse(
                doc.MemberCardsOut,
                examples=[OpenApiExample("Found by card", value=doc.MEMBER_CARDS, response_only=True)],
            ),
            **doc.problems(
                400,
                404,
                examples=[
                    doc.UNKNOWN_CARD,
                    doc.INVALID_PHONE,
                ],
                body=False,
            ),
        },
        examples=[OpenApiExample("By card", value={"card_number": doc.CARD}, request_only=True)],
    )
    def get(self, request):
        data = self.valid(LookupIn, request.query_params)
        if "phone" in data:
            member = selectors.member_get_by_phone(program=self.program, phone=data["phone"])
            if member is None:
                raise UnknownMember(field="phone")
            member.program = self.program
            return Response(self.member_cards(member))
        card = self.card_get(data.get("card_number") or data.get("barcode"))
        return Response(self.member_cards(card.member, matched=card))


ENROL_REQUEST = {
    "phone": "067 555 12 34",
    "first_name": "Olena",
    "last_name": "Kovalenko",
    "email": "olena@example.com",
    "birth_date": "1990-05-17",
    "consent_email": True,
}


ENROLLED = {**doc.MEMBER_CARDS, "member": {**doc.MEMBER, "phone": "+380675551234"}, "card": None}


class MemberListView(ApiView):
    @extend_schema(
        operation_id="members_enrol",
        tags=["Members"],
        summary="Enrol a member at the till and issue their card(s)",
        description="Issues a card of each given card type (default: every active card type of the program), "
        "with the joining bonus. A phone already enrolled answers 409 ``member_exists``.",
        request=MemberIn,
        parameters=[doc.IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(
                doc.MemberCardsOut,
                examples=[OpenApiExample("Enrolled", value=ENROLLED, response_only=True)],
            ),
            **doc.problems(
                400,
                409,
                examples=[
                    doc.problem_example(
                        "member_exists", 409, "A member with this phone already exists in the program."
                    ),
                    doc.INVALID_PHONE,
                ],
            ),
        },
        examples=[OpenApiExample("Enrol", value=ENROL_REQUEST, request_only=True)],
    )
    def post(self, request):
        return idempotent(request, lambda: self.enrol(request))

    def enrol(self, request):
        data = dict(self.valid(MemberIn, request.data))
        phone = data.pop("phone")
        card_type_ids = data.pop("card_types", None)
        card_types = None
        if card_type_ids is not None:
            card_types = list(CardType.objects.filter(program_id=self.program.pk, pk__in=card_type_ids))
            if len(card_types) != len(set(card_type_ids)):
                raise InvalidInput(_("Unknown card type."), field="card_types")
        member = member_create(
            program=self.program, phone=phone, card_types=card_types, actor=None, api_key=self.api_key, **data
        )
        member = Member.objects.select_related("tier").get(pk=member.pk)
        return Response(self.member_cards(member), status=201)


MEMBER_ID = OpenApiParameter("member_id", doc.ID_SCHEMA, OpenApiParameter.PATH, description="Member id.")


class MemberView(ApiView):
    @extend_schema(
        operation_id="member_get",
        tags=["Members"],
        summary="A member with their cards and balances",
        parameters=[MEMBER_ID],
        responses={
            200: OpenApiResponse(
                doc.MemberCardsOut,
                examples=[OpenApiExample("Member", value={**doc.MEMBER_CARDS, "card": None}, response_only=True)],
            ),
            **doc.problems(
                404,
                examples=[doc.UNKNOWN_MEMBER],
                body=False,
            ),
        },
    )
    def get(self, request, member_id: int):
        return Response(self.member_cards(self.member_get(member_id)))

    @extend_schema(
        operation_id="member_update",
        tags=["Members"],
        summary="Update a member's profile and consents",
        description="Only the fields sent change. Completing the profile for the first time grants the program's "
        "profile bonus, once.",
        request=ProfileIn,
        parameters=[MEMBER_ID, doc.IDEMPOTENCY_KEY],
        responses={
            200: OpenApiResponse(
                doc.MemberCardsOut,
                examples=[OpenApiExample("Updated", value={**doc.MEMBER_CARDS, "card": None}, response_only=True)],
            ),
            **doc.problems(
                400,
                404,
                examples=[
                    doc.UNKNOWN_MEMBER,
                    doc.INVALID_EMAIL,
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "New e-mail and consent", value={"email": "olena@example.com", "consent_sms": True}, request_only=True
            )
        ],
    )
    def patch(self, request, member_id: int):
        return idempotent(request, lambda: self.update(request, member_id))

    def update(self, request, member_id: int):
        member = self.member_get(member_id)
        changes = self.valid(ProfileIn, request.data)
        member_update(member=member, actor=None, api_key=self.api_key, **changes)
        return Response(self.member_cards(self.member_get(member_id)))


# --- Quote, purchases, refunds ---------------------------------------------------------------------------------

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


class QuoteView(ApiView):
    @extend_schema(
        operation_id="quote",
        tags=["Purchases"],
        summary="What a purchase would get, without recording anything",
        description="Discount, the most points the check can be paid with, points and stamps to earn. Raises the "
        "same errors recording the purchase would. Nothing is written.",
        request=QuoteIn,
        responses={
            200: OpenApiResponse(
                doc.QuoteOut, examples=[OpenApiExample("Quote", value=QUOTE_VALUE, response_only=True)]
            ),
            **doc.problems(400, 404, 409, 422, examples=[doc.INVALID_EXAMPLE, *REDEMPTION_PROBLEMS]),
        },
        examples=[
            OpenApiExample(
                "Quote with points",
                value={key: value for key, value in doc.PURCHASE_REQUEST.items() if key not in ("store", "receipt_id")},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = self.valid(QuoteIn, request.data)
        self.currency_check(data)
        card = self.card_get(data["card_number"])
        quote = purchase_quote(
            card=card,
            total=data.get("total"),
            lines=_lines(data),
            redeem_points=data["redeem_points"],
            redeem_reward=data["redeem_reward"],
            at=data.get("purchased_at"),
        )
        return Response(rep.quote_data(quote, card=card, currency=self.program.currency))


class PurchaseListView(ApiView):
    @extend_schema(
        operation_id="purchases_record",
        tags=["Purchases"],
        summary="Record a purchase: discount, points paid, points and stamps earned, in one call",
        description=(
            "The receipt id is unique per store: sending the same receipt again answers **200** with the purchase "
            "as first recorded (``replayed``: true) and changes nothing; the same receipt id with other content "
            "answers 409 ``duplicate_receipt``. A first recording answers **201**. A store key records in its own "
            "store; a program key names the store by its code."
        ),
        request=PurchaseIn,
        parameters=[doc.IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(
                doc.PurchaseOut,
                description="Recorded.",
                examples=[
                    OpenApiExample("Recorded", value=doc.PURCHASE_VALUE, response_only=True, status_codes=["201"])
                ],
            ),
            200: OpenApiResponse(
                doc.PurchaseOut,
                description="This receipt was recorded before, with the same content: nothing changed.",
                examples=[
                    OpenApiExample(
                        "Replayed receipt", value={**doc.PURCHASE_VALUE, "replayed": True}, response_only=True
                    )
                ],
            ),
            **doc.problems(
                400,
                403,
                404,
                409,
                422,
                examples=[
                    doc.INVALID_EXAMPLE,
                    *REDEMPTION_PROBLEMS,
                    doc.problem_example(
                        "store_not_allowed",
                        403,
                        "This key records purchases in its own store only.",
                        name="Other store",
                    ),
                ],
            ),
        },
        examples=[OpenApiExample("Purchase paying 100 points", value=doc.PURCHASE_REQUEST, request_only=True)],
    )
    def post(self, request):
        return idempotent(request, lambda: self.record(request))

    def record(self, request):
        data = self.valid(PurchaseIn, request.data)
        self.currency_check(data)
        store = self.store_for_purchase(data.get("store"))
        card = self.card_ref_get(data["card_number"])  # purchase_record locks and reads the card itself
        result = purchase_record(
            card=card,
            store=store,
            receipt_id=data["receipt_id"],
            total=data.get("total"),
            lines=_lines(data),
            redeem_points=data["redeem_points"],
            redeem_reward=data["redeem_reward"],
            purchased_at=data.get("purchased_at"),
        )
        program = result.card.program  # read with the card's lock: fresher than the key's
        result.card.member.program = program
        body = self.purchase_answer(
            result.purchase, card=result.card, store=store, replayed=result.replayed, program=program
        )
        return Response(body, status=200 if result.replayed else 201)


PURCHASE_ID = OpenApiParameter("purchase_id", doc.ID_SCHEMA, OpenApiParameter.PATH, description="Purchase id.")


class PurchaseView(ApiView):
    @extend_schema(
        operation_id="purchase_get",
        tags=["Purchases"],
        summary="A recorded purchase with its lines (line ids and what is refunded of each)",
        parameters=[PURCHASE_ID],
        responses={
            200: OpenApiResponse(
                doc.PurchaseDetailOut,
                examples=[
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
                ],
            ),
            **doc.problems(404, examples=[doc.UNKNOWN_PURCHASE], body=False),
        },
    )
    def get(self, request, purchase_id: int):
        purchase = (
            Purchase.objects.filter(pk=purchase_id, program_id=self.program.pk)
            .select_related("store", "card", "card__card_type", "card__member")
            .first()
        )
        if purchase is None:
            raise UnknownPurchase()
        body = self.purchase_answer(purchase, card=purchase.card, store=purchase.store, replayed=False)
        body["lines"] = [rep.purchase_line_data(line) for line in purchase.lines.all()]
        return Response(body)


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
    "balances": {"points": "210.80", "stamps": "0.00", "points_debt": "0.00"},
    "replayed": False,
}


class RefundListView(ApiView):
    @extend_schema(
        operation_id="refunds_create",
        tags=["Purchases"],
        summary="Refund a purchase fully, by lines or by an amount",
        description=(
            "Name the purchase by ``purchase_id`` or by ``receipt_id`` (with ``store``; a store key's own store "
            "by default). Without ``lines`` and ``amount`` the whole rest of the purchase is refunded. The refund "
            "takes back the share of points the refunded part earned and gives back the share of points it was "
            "paid with, to their original lots; refunding everything in parts restores exactly. ``refund_id`` is "
            "unique per purchase: a repeat answers **200** (``replayed``), a first refund **201**."
        ),
        request=RefundIn,
        parameters=[doc.IDEMPOTENCY_KEY],
        responses={
            201: OpenApiResponse(
                doc.RefundOut,
                description="Refunded.",
                examples=[OpenApiExample("Refunded", value=REFUND_VALUE, response_only=True, status_codes=["201"])],
            ),
            200: OpenApiResponse(
                doc.RefundOut,
                description="This refund was recorded before, with the same content: nothing changed.",
                examples=[OpenApiExample("Replayed", value={**REFUND_VALUE, "replayed": True}, response_only=True)],
            ),
            **doc.problems(
                400,
                404,
                409,
                422,
                examples=[
                    doc.INVALID_EXAMPLE,
                    doc.problem_example(
                        "refund_exceeds_purchase", 422, "The refund exceeds what is left of the purchase (1200.00)."
                    ),
                    doc.problem_example(
                        "duplicate_refund", 409, "Refund RF-1 was already recorded with different content."
                    ),
                    doc.UNKNOWN_PURCHASE,
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "By lines",
                value={"store": doc.STORE, "receipt_id": "R-1000", "refund_id": "RF-1", "lines": [{"position": 1}]},
                request_only=True,
            ),
            OpenApiExample(
                "By amount", value={"purchase_id": 6, "refund_id": "RF-2", "amount": "300.00"}, request_only=True
            ),
        ],
    )
    def post(self, request):
        return idempotent(request, lambda: self.refund(request))

    def refund(self, request):
        data = self.valid(RefundIn, request.data)
        purchases = Purchase.objects.filter(program_id=self.program.pk)
        if "purchase_id" in data:
            purchase = purchases.filter(pk=data["purchase_id"]).first()
        else:
            code = data.get("store")
            if code is None and self.api_key.store is None:
                raise StoreRequired(field="store")
            store = self.api_key.store if code is None else self.store_get(code)
            purchase = purchases.filter(store=store, receipt_id=data["receipt_id"].strip()).first()
        if purchase is None:
            raise UnknownPurchase()
        lines = None
        if data.get("lines"):
            lines = self.refund_lines(purchase, data["lines"])
        refund = purchase_refund(purchase=purchase, refund_id=data["refund_id"], lines=lines, amount=data.get("amount"))
        purchase = Purchase.objects.select_related("store", "card").get(pk=purchase.pk)
        body = rep.refund_data(refund, purchase=purchase, card=purchase.card, replayed=refund.replayed)
        return Response(body, status=200 if refund.replayed else 201)

    def refund_lines(self, purchase: Purchase, requested: list[dict]) -> list[RefundLineRequest]:
        lines = list(purchase.lines.all())
        by_id = {line.pk: line for line in lines}
        by_position = {line.position: line for line in lines}
        result = []
        for index, item in enumerate(requested):
            line = by_id.get(item["line_id"]) if "line_id" in item else by_position.get(item["position"])
            if line is None:
                raise InvalidInput(_("This line is not on the receipt."), field=f"lines.{index}")
            quantity = item.get("quantity")
            if quantity is None:
                quantity = line.quantity - line.refunded_quantity
                if quantity <= 0:
                    raise InvalidInput(_("This line is refunded already."), field=f"lines.{index}")
            result.append(RefundLineRequest(line_id=line.pk, quantity=quantity))
        return result


# --- Cards -------------------------------------------------------------------------------------------------------


class LedgerPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request):
        from django.utils.dateparse import parse_datetime

        try:
            cursor = super().decode_cursor(request)
        except Exception as error:  # DRF answers NotFound; a bad cursor is bad input
            raise serializers.ValidationError({"cursor": [_("Invalid cursor.")]}) from error
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(cursor.position) is not None
            except ValueError:
                valid = False
            if not valid:
                raise serializers.ValidationError({"cursor": [_("Invalid cursor.")]})
        return cursor

    def get_page_size(self, request):
        if self.page_size_query_param in request.query_params:
            try:
                size = int(request.query_params[self.page_size_query_param])
            except ValueError:
                size = 0
            if not 1 <= size <= self.max_page_size:
                raise serializers.ValidationError({"limit": [_("Between 1 and 200.")]})
            return size
        return self.page_size


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


class CardLedgerView(ApiView):
    pagination_class = LedgerPagination

    @extend_schema(
        operation_id="card_ledger",
        tags=["Cards"],
        summary="A card's balances and its ledger, newest first",
        description="Cursor pagination: follow ``next`` for older entries. Each entry says why it exists.",
        parameters=[
            doc.CARD_NUMBER,
            OpenApiParameter("cursor", str, description="From ``next`` or ``previous``."),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 200}, description="Default 50."),
        ],
        responses={
            200: OpenApiResponse(
                doc.LedgerOut, examples=[OpenApiExample("Ledger", value=LEDGER_VALUE, response_only=True)]
            ),
            **doc.problems(
                400,
                404,
                examples=[doc.UNKNOWN_CARD],
                body=False,
            ),
        },
    )
    def get(self, request, number: str):
        card = self.card_get(number)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.ledger_list(card=card), request, view=self)
        balances = selectors.cards_balances(cards=[card])[card.pk]
        return Response(
            {
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "card": rep.card_data(card, balances),
                "results": [rep.entry_data(entry) for entry in page],
            }
        )


def _card_action(service, *, operation_id: str, summary: str, example_reason: str):
    class CardActionView(ApiView):
        @extend_schema(
            operation_id=operation_id,
            tags=["Cards"],
            summary=summary,
            request=ReasonIn,
            parameters=[doc.CARD_NUMBER, doc.IDEMPOTENCY_KEY],
            responses={
                200: OpenApiResponse(
                    doc.CardOut,
                    examples=[
                        OpenApiExample(
                            "Card",
                            value={**doc.CARD_VALUE, "status": "blocked" if service is card_block else "active"},
                            response_only=True,
                        )
                    ],
                ),
                **doc.problems(
                    400,
                    404,
                    409,
                    examples=[
                        doc.UNKNOWN_CARD,
                        doc.problem_example("card_replaced", 409, "This card was replaced by a new one."),
                        doc.problem_example(
                            "invalid_input",
                            400,
                            "The request is not valid.",
                            errors={"reason": ["This field is required."]},
                        ),
                    ],
                ),
            },
            examples=[OpenApiExample("Reason", value={"reason": example_reason}, request_only=True)],
        )
        def post(self, request, number: str):
            return idempotent(request, lambda: self.act(request, number))

        def act(self, request, number: str):
            card = self.card_get(number)
            reason = self.valid(ReasonIn, request.data)["reason"]
            card = service(card=card, reason=reason, actor=None, api_key=self.api_key)
            balances = selectors.cards_balances(cards=[card])[card.pk]
            return Response(rep.card_data(card, balances))

    CardActionView.__name__ = CardActionView.__qualname__ = f"Card{operation_id.title().replace('_', '')}View"
    return CardActionView


CardBlockView = _card_action(
    card_block, operation_id="card_block", summary="Block a card (lost, fraud)", example_reason="Lost card"
)
CardUnblockView = _card_action(
    card_unblock, operation_id="card_unblock", summary="Unblock a card", example_reason="Card found"
)

__all__ = [
    "CardBlockView",
    "CardLedgerView",
    "CardUnblockView",
    "LookupView",
    "MemberListView",
    "MemberView",
    "PurchaseListView",
    "PurchaseView",
    "QuoteView",
    "RefundListView",
]
