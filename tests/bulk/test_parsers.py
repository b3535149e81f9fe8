"""A big file's rows parsed in forked worker processes (``bulk.parsers``): the same rows, reasons and kept rows as
parsed in the job's own process, in the job's language, and no worker left behind however the walk ends."""

import multiprocessing
import pickle
from datetime import timedelta

import pytest
from django.utils import translation

from bulk import files
from bulk.choices import JobStatus
from bulk.importing import ProgramContext, chunks, row_pack
from bulk.parsers import fork_allowed, rows_parsed
from bulk.services import bulk_job_commit
from programs import clock
from programs.models import Member, Program
from tenancy.actors import Actor
from tests.bulk.support import import_checked

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not fork_allowed(), reason="parse workers are forked"),
]


def mixed_rows() -> list[dict]:
    """Thirty rows, one in three with a reason to reject it, spread over several chunks."""
    expires = (clock.now() + timedelta(days=30)).date().isoformat()
    rows = []
    for i in range(1, 31):
        row = {"phone": f"+38067222{i:04d}", "first_name": f"N{i}", "cashback": "10", "external_id": f"X-{i}"}
        if i % 3 == 0:
            row.update(
                {
                    3: {"phone": "12"},
                    6: {"cashback": "-5"},
                    9: {"tier": "platinum"},
                    12: {"birthday": "31.02.1990"},
                    15: {"promo": "5"},
                    18: {"phone": "+380672220001"},  # row 1's phone again
                    21: {"email": "nobody"},
                    24: {"promo": "5", "promo_expires": expires, "consent_sms": "maybe"},
                    27: {"external_id": "X-2"},
                    30: {"card_number": "1"},
                }[i]
            )
        rows.append(row)
    return rows


def kept_rows(job) -> list:
    """The rows a dry run kept for its commit, chunk by chunk, as written."""
    with open(files.kept_path(job.stored_name), "rb") as kept:
        pickle.load(kept)  # the state the rows were parsed under
        chunks_kept = []
        while True:
            try:
                chunks_kept.append(pickle.load(kept))
            except EOFError:
                return chunks_kept


def test_rows_parsed_apart_are_the_rows_parsed_in_one_process(alpha, settings):
    Program.objects.filter(pk=alpha.program.pk).update(country="UA")
    alpha.program.refresh_from_db()
    settings.KARTKA_BULK_CHUNK = 4
    jobs = {}
    for parsers in (2, 1):
        settings.KARTKA_BULK_PARSERS = parsers
        with translation.override("uk"):
            jobs[parsers] = import_checked(alpha.program, alpha.owner, mixed_rows())

    apart, alone = jobs[2], jobs[1]
    assert apart.status == alone.status == JobStatus.CHECKED
    assert apart.checked == alone.checked == {"create": 20, "reject": 10}
    assert apart.rows_total == alone.rows_total == 30
    assert apart.report == alone.report
    reasons = dict(apart.report)
    assert reasons[4] == ["Номер телефону недійсний для країни UA."]  # the workers speak the job's language
    assert reasons[10] == ["У програмі немає рівня «platinum»."]
    assert kept_rows(apart) == kept_rows(alone)
    assert len(kept_rows(apart)) == 8

    # The commit writes the rows the workers parsed.
    bulk_job_commit(job=apart, actor=Actor.staff(alpha.owner))
    apart.refresh_from_db()
    assert apart.status == JobStatus.DONE
    assert apart.committed == {"create": 20, "reject": 10}
    imported = Member.objects.filter(program=alpha.program, external_id__startswith="X-")
    assert sorted(imported.values_list("first_name", flat=True)) == sorted(f"N{i}" for i in range(1, 31) if i % 3)


def batches_of(rows: list[dict], size: int):
    return chunks(((number, values) for number, values in enumerate(rows, start=2)), size)


def test_the_workers_run_while_the_rows_are_read_and_are_gone_after(alpha):
    ctx = ProgramContext(alpha.program)
    rows = mixed_rows()
    alone = [row_pack(row) for chunk in rows_parsed(batches_of(rows, 4), ctx) for row in chunk]

    seen, apart = [], []
    for chunk in rows_parsed(batches_of(rows, 4), ctx, processes=2):
        seen.append(len(multiprocessing.active_children()))
        apart.extend(row_pack(row) for row in chunk)
    assert apart == alone
    assert set(seen) == {2}
    assert multiprocessing.active_children() == []

    # A walk that stops half-way (an error further on) stops the workers with it.
    walk = rows_parsed(batches_of(rows, 4), ctx, processes=2)
    next(walk)
    assert len(multiprocessing.active_children()) == 2
    walk.close()
    assert multiprocessing.active_children() == []

    # A file of one chunk is parsed here: no process is started for it.
    for _chunk in rows_parsed(batches_of(rows[:4], 4), ctx, processes=2):
        assert multiprocessing.active_children() == []


class Unprintable:
    """A cell whose text cannot be read: parsing it raises in the worker."""

    def __str__(self):
        raise RuntimeError("no text")


def test_a_workers_error_is_raised_in_the_walk_and_stops_the_workers(alpha):
    ctx = ProgramContext(alpha.program)
    rows = mixed_rows()
    rows[9]["first_name"] = Unprintable()  # the third chunk
    walk = rows_parsed(batches_of(rows, 4), ctx, processes=2)
    assert len(next(walk)) == 4
    assert len(next(walk)) == 4
    with pytest.raises(RuntimeError, match="no text"):
        next(walk)
    assert multiprocessing.active_children() == []


def _fork_allowed_told(queue) -> None:
    queue.put(fork_allowed())


def test_a_daemonic_process_parses_in_itself():
    # django-q2's workers are daemonic unless Q_CLUSTER["daemonize_workers"] is off: Python refuses them children.
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    daemon = context.Process(target=_fork_allowed_told, args=(queue,), daemon=True)
    daemon.start()
    assert queue.get(timeout=30) is False
    daemon.join(timeout=30)
    assert fork_allowed() is True


def test_the_background_jobs_workers_may_start_parse_workers(settings):
    assert settings.Q_CLUSTER["daemonize_workers"] is False
