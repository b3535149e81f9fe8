"""An import file's rows parsed chunk by chunk, in worker processes beside the walk when the file is big.

Parsing a row (``importing.row_parse``: the phone read for the program's country, dates, amounts, e-mail, yes/no)
is pure Python and most of a dry run's time; checking the parsed rows against the program (one query per kind of
key) is the rest. On one core they take turns. With ``KARTKA_BULK_PARSERS`` above 1 and a file of more than one
chunk, that many forked processes parse the chunks while the job's process reads the file and checks the chunks
before against the database: every core of the machine at work, the chunks still handed on in the file's order.

A worker gets a chunk's cells and gives back its rows packed and pickled as the kept rows hold them
(``KeptRows``), so the job's process writes those bytes as they are and only unpacks them. The workers are forked
from the job's process (they inherit the program's context and read no database), speak the job's language for
the reasons, and are stopped when the walk ends, however it ends. Where a process may not fork (a daemonic
django-q2 worker, a platform without ``fork``) the rows are parsed in the job's process, the same rows either way.
"""

import multiprocessing
import pickle
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from django.utils import translation

from bulk.importing import KeptRows, ProgramContext, Row, row_pack, row_parse, row_unpack

# The job's program context in a forked worker: set in the job's process just before the fork, so each worker
# starts with it (a context holds model instances; sending it with every chunk would pickle them again).
_context: ProgramContext | None = None


def rows_parsed(
    batches: Iterable[list], ctx: ProgramContext, *, keeper: KeptRows | None = None, processes: int = 1
) -> Iterator[list[Row]]:
    """Each batch of ``(row number, cells)`` as its parsed rows, in order, each written to ``keeper`` (if any) as
    parsed, before the checks against the program add their reasons. ``processes`` above 1 parses in that many
    worker processes when there is more than one batch and this process may fork."""
    batches = iter(batches)
    head = list(islice(batches, 2))
    if len(head) > 1 and processes > 1 and fork_allowed():
        yield from _parsed_apart(chain(head, batches), ctx, keeper, processes)
        return
    for batch in chain(head, batches):
        rows = [row_parse(number, values, ctx) for number, values in batch]
        if keeper is not None:
            keeper.add(rows)
        yield rows


def fork_allowed() -> bool:
    """Whether this process may start forked workers: the platform forks, and it is not itself a daemonic process
    (django-q2's workers are, unless ``Q_CLUSTER["daemonize_workers"]`` is off; Python refuses them children)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


def _parsed_apart(batches: Iterator[list], ctx: ProgramContext, keeper: KeptRows | None, processes: int):
    global _context
    # Whatever waits in the standard streams' buffers would be written again by each worker as it ends.
    sys.stdout.flush()
    sys.stderr.flush()
    _context = ctx
    try:
        pool = multiprocessing.get_context("fork").Pool(
            processes, initializer=_worker_start, initargs=(translation.get_language(),)
        )
    finally:
        _context = None  # the workers have it now; this process needs no second reference
    with pool:
        pending: deque = deque()
        for batch in batches:
            pending.append(pool.apply_async(_batch_parse, (batch,)))
            # One chunk more than there are workers: none waits for the next while this process checks.
            if len(pending) > processes:
                yield _batch_taken(pending.popleft(), ctx, keeper)
        while pending:
            yield _batch_taken(pending.popleft(), ctx, keeper)


def _batch_taken(result, ctx: ProgramContext, keeper: KeptRows | None) -> list[Row]:
    packed = result.get()  # a worker's error is raised here, in the walk
    if keeper is not None:
        keeper.add_packed(packed)
    return [row_unpack(row, ctx) for row in pickle.loads(packed)]  # noqa: S301 (our own worker's bytes)


def _worker_start(language: str | None) -> None:
    if language:
        translation.activate(language)


def _batch_parse(batch: list) -> bytes:
    rows = [row_pack(row_parse(number, values, _context)) for number, values in batch]
    return pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
