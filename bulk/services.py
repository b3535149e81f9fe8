"""Bulk jobs: upload and check (the dry run), commit, resume; the audit rows of imports, adjustments and exports.

A job's check and its commit are django-q2 tasks (``bulk.jobs``), queued by these services. Both walk the file in
chunks; the commit writes each chunk in one transaction with the job's progress, so a job that stops resumes after
its last committed row (``bulk_job_commit`` again, on a failed job). What a job keeps in the database is counts,
row numbers and reasons, never a row's phone or card number; the uploaded file is deleted when the job is done.
"""

import gc
import logging
import sys
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from bulk import files
from bulk.adjusting import adjust_row_parse, adjust_rows_resolve
from bulk.choices import JobKind, JobStatus, RowOutcome
from bulk.columns import ADJUST_COLUMNS, IMPORT_COLUMNS
from bulk.importing import (
    REPORT_LIMIT,
    KeptRows,
    ProgramContext,
    Seen,
    chunks,
    keys_lookup,
    plan_conflicts,
    plan_format,
    plan_write,
    rows_kept,
    rows_plan,
    rows_resolve,
    rows_state,
    rows_write,
)
from bulk.models import BulkJob
from bulk.parsers import rows_parsed
from programs import clock
from programs.choices import Unit
from programs.errors import InsufficientPoints, InsufficientStamps, InvalidInput
from programs.models import Card, Program
from programs.services.cards import card_adjust
from tenancy.actors import Actor
from tenancy.choices import AuditAction
from tenancy.services import audit_record

logger = logging.getLogger(__name__)

CHECK_TASK = "bulk.jobs.job_check"
RUN_TASK = "bulk.jobs.job_run"


class JobStateError(Exception):
    """The job cannot do that now (the message says why, in the active language)."""


def _queue(task: str, job: BulkJob) -> None:
    async_task(task, job.pk, task_name=f"bulk-{job.kind}-{job.pk}-{task.rsplit('.', 1)[1]}")


def bulk_job_upload(*, program: Program, kind: str, upload, actor: Actor, reason: str = "") -> BulkJob:
    """Keep an uploaded file and queue its check (nothing is written to the program).

    Raises ``ValidationError`` for a file that is too big, empty or not CSV/XLSX, or an adjustment without a
    reason.
    """
    kind = JobKind(kind)
    reason = (reason or "").strip()
    if kind == JobKind.ADJUST and not reason:
        raise ValidationError(_("Please give a reason."), code="reason")
    file_format = files.upload_validate(upload)
    stored = files.upload_store(upload, file_format=file_format)
    job = BulkJob.objects.create(
        program=program,
        kind=kind,
        file_name=(upload.name or "")[-200:],
        file_format=file_format,
        stored_name=stored,
        reason=reason[:300],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        created_by=actor.user,
        created_at=clock.now(),
    )
    _queue(CHECK_TASK, job)
    return job


