import os
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

# Playwright's sync API keeps an event loop running in the test thread from the first browser test of a worker to
# its end, and Django refuses ORM calls from a thread with a running loop. Kartka has no async code of its own, so
# the check only gets in the way of the browser tests (and of every test a worker runs after one).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("KARTKA_CHROMIUM", "/usr/bin/chromium")


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


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, installed by scripts/setup.sh; Playwright downloads no browser of its own."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/setup.sh (or set KARTKA_CHROMIUM)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Serialized rollbacks (what the browser tests use to get the data migrations' rows back after a flush) for
    every connection object, not only the one that created the test database: once Playwright is running, the
    test thread may see the database through another ``connections["default"]`` (greenlets have their own
    context), which would not carry the serialized contents."""
    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            type(connections[alias])._test_serialized_contents = contents
            _restore_onto_an_empty_database(type(connections[alias].creation))
    yield


def _restore_onto_an_empty_database(creation_class) -> None:
    """Serialized contents are restored onto an emptied database, whatever ran before.

    A transactional test without serialized rollback (``transactional_db``, even one then skipped as
    PostgreSQL-only) flushes with ``post_migrate``, whose receivers write rows again (the outbox cursors) under new
    ids; restoring the serialized rows on top of them broke UNIQUE(consumer) in the next browser test.
    """
    from django.core.management import call_command

    original = creation_class.deserialize_db_from_string
    if getattr(original, "empties_first", False):
        return

    def deserialize_db_from_string(self, data):
        call_command("flush", verbosity=0, interactive=False, database=self.connection.alias, inhibit_post_migrate=True)
        return original(self, data)

    deserialize_db_from_string.empties_first = True
    creation_class.deserialize_db_from_string = deserialize_db_from_string
