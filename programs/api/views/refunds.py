"""``/refunds/``: refund a purchase fully, by lines or by an amount."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from programs.api import examples
from programs.api import representations as rep
from programs.api import schema as doc
from programs.api.idempotency import idempotent
from programs.api.problems import StoreRequired, UnknownPurchase
from programs.api.serializers import RefundIn
from programs.api.views.base import ApiView
from programs.errors import InvalidInput
from programs.models import Purchase
from programs.services.purchases import RefundLineRequest, purchase_refund
from tenancy.actors import Actor


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
            201: OpenApiResponse(doc.RefundOut, description="Refunded.", examples=examples.REFUNDED),
            200: OpenApiResponse(
                doc.RefundOut,
                description="This refund was recorded before, with the same content: nothing changed.",
                examples=examples.REFUND_REPLAYED,
            ),
            **doc.problems(400, 404, 409, 422, examples=examples.REFUND_PROBLEMS),
        },
        examples=examples.REFUND_REQUEST,
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
        refund = purchase_refund(
            purchase=purchase,
            refund_id=data["refund_id"],
            lines=lines,
            amount=data.get("amount"),
            actor=Actor.api(self.api_key),
        )
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
