"""factory_boy factories for the engine's configuration rows. Members and cards are made through the
services (``member_create``/``card_issue``) so tests and the demo see real balances and bonuses."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from programs.choices import Bucket, CardKind, RuleKind, StampBasis
from programs.models import (
    Business,
    CardType,
    DiscountThreshold,
    EarningRule,
    Program,
    RedemptionRule,
    Store,
    Tier,
)
from tenancy.services import business_workspace_ensure


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("kartka-pass-1")


class BusinessFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Business
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Business {n}")
    slug = factory.Sequence(lambda n: f"business-{n}")

    # Like business_create: every business has its own collection and staff group.
    workspace = factory.PostGeneration(
        lambda business, create, extracted, **kwargs: business_workspace_ensure(business=business) if create else None
    )

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.refresh_from_db()


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program
        django_get_or_create = ("slug",)

    business = factory.SubFactory(BusinessFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    currency = "UAH"
    timezone = "Europe/Kyiv"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Store {n}")
    code = factory.Sequence(lambda n: f"store-{n}")


class CardTypeFactory(factory.django.DjangoModelFactory):
    """A cashback card (5 %) by default; use the traits for the other kinds."""

    class Meta:
        model = CardType

    program = factory.SubFactory(ProgramFactory)
    kind = CardKind.CASHBACK
    name = factory.Sequence(lambda n: f"Card {n}")
    cashback_percent = Decimal("5")

    class Params:
        discount = factory.Trait(kind=CardKind.DISCOUNT, discount_percent=Decimal("10"), cashback_percent=0)
        accumulative = factory.Trait(kind=CardKind.ACCUMULATIVE, cashback_percent=0)
        stamps = factory.Trait(
            kind=CardKind.STAMPS,
            cashback_percent=0,
            stamp_goal=9,
            stamp_basis=StampBasis.ITEM,
            reward_description="A free coffee",
        )


class DiscountThresholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountThreshold

    card_type = factory.SubFactory(CardTypeFactory, accumulative=True)
    min_spend = Decimal("0")
    percent = Decimal("5")


class RedemptionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RedemptionRule

    card_type = factory.SubFactory(CardTypeFactory)
    point_value = Decimal("1")
    max_share_percent = Decimal("50")
    min_check = Decimal("0")


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Tier {n}")
    threshold = Decimal("0")


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = RuleKind.MULTIPLIER
    multiplier = Decimal("2")
    bucket = Bucket.CASHBACK
