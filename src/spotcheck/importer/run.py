"""Import a file (or rows) into a registry, with a progress bar and a rejects file."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO, TypeVar

from tqdm import tqdm

from spotcheck.clock import db_now
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.importer.chunks import chunks
from spotcheck.importer.engine import Importer, ImportReport, ImportSpec, Rejects, batches
from spotcheck.importer.formats import Row, detect_format, read_rows
from spotcheck.importer.parse import check_columns
from spotcheck.importer.workers import WorkerContext, start_workers
from spotcheck.services.runner import Caller, CommandRunner

T = TypeVar("T")
DEFAULT_BATCH = 5000
IN_FLIGHT = 2
WORKERS = 2
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def import_rows(
    runner: CommandRunner,
    spec: ImportSpec[Any, Any],
    rows: Iterable[Row],
    caller: Caller,
    *,
    reason: str,
    rejects_out: TextIO | None = None,
    batch_size: int = DEFAULT_BATCH,
    total: int | None = None,
    progress: bool = False,
    in_flight: int = IN_FLIGHT,
    workers: int = WORKERS,
) -> ImportReport:
    """Import ``rows`` in batches, ``in_flight`` batches at a time on their own connections.

    Two batches in flight let one batch's rows be checked in Python while the database writes
    the other's; each batch is still its own transaction.  With ``workers`` > 0, that many
    forked processes parse, validate and decide the rows (importer.workers); 0 does it all here.
    They start with the second batch: a single batch (the demo, most tests) forks nothing.
    """
    importer = Importer(runner, spec, caller, reason=reason, rejects=Rejects(rejects_out))
    try:
        return await _import(
            importer,
            rows,
            batch_size=batch_size,
            total=total,
            progress=progress,
            # A batch holds no connection while a worker checks it: keep the workers busy.
            in_flight=in_flight + workers,
            workers=workers,
        )
    finally:
        if importer.workers is not None:
            importer.workers.shutdown(cancel_futures=True)


async def import_file(
    runner: CommandRunner,
    spec: ImportSpec[Any, Any],
    path: Path,
    caller: Caller,
    *,
    fmt: str | None = None,
    reason: str,
    rejects_out: TextIO | None = None,
    batch_size: int = DEFAULT_BATCH,
    total: int | None = None,
    progress: bool = False,
    in_flight: int = IN_FLIGHT,
    workers: int = WORKERS,
) -> ImportReport:
    """``import_rows`` of a file, in batches of ``batch_size`` lines that the workers read and
    parse themselves (importer.chunks): the importing process only finds where each batch
    begins.  The rows, rejects, events and read tables are those ``import_rows`` of
    ``read_rows(path, fmt)`` gives; only the batches may be cut elsewhere (by lines, not rows).
    """
    importer = Importer(runner, spec, caller, reason=reason, rejects=Rejects(rejects_out))
    planned = chunks(path, fmt, batch_size)
    if planned is None:  # no header: no rows
        return importer.report
    layout, pieces = planned
    try:
        return await _in_flight(
            importer,
            pieces,
            lambda piece: importer.import_chunk(layout, piece),
            total=total,
            progress=progress,
            in_flight=in_flight + workers,  # a batch holds no connection in a worker
            workers=workers,
        )
    finally:
        if importer.workers is not None:
            importer.workers.shutdown(cancel_futures=True)


async def _start_workers(importer: Importer[Any, Any], count: int) -> None:
    spec = importer.spec
    async with importer.runner.store.pool.acquire() as conn:
        refs = await spec.load_refs(conn)
        started = await db_now(conn)
    context = WorkerContext(
        spec,
        importer.caller.actor,
        refs,
        importer.reason,
        importer.runner.store.registry,
        importer._meta,
        unix_ms=(started - _EPOCH) // timedelta(milliseconds=1),
    )
    importer.worker_refs = refs
    importer.workers = start_workers(count, context)


async def _import(
    importer: Importer[Any, Any],
    rows: Iterable[Row],
    *,
    batch_size: int,
    total: int | None,
    progress: bool,
    in_flight: int,
    workers: int = 0,
) -> ImportReport:
    async def run(batch: list[Row]) -> int:
        await importer.import_batch(batch)
        return len(batch)

    return await _in_flight(
        importer,
        batches(rows, batch_size),
        run,
        total=total,
        progress=progress,
        in_flight=in_flight,
        workers=workers,
    )


async def _in_flight(
    importer: Importer[Any, Any],
    batches: Iterable[T],
    run: Callable[[T], Awaitable[int]],
    *,
    total: int | None,
    progress: bool,
    in_flight: int,
    workers: int,
) -> ImportReport:
    """``run`` each batch (it returns its rows), ``in_flight`` at a time; ``workers`` processes
    start with the second batch."""
    spec, runner = importer.spec, importer.runner
    bar = tqdm(total=total, unit="rows", desc=spec.name, file=sys.stderr, disable=not progress)
    slots = asyncio.Semaphore(in_flight)
    running: set[asyncio.Task[None]] = set()
    errors: list[Exception] = []

    async def one(batch: T) -> None:
        try:
            bar.update(await run(batch))
            bar.set_postfix(rejected=importer.report.rejected, refresh=False)
        except Exception as exc:  # stop starting batches; committed ones stay committed
            errors.append(exc)
        finally:
            slots.release()

    with runner.timed(f"import:{spec.name}"):
        try:
            for n, batch in enumerate(batches):
                if n == 1 and workers > 0 and importer.workers is None:
                    await _start_workers(importer, workers)
                await slots.acquire()
                if errors:
                    break
                task = asyncio.create_task(one(batch))
                running.add(task)
                task.add_done_callback(running.discard)
            await asyncio.gather(*running)
        finally:
            importer.rejects.flush()
            bar.close()
        if errors:
            raise errors[0]
    return importer.report


def count_records(path: Path) -> int:
    """Records in a file (lines, less a CSV header), for the progress bar."""
    with path.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return lines if detect_format(path, None) == "jsonl" else max(lines - 1, 0)


def header_problem(path: Path, fmt: str | None, spec: ImportSpec[Any, Any]) -> DomainError | None:
    """Refuse a file with columns the import does not know, before writing anything."""
    first = next(iter(read_rows(path, fmt)), None)
    if first is None or first.error is not None:
        return None
    unknown = check_columns(set(first.values), spec.columns)
    if not unknown:
        return None
    return DomainError.one(
        ErrorCode.INVALID_FORMAT,
        None,
        f"unknown columns {', '.join(unknown)}; "
        f"the {spec.name} columns are {', '.join(spec.columns)}",
    )