def bulk_job_commit(*, job: BulkJob, actor: Actor) -> BulkJob:
    """Start a checked job, or resume a stopped one after its last committed row. Raises ``JobStateError`` when
    the job is not waiting, or when another job of the program is writing (two at once could collide)."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().get(pk=job.pk)
        resumable = job.status == JobStatus.FAILED and job.started_at is not None
        if job.status != JobStatus.CHECKED and not resumable:
            raise JobStateError(_("This job is not waiting to run."))
        busy = BulkJob.objects.filter(program_id=job.program_id, status=JobStatus.RUNNING).exclude(pk=job.pk)
        if busy.exists():
            raise JobStateError(_("Another job of this program is running; start this one when it is done."))
        if not resumable:
            job.started_at = clock.now()
            job.rows_done = 0
            job.committed = {}
            job.report = []
        job.status = JobStatus.RUNNING
        job.error = ""
        job.save(update_fields=["status", "started_at", "rows_done", "committed", "report", "error"])
    _queue(RUN_TASK, job)
    return job


# --- The tasks -----------------------------------------------------------------------------------------------


def job_check(job_id: int) -> None:
    """The dry run: every row checked against the program as it is now, the counts and the rejections kept."""
    job = BulkJob.objects.select_related("program").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            counts, report, total = _walk(job, commit=False)
        except files.FileUnreadable as error:
            BulkJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=str(error), finished_at=clock.now())
            files.stored_delete(job.stored_name)
            return
        except Exception as error:
            # Never left "checking" for ever; the text of the error may quote a row, so only its kind is kept.
            logger.error("bulk job %s: the check failed: %s", job.pk, type(error).__name__)
            message = _("The file could not be checked (%(error)s). Upload it again.") % {"error": type(error).__name__}
            BulkJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message, finished_at=clock.now())
            files.stored_delete(job.stored_name)
            return
        BulkJob.objects.filter(pk=job.pk).update(
            status=JobStatus.CHECKED, checked=counts, report=report, rows_total=total, rows_done=0
        )


def job_run(job_id: int) -> None:
    """The commit: writes chunk by chunk after ``rows_done``; on an error stops with what is written kept."""
    job = BulkJob.objects.select_related("program", "created_by").get(pk=job_id)
    if job.status != JobStatus.RUNNING:
        return
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            counts, _report, total = _walk(job, commit=True)
        except Exception as error:
            job.refresh_from_db(fields=["rows_done"])
            # The exception's text may quote a row's values (a phone, a card number): only its kind is kept.
            logger.error("bulk job %s stopped after row %s: %s", job.pk, job.rows_done, type(error).__name__)
            message = _(
                "Stopped after %(done)s of %(total)s rows (%(error)s). The rows before are saved; resume to go on."
            ) % {"done": job.rows_done, "total": job.rows_total, "error": type(error).__name__}
            BulkJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=message)
            return
        now = clock.now()
        BulkJob.objects.filter(pk=job.pk).update(
            status=JobStatus.DONE, finished_at=now, rows_done=total, rows_total=total
        )
        files.stored_delete(job.stored_name)
        actor = Actor.staff(job.created_by) if job.created_by else Actor.system("bulk")
        summary = ", ".join(f"{RowOutcome(key).label}: {value}" for key, value in sorted(counts.items()))
        audit_record(
            actor=actor,
            program=job.program,
            action=AuditAction.BULK_IMPORT if job.kind == JobKind.IMPORT else AuditAction.BULK_ADJUST,
            obj=job,
            changes={"rows_done": (0, total)},
            reason=f"{job.file_name} · {summary}"[:300] if not job.reason else f"{job.reason} · {summary}"[:300],
        )


def _walk(job: BulkJob, *, commit: bool) -> tuple[dict, list, int]:
    """Read the job's file in chunks; check each, and in a commit write it. Returns (counts, report, rows)."""
    columns = IMPORT_COLUMNS if job.kind == JobKind.IMPORT else ADJUST_COLUMNS
    path = files.stored_path(job.stored_name)
    skip = job.rows_done if commit else 0
    counts = Counter(job.committed if commit and skip else {})
    report = list(job.report) if commit and skip else []
    program = job.program
    keeper = None
    if job.kind == JobKind.IMPORT:
        ctx = ProgramContext(program)
        seen = Seen()
        kept = files.kept_path(job.stored_name)
        state = rows_state(ctx, path=path, language=job.language)
        # The commit takes the dry run's parsed rows when the program is as it was then; else it parses again.
        parsed_chunks = rows_kept(kept, state, ctx) if commit else None
        if parsed_chunks is None:
            batches = chunks(files.rows_read(path, job.file_format, columns), settings.KARTKA_BULK_CHUNK)
            keeper = None if commit else KeptRows(kept, state)
            # A commit's own parse (rare: the program changed since the dry run) stays in this process: its writer
            # threads are running, and a process with threads forks unsafely.
            parsed_chunks = rows_parsed(
                batches, ctx, keeper=keeper, processes=1 if commit else settings.KARTKA_BULK_PARSERS
            )
    else:
        seen = {}
        batches = chunks(files.rows_read(path, job.file_format, columns), settings.KARTKA_BULK_CHUNK)
        parsed_chunks = ([adjust_row_parse(number, values, program) for number, values in batch] for batch in batches)
    # On PostgreSQL a commit overlaps each chunk's writing with the next one's work (``_import_commit_overlapped``).
    walk = (
        _import_commit_overlapped
        if commit and job.kind == JobKind.IMPORT and connection.vendor == "postgresql"
        else _walk_chunks
    )
    try:
        with _collector_quiet():
            index = walk(
                job,
                parsed_chunks,
                commit=commit,
                skip=skip,
                seen=seen,
                counts=counts,
                report=report,
                ctx=ctx if job.kind == JobKind.IMPORT else None,
            )
    except BaseException:
        if keeper is not None:
            keeper.drop()
        raise
    finally:
        parsed_chunks.close()  # a parse's worker processes stopped, however the walk ended
    if keeper is not None:
        keeper.done()
    return dict(counts), report, index


