"""``/quote/``: what a purchase would get, without recording anything."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response

from programs.api import examples
from programs.api import representations as rep
from programs.api import schema as doc
from programs.api.serializers import QuoteIn
from programs.api.views.base import ApiView, lines_from
from programs.services.purchases import purchase_quote


class QuoteView(ApiView):
    @extend_schema(
        operation_id="quote",
        tags=["Purchases"],
        summary="What a purchase would get, without recording anything",
        description="Discount, the most points the check can be paid with, points and stamps to earn. Raises the "
        "same errors recording the purchase would. Nothing is written.",
        request=QuoteIn,
        responses={
            200: OpenApiResponse(doc.QuoteOut, examples=examples.QUOTE),
            **doc.problems(400, 404, 409, 422, examples=examples.QUOTE_PROBLEMS),
        },
        examples=examples.QUOTE_REQUEST,
    )
    def post(self, request):
        data = self.valid(QuoteIn, request.data)
        self.currency_check(data)
        card = self.card_get(data["card_number"])
        quote = purchase_quote(
            card=card,
            total=data.get("total"),
            lines=lines_from(data),
            redeem_points=data["redeem_points"],
            redeem_reward=data["redeem_reward"],
            at=data.get("purchased_at"),
        )
        return Response(rep.quote_data(quote, card=card, currency=self.program.currency))
