"""``/cards/<number>/``: a card's ledger, newest first; block and unblock."""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from programs import selectors
from programs.api import examples
from programs.api import representations as rep
from programs.api import schema as doc
from programs.api.idempotency import idempotent
from programs.api.serializers import ReasonIn
from programs.api.views.base import ApiView
from programs.services.cards import card_block, card_unblock
from tenancy.actors import Actor


class LedgerPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 200

    def decode_cursor(self, request):
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


class CardLedgerView(ApiView):
    pagination_class = LedgerPagination

    @extend_schema(
        operation_id="card_ledger",
        tags=["Cards"],
        summary="A card's balances and its ledger, newest first",
        description="Cursor pagination: follow ``next`` for older entries. Each entry says why it exists.",
        parameters=[
            doc.CARD_NUMBER,
            OpenApiParameter(
                "cursor",
                str,
                description="Opaque: the ``cursor`` of the ``next`` or ``previous`` link, passed back unchanged. "
                "Any other value is a 400 ``invalid_input``.",
            ),
            OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 200}, description="Default 50."),
        ],
        responses={
            200: OpenApiResponse(doc.LedgerOut, examples=examples.LEDGER),
            **doc.problems(400, 404, examples=examples.LEDGER_PROBLEMS, body=False),
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


def _card_action(service, *, operation_id: str, summary: str, description: str, example_reason: str):
    class CardActionView(ApiView):
        @extend_schema(
            operation_id=operation_id,
            tags=["Cards"],
            summary=summary,
            description=description,
            request=ReasonIn,
            parameters=[doc.CARD_NUMBER, doc.IDEMPOTENCY_KEY],
            responses={
                200: OpenApiResponse(
                    doc.CardOut,
                    examples=examples.card_after_action(status="blocked" if service is card_block else "active"),
                ),
                **doc.problems(400, 404, 409, examples=examples.CARD_ACTION_PROBLEMS),
            },
            examples=examples.card_action_request(reason=example_reason),
        )
        def post(self, request, number: str):
            return idempotent(request, lambda: self.act(request, number))

        def act(self, request, number: str):
            card = self.card_get(number)
            reason = self.valid(ReasonIn, request.data)["reason"]
            card = service(card=card, reason=reason, actor=Actor.api(self.api_key))
            balances = selectors.cards_balances(cards=[card])[card.pk]
            return Response(rep.card_data(card, balances))

    CardActionView.__name__ = CardActionView.__qualname__ = f"Card{operation_id.title().replace('_', '')}View"
    return CardActionView


CardBlockView = _card_action(
    card_block,
    operation_id="card_block",
    summary="Block a card (lost, fraud)",
    description="The card stops working at once: purchases and redemptions on it answer 409 `card_blocked`. Its "
    "balance stays on it; unblock it, or replace it in the admin or the customer's cabinet to move the balance to a "
    "new card. The reason is kept in the card's history.",
    example_reason="Lost card",
)
CardUnblockView = _card_action(
    card_unblock,
    operation_id="card_unblock",
    summary="Unblock a card",
    description="A blocked card works again, with the balance it had. A replaced card can't be unblocked (409 "
    "`card_replaced`): its balance moved to the new card.",
    example_reason="Card found",
)
