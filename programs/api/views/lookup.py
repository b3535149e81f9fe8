"""``/lookup/``: a member and their cards by card number, phone or scanned code."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from programs import selectors
from programs.api import examples
from programs.api import schema as doc
from programs.api.problems import UnknownMember
from programs.api.serializers import LookupIn
from programs.api.views.base import ApiView


class LookupView(ApiView):
    @extend_schema(
        operation_id="lookup",
        tags=["Members"],
        summary="Find a member and their cards by card number, phone or scanned code",
        description=(
            "Exactly one of the query parameters. The phone may be in any common format (``050 123 45 67``, "
            "``+380501234567``); it is normalised to E.164, numbers without a country code read in the program's "
            "country (or the server's default region when the program has none). "
            "The scanned code is the card number, optionally behind ``KARTKA:`` (what passes and the portal print)."
        ),
        parameters=[
            OpenApiParameter(
                "card_number",
                str,
                description="Card number. Exactly one of card_number, phone and barcode; none or two is a 400.",
                examples=examples.LOOKUP_CARD_NUMBER,
            ),
            OpenApiParameter(
                "phone", str, description="Phone, any common format. Exactly one of card_number, phone and barcode."
            ),
            OpenApiParameter(
                "barcode",
                str,
                description="The payload scanned from the card's QR code or barcode. Exactly one of card_number, "
                "phone and barcode.",
            ),
        ],
        responses={
            200: OpenApiResponse(doc.MemberCardsOut, examples=examples.LOOKUP_FOUND),
            **doc.problems(400, 404, examples=examples.LOOKUP_PROBLEMS, body=False),
        },
        examples=examples.LOOKUP_REQUEST,
    )
    def get(self, request):
        data = self.valid(LookupIn, request.query_params)
        if "phone" in data:
            member = selectors.member_get_by_phone(program=self.program, phone=self.phone_get(data["phone"]))
            if member is None:
                raise UnknownMember(field="phone")
            member.program = self.program
            return Response(self.member_cards(member))
        card = self.card_get(data.get("card_number") or data.get("barcode"))
        return Response(self.member_cards(card.member, matched=card))
