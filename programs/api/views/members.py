"""``/members/``: enrolment at the till, a member with their cards, profile updates."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from programs.api import examples
from programs.api import schema as doc
from programs.api.idempotency import idempotent
from programs.api.serializers import MemberIn, ProfileIn
from programs.api.views.base import ApiView
from programs.errors import InvalidInput
from programs.models import CardType, Member
from programs.services.members import member_create, member_update
from tenancy.actors import Actor


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
            201: OpenApiResponse(doc.MemberCardsOut, examples=examples.MEMBER_ENROLLED),
            **doc.problems(400, 409, examples=examples.MEMBER_ENROL_PROBLEMS),
        },
        examples=examples.MEMBER_ENROL_REQUEST,
    )
    def post(self, request):
        return idempotent(request, lambda: self.enrol(request))

    def enrol(self, request):
        data = dict(self.valid(MemberIn, request.data))
        phone = self.phone_get(data.pop("phone"))
        card_type_ids = data.pop("card_types", None)
        card_types = None
        if card_type_ids is not None:
            card_types = list(CardType.objects.filter(program_id=self.program.pk, pk__in=card_type_ids))
            if len(card_types) != len(set(card_type_ids)):
                raise InvalidInput(_("Unknown card type."), field="card_types")
        member = member_create(
            program=self.program, phone=phone, card_types=card_types, actor=Actor.api(self.api_key), **data
        )
        member = Member.objects.select_related("tier").get(pk=member.pk)
        return Response(self.member_cards(member), status=201)


MEMBER_ID = OpenApiParameter("member_id", doc.ID_SCHEMA, OpenApiParameter.PATH, description="Member id.")


class MemberView(ApiView):
    @extend_schema(
        operation_id="member_get",
        tags=["Members"],
        summary="A member with their cards and balances",
        description="The member of the key's program with this id (404 `unknown_member` for any other id), their "
        "profile and consents, and each card with its status and balances: cashback and promo points, stamps.",
        parameters=[MEMBER_ID],
        responses={
            200: OpenApiResponse(doc.MemberCardsOut, examples=examples.MEMBER_FOUND),
            **doc.problems(404, examples=examples.MEMBER_GET_PROBLEMS, body=False),
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
            200: OpenApiResponse(doc.MemberCardsOut, examples=examples.MEMBER_UPDATED),
            **doc.problems(400, 404, examples=examples.MEMBER_UPDATE_PROBLEMS),
        },
        examples=examples.MEMBER_UPDATE_REQUEST,
    )
    def patch(self, request, member_id: int):
        return idempotent(request, lambda: self.update(request, member_id))

    def update(self, request, member_id: int):
        member = self.member_get(member_id)
        changes = self.valid(ProfileIn, request.data)
        member_update(member=member, actor=Actor.api(self.api_key), **changes)
        return Response(self.member_cards(self.member_get(member_id)))
