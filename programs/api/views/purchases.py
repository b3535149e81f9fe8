"""``/purchases/``: record a purchase in one call; a recorded purchase with its lines."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from programs.api import examples
from programs.api import representations as rep
from programs.api import schema as doc
from programs.api.idempotency import idempotent
from programs.api.problems import UnknownPurchase
from programs.api.serializers import PurchaseIn
from programs.api.views.base import ApiView, lines_from
from programs.models import Purchase
from programs.services.purchases import purchase_record
from tenancy.actors import Actor


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
            201: OpenApiResponse(doc.PurchaseOut, description="Recorded.", examples=examples.PURCHASE_RECORDED),
            200: OpenApiResponse(
                doc.PurchaseOut,
                description="This receipt was recorded before, with the same content: nothing changed.",
                examples=examples.PURCHASE_REPLAYED,
            ),
            **doc.problems(400, 403, 404, 409, 422, examples=examples.PURCHASE_RECORD_PROBLEMS),
        },
        examples=examples.PURCHASE_REQUEST,
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
            lines=lines_from(data),
            redeem_points=data["redeem_points"],
            redeem_reward=data["redeem_reward"],
            purchased_at=data.get("purchased_at"),
            actor=Actor.api(self.api_key),
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
        description="The purchase of the key's program with this id (404 `unknown_purchase` otherwise), as it was "
        "recorded (total, discount, points paid and earned, stamps) with what has been refunded of it and of each "
        "line, so a till can refund the rest by line ids.",
        parameters=[PURCHASE_ID],
        responses={
            200: OpenApiResponse(doc.PurchaseDetailOut, examples=examples.PURCHASE_DETAIL),
            **doc.problems(404, examples=examples.PURCHASE_GET_PROBLEMS, body=False),
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
