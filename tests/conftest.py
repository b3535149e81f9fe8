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


@pytest.fixture(autouse=True)
def process_memories_forgotten():
    """Each test starts with the per-process memories that are keyed by row ids empty: on SQLite a rolled-back
    test's ids are given out again, and a program of the next test must not inherit what was known of its
    namesake (a wallet pass, a Google class already written)."""
    from wallet import google, services

    services.programs_with_passes_forget()
    google.class_cache_clear()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium, installed by scripts/setup.sh; Playwright downloads no browser of its own."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: run scripts/setup.sh (or set KARTKA_CHROMIUM)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Serialized rollbacks (how the browser tests get the data migrations' rows back after a flush) that work
    after other transactional tests and once Playwright runs.

    * The outbox's cursors are left out of the snapshot: a flush without serialized rollback runs post_migrate,
      which creates them again (``cursors_ensure``) under new ids, and restoring the old rows would then break
      their unique consumer name. A missing cursor is created on the next dispatch anyway.
    * The snapshot sits on the connection class: once Playwright is running, the test thread may see the
      database through another ``connections["default"]`` (greenlets have their own context), which would not
      carry it.
    """
    import json

    from django.db import connections

    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            rows = [row for row in json.loads(contents) if row["model"] != "programs.eventcursor"]
            connections[alias]._test_serialized_contents = json.dumps(rows)
            type(connections[alias])._test_serialized_contents = connections[alias]._test_serialized_contents
    yield


def pytest_collection_modifyitems(config, items):
    """Every transactional test restores the migrated data after its flush (serialized rollback). Mixed with
    ones that don't, a flush re-runs post_migrate, which re-creates content types under new ids, and the next
    restore then collides with them."""
    wrong = []
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or (
            "transactional_db" in getattr(item, "fixturenames", ())
        )
        serialized = (marker is not None and marker.kwargs.get("serialized_rollback")) or (
            "django_db_serialized_rollback" in getattr(item, "fixturenames", ())
        )
        if transactional and not serialized:
            wrong.append(item.nodeid)
    if wrong:
        raise pytest.UsageError(
            "transactional tests must also use serialized rollback "
            "(django_db(transaction=True, serialized_rollback=True) or the django_db_serialized_rollback fixture): "
            + ", ".join(wrong[:5])
        )