@contextmanager
def _collector_quiet():
    """Python's cycle collector paused for the walk and run once per chunk instead, over the walk's own objects only.

    A chunk allocates millions of small dicts and tuples (rows, payloads); each few hundred allocations woke the
    collector, and every so often it went through the whole process (Django, the app: ~160 MB of objects). Frozen,
    those are left out; what a chunk leaves behind is collected after it (``_walk_chunks``).
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _walk_chunks(job, parsed_chunks, *, commit, skip, seen, counts, report, ctx) -> int:
    """The walk proper, over parsed chunks; returns the number of rows walked."""
    program = job.program
    index = 0
    for parsed in parsed_chunks:
        gc.collect()  # the previous chunk's cycles, if any (see _collector_quiet)
        size = len(parsed)
        start, index = index, index + size
        parsed = _past_skip(parsed, start, skip, seen)
        if not parsed:
            continue
        if job.kind == JobKind.IMPORT:
            rows_resolve(parsed, ctx, seen)
            for row in parsed:
                counts[row.outcome] += 1
                if row.reasons and len(report) < REPORT_LIMIT:
                    report.append([row.number, row.reasons])
            if commit:
                with transaction.atomic():
                    rows_write(parsed, ctx, user=job.created_by)
                    BulkJob.objects.filter(pk=job.pk).update(rows_done=index, committed=dict(counts), report=report)
            else:
                BulkJob.objects.filter(pk=job.pk).update(rows_total=index)
        else:
            adjust_rows_resolve(parsed, program, seen)
            position = start + (size - len(parsed))
            for row in parsed:
                position += 1
                if commit:
                    # The row's adjustments and the job's progress commit together: a resumed job never adjusts a
                    # row twice.
                    with transaction.atomic():
                        if not row.reasons:
                            _adjust_one(job, row)
                        _tally(row, counts, report)
                        BulkJob.objects.filter(pk=job.pk).update(
                            rows_done=position, committed=dict(counts), report=report
                        )
                else:
                    _tally(row, counts, report)
            if not commit:
                BulkJob.objects.filter(pk=job.pk).update(rows_total=index)
    return index


class _ChunkWriters:
    """Formatted chunks written in order, each in its own transaction with the job's progress.

    On connections of their own (``width`` threads, each a server backend) a chunk's ``COPY``s run beside the
    ``COMMIT`` of the chunk before it, which checks that chunk's deferred foreign keys: the server's two halves of
    the work on two cores. Each chunk still commits only after the one before it did (its transaction waits for it
    before writing the job's progress), and rolls back if that one failed, so a job that stops keeps exactly the
    chunks before the failing one and resumes after the last committed. Inside a transaction of the caller (a test's)
    the other connections would not see its rows: then each chunk is written here, at once.
    """

    def __init__(self, job, ctx, width: int):
        self.job, self.ctx = job, ctx
        self.apart = width > 1 and not connection.in_atomic_block
        self.width = width if self.apart else 1
        self.flight: deque = deque()  # (plan, future) of the chunks sent and not known committed
        self.pool = ThreadPoolExecutor(max_workers=self.width, thread_name_prefix="bulk-write") if self.apart else None

    def plans(self) -> list:
        return [plan for plan, _future in self.flight]

    def send(self, pending) -> None:
        if not self.apart:
            self._write(pending, None)
            return
        while len(self.flight) >= self.width:
            self.flight.popleft()[1].result()
        before = self.flight[-1][1] if self.flight else None
        self.flight.append((pending[0], self.pool.submit(self._write_apart, pending, before)))

    def drain(self) -> None:
        """Wait until every chunk sent is committed; raises the first failure."""
        while self.flight:
            self.flight.popleft()[1].result()

    def close(self) -> None:
        """Wait for every chunk sent, failed or not (a failure is raised by ``drain``)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True)

    def _write(self, pending, before) -> None:
        plan, done, tally, rejected = pending
        with transaction.atomic():
            plan_write(plan, self.ctx)
            if before is not None:
                before.result()  # the chunk before committed (or this one rolls back with its error)
            BulkJob.objects.filter(pk=self.job.pk).update(rows_done=done, committed=tally, report=rejected)

    def _write_apart(self, pending, before) -> None:
        try:
            self._write(pending, before)
        finally:
            connection.close()  # this thread's own connection


def _import_commit_overlapped(job, parsed_chunks, *, commit, skip, seen, counts, report, ctx) -> int:
    """An import's commit on PostgreSQL, each chunk's server work beside the next chunks' own.

    Chunk *n*'s rows are looked up, checked, given their numbers and ids, and formatted as ``COPY`` text (in a
    second thread, which runs while this one waits) while the chunks before it are written (``_ChunkWriters``: two
    at a time, each committing after the one before). The same thread then reads chunk *n + 1* (the dry run's rows,
    or the file parsed again) and collects the cycles written chunks left, still beside the server's work. Looking
    chunk *n* up before the chunks in flight are committed judges it the same as after, except where its keys meet
    the ones they write or it names a member one of them updates (``plan_conflicts``): then they are committed first
    and *n* looked up again.
    """
    index = 0
    pending = None  # (plan, rows_done, counts, report) of the chunk formatted and not yet sent
    chunk_iterator = iter(parsed_chunks)
    # A row parsed again in the second thread says its reasons in the job's language, as in this one.
    language = translation.get_language()
    writers = _ChunkWriters(job, ctx, settings.KARTKA_BULK_WRITERS)

    def format_and_read(plan):
        with translation.override(language):
            if plan is not None:
                plan_format(plan, ctx)
            gc.collect()  # the written chunks' cycles, if any (see _collector_quiet)
            return next(chunk_iterator, None)

    interval = sys.getswitchinterval()
    # The writer wakes from each wait on the server needing the lock the formatter holds: hand it over sooner.
    sys.setswitchinterval(0.0005)
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-format") as formatter:
            parsed = format_and_read(None)
            while parsed is not None:
                start, index = index, index + len(parsed)
                parsed = _past_skip(parsed, start, skip, seen)
                if not parsed:
                    parsed = format_and_read(None)
                    continue
                found = keys_lookup(parsed, ctx)
                unwritten = writers.plans() + ([pending[0]] if pending else [])
                if any(plan_conflicts(plan, parsed, found) for plan in unwritten):
                    if pending is not None:
                        writers.send(pending)
                        pending = None
                    writers.drain()
                    found = keys_lookup(parsed, ctx)
                    unwritten = []
                rows_resolve(parsed, ctx, seen, found)
                for row in parsed:
                    counts[row.outcome] += 1
                    if row.reasons and len(report) < REPORT_LIMIT:
                        report.append([row.number, row.reasons])
                plan = rows_plan(parsed, ctx, user=job.created_by, ahead=unwritten)
                ahead = formatter.submit(format_and_read, plan)
                if pending is not None:
                    writers.send(pending)
                parsed = ahead.result()
                pending = (plan, index, dict(counts), list(report))
            if pending is not None:
                writers.send(pending)
            writers.drain()
    finally:
        writers.close()
        sys.setswitchinterval(interval)
    return index


def _past_skip(parsed: list, start: int, skip: int, seen) -> list:
    """The rows of a chunk starting at row ``start`` that a job resumed after ``skip`` rows still has to walk; the
    ones it skips are remembered for the file's duplicates."""
    if start + len(parsed) <= skip:
        _remember(parsed, seen)
        return []
    if skip > start:
        _remember(parsed[: skip - start], seen)
        return parsed[skip - start :]
    return parsed


def _remember(parsed, seen) -> None:
    """Rows a resumed commit skips still count for the file's duplicates."""
    if isinstance(seen, Seen):
        for row in parsed:
            if not row.reasons:
                seen.add(row)


def _tally(row, counts: Counter, report: list) -> None:
    counts[RowOutcome.REJECT if row.reasons else RowOutcome.ADJUST] += 1
    if row.reasons and len(report) < REPORT_LIMIT:
        report.append([row.number, row.reasons])


def _adjust_one(job: BulkJob, row) -> None:
    """One row's adjustments (in the caller's transaction). What the card can no longer give (spent since the
    check) rejects the row instead, with nothing written for it."""
    actor = Actor.staff(job.created_by) if job.created_by else Actor.system("bulk")
    try:
        with transaction.atomic():
            card = Card.objects.get(pk=row.card_id)
            for unit, amount in ((Unit.POINTS, row.points), (Unit.STAMPS, row.stamps)):
                if amount:
                    card_adjust(card=card, amount=amount, reason=job.reason, actor=actor, unit=unit)
    except (InsufficientPoints, InsufficientStamps, InvalidInput) as error:
        row.reasons.append(str(error) or _("The card cannot give this now."))
