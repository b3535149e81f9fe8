"""An import's commit on PostgreSQL outside any transaction of the caller, as the django-q2 worker runs it: chunks
written on connections of their own, two at a time (``bulk.services._ChunkWriters``). The tests of ``test_import``
run inside the test's transaction, where every chunk is written on the test's connection."""

from decimal import Decimal

import pytest
from django.db import connection

from bulk.choices import JobStatus
from bulk.services import bulk_job_commit
from programs.models import Card, Event, LedgerEntry, Lot, Member
from tenancy.actors import Actor
from tests.bulk.support import import_run

# The scenario of test_import whose chunks meet each other's keys, run here too with the chunks apart.
from tests.bulk.test_import import (
    _crash_off,
    _crash_on,
    test_a_chunk_is_judged_as_if_the_chunks_before_it_were_written,  # noqa: F401
)
from tests.programs.invariants import assert_ledger_consistent

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the writers apart are PostgreSQL's"),
]


@pytest.fixture(autouse=True)
def apart(settings):
    settings.KARTKA_BULK_CHUNK = 2
    settings.KARTKA_BULK_WRITERS = 2
    assert not connection.in_atomic_block  # so the import writes apart


@pytest.fixture
def crash():
    """``_crash_on``, with the trigger dropped after the test whatever happens (no transaction rolls it back)."""
    yield _crash_on
    _crash_off()


def _imported(program):
    return Member.objects.filter(program=program, phone__startswith="+38067111000")


def test_chunks_written_apart_are_all_written_once(alpha):
    rows = [{"phone": f"+38067111000{i}", "first_name": f"N{i}", "cashback": "10"} for i in range(1, 10)]
    before = (Card.objects.count(), LedgerEntry.objects.count(), Lot.objects.count(), Event.objects.count())

    job = import_run(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.DONE, job.error
    assert (job.rows_done, job.committed) == (9, {"create": 9})
    imported = _imported(alpha.program)
    assert sorted(imported.values_list("first_name", flat=True)) == [f"N{i}" for i in range(1, 10)]
    after = (Card.objects.count(), LedgerEntry.objects.count(), Lot.objects.count(), Event.objects.count())
    # A card, an opening entry and its lot per member; member.created, card.issued, card.balances_changed events.
    assert [b - a for a, b in zip(before, after, strict=True)] == [9, 9, 9, 27]
    for card in Card.objects.filter(member__in=imported):
        assert card.points_balance == Decimal("10")
        assert_ledger_consistent(card)


def test_a_failed_chunk_takes_the_chunks_in_flight_after_it_back(alpha, crash):
    rows = [{"phone": f"+38067111000{i}", "first_name": f"N{i}", "cashback": "10"} for i in range(1, 10)]
    rows[2]["first_name"] = "Crash"  # row 3: the second chunk; the third was being written beside it
    crash("Crash")

    job = import_run(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.FAILED
    assert job.rows_done == 2
    assert "Stopped after 2 of 9 rows" in job.error
    imported = _imported(alpha.program)
    assert sorted(imported.values_list("first_name", flat=True)) == ["N1", "N2"]

    _crash_off()
    bulk_job_commit(job=job, actor=Actor.staff(alpha.owner))
    job.refresh_from_db()

    assert job.status == JobStatus.DONE
    assert job.committed == {"create": 9}
    assert imported.count() == 9
    for card in Card.objects.filter(member__in=imported):
        assert card.points_balance == Decimal("10")
        assert_ledger_consistent(card)


@pytest.fixture
def slow():
    """A trigger that holds one member's insert for a moment: the chunk writing it stays in flight while the next
    chunks are looked up."""

    def on(name: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE FUNCTION bulk_test_slow() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.first_name = '{name}' THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END $$ "
                "LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER bulk_test_slow BEFORE INSERT ON programs_member FOR EACH ROW "
                "EXECUTE FUNCTION bulk_test_slow()"
            )

    yield on
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS bulk_test_slow ON programs_member")
        cursor.execute("DROP FUNCTION IF EXISTS bulk_test_slow()")


def test_a_chunk_is_judged_after_every_chunk_in_flight_that_names_its_member(alpha, slow):
    anna_card = alpha.member.cards.get().number
    rows = [
        {"phone": "+380501000001", "external_id": "CRM-ANNA"},  # Anna gets the external id she had not
        {"phone": "+380671110001", "first_name": "Slow"},  # holds the first chunk in flight
        {"phone": "+380671110002"},
        {"phone": "+380671110003"},
        # Two chunks later (row 6 of the sheet): Anna's card under another external id, looked up while the first
        # chunk is unwritten.
        {"phone": "+380671110009", "card_number": anna_card, "external_id": "CRM-X"},
        {"phone": "+380671110004"},
    ]
    slow("Slow")

    job = import_run(alpha.program, alpha.owner, rows)

    assert job.status == JobStatus.DONE, job.error
    assert job.committed == {"update": 1, "create": 4, "reject": 1}
    assert dict(job.report) == {6: ["This phone or card belongs to a member with another external id."]}
    alpha.member.refresh_from_db()
    assert alpha.member.external_id == "CRM-ANNA"
