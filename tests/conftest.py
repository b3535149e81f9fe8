from decimal import Decimal

import pytest
from django.db import connection

from programs.factories import (
    CardTypeFactory,
    ProgramFactory,
    RedemptionRuleFactory,
    StoreFactory,
    UserFactory,
)
from programs.services.members import member_create


def D(value) -> Decimal:
    return Decimal(str(value))


@pytest.fixture
def program(db):
    return ProgramFactory(slug="clothes", name="Clothes")


@pytest.fixture
def store(program):
    return StoreFactory(program=program, code="main")


@pytest.fixture
def cashback_type(program):
    card_type = CardTypeFactory(program=program, name="Bonus card", cashback_percent=D(5))
    RedemptionRuleFactory(card_type=card_type, point_value=D(1), max_share_percent=D(50))
    return card_type


@pytest.fixture
def staff(db):
    return UserFactory(username="cashier")


@pytest.fixture
def make_card(program):
    """Enrol a new member with one card of ``card_type``; returns the card."""
    counter = iter(range(100, 10_000))

    def make(card_type, **profile):
        member = member_create(
            program=card_type.program, phone=f"+38050{next(counter):07d}", card_types=[card_type], **profile
        )
        return member.cards.get()

    return make


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks across connections")


@pytest.fixture(autouse=True)
def q_sync():
    """django-q2 tasks run inline, in the test's transaction (what ``Q_SYNC=true`` does, which the settings read
    once at start-up, before pytest-django has set anything up)."""
    from django_q.conf import Conf

    previous, Conf.SYNC = Conf.SYNC, True
    yield
    Conf.SYNC = previous
