"""The base of the API views: key authentication, per-key throttling, exact-decimal JSON, problem errors, and
the lookups of rows in the key's program that every resource shares."""

from functools import cache

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from phonenumber_field.phonenumber import PhoneNumber
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from programs import selectors
from programs.api import representations as rep
from programs.api import sql
from programs.api.authentication import ApiKeyAuthentication, HasApiKey
from programs.api.parsers import DecimalJSONParser
from programs.api.problems import (
    CurrencyMismatch,
    StoreInactive,
    StoreNotAllowed,
    StoreRequired,
    UnknownCard,
    UnknownMember,
    UnknownStore,
    exception_handler,
)
from programs.api.throttling import ApiKeyRateThrottle
from programs.barcodes import card_number_from_payload
from programs.choices import CardStatus, RewardStatus
from programs.errors import InvalidInput
from programs.models import ApiKey, Card, Member, Program, Purchase, StampReward, Store
from programs.phones import phone_parse
from programs.pricing import Line

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

    def finalize_response(self, request, response, *args, **kwargs):
        """Every answer names a member, a card or money: no browser, proxy or CDN may keep it."""
        response = super().finalize_response(request, response, *args, **kwargs)
        response.headers["Cache-Control"] = "no-store"
        return response

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

    def phone_get(self, raw: str) -> PhoneNumber:
        """``raw`` read in the program's country (``programs.phones``); ``InvalidInput`` on ``phone`` otherwise."""
        number = phone_parse(raw, program=self.program)
        if number is None:
            raise InvalidInput(field_errors={"phone": [_("Enter a valid phone number.")]})
        return number

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
        progress = selectors.member_tier_progress(member=member)
        return {
            "member": rep.member_data(member, tier=member.tier),
            "tier_progress": rep.tier_progress_data(progress, currency=member.program.currency),
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
        progress = None
        if rules.tiers:
            member = card.member
            member.program, member.tier = program, tier
            progress = rep.tier_progress_data(
                selectors.member_tier_progress(member=member, tiers=rules.tiers), currency=program.currency
            )
        return rep.purchase_data(
            purchase,
            tier_progress=progress,
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


def lines_from(data: dict) -> list[Line] | None:
    if not data.get("lines"):
        return None
    return [
        Line(amount=line["amount"], quantity=line["quantity"], sku=line["sku"], category=line["category"])
        for line in data["lines"]
    ]
