"""The worker-process path writes exactly what the in-process path writes.

The same files are imported into separate databases: in process (workers=0), through forked
workers, and through workers whose reference data is treated as stale (every row decided again
in the importing process); and with ``import_file``, in process and through workers that read
the file and encode the new keys' events for the store (eventstore.prepared).  Events (type,
version, data and metadata bytes), the subjects and streams tables, the reports and the
rejects files must be identical.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from spotcheck.db.pool import create_pool
from spotcheck.domain.regions import Regions
from spotcheck.eventstore import EventStore
from spotcheck.importer.engine import Importer, Rejects
from spotcheck.importer.formats import read_rows, write_csv
from spotcheck.importer.registries import SUBJECT_COLUMNS, subjects_spec
from spotcheck.importer.run import _import, import_file, import_rows
from spotcheck.importer.workers import WorkerContext, start_workers
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import Caller, CommandRunner
from tests.api.conftest import seed_people
from tests.conftest import Cluster
from tests.dbutil import drop_database, fresh_database
from tests.importer.test_import import SYSTEM_CALLER, subject_rows

CALLER = Caller(actor=SYSTEM_CALLER.actor, request_id="same", correlation_id="same")
STALE = object()  # reference data no load can equal
MODES = ("in-process", "workers", "stale", "file", "file-workers")


@pytest.fixture
async def runners(cluster: Cluster) -> AsyncIterator[list[CommandRunner]]:
    names = [await fresh_database(cluster) for _ in MODES]
    pools = [await create_pool(cluster.app(n), min_size=1, max_size=8) for n in names]
    out = []
    for p in pools:
        r = CommandRunner(EventStore(p, event_registry()), projections())
        await seed_people(r)
        out.append(r)
    yield out
    for p in pools:
        await p.close()
    for n in names:
        await drop_database(cluster, n)


def files(tmp_path: Path) -> list[Path]:
    rows = subject_rows(30)
    first: list[dict[str, Any]] = [dict(r) for r in rows[:20]]
    first.insert(3, rows[0] | {"name": "同一主体第二行"})  # a key repeated in one batch
    first.insert(5, rows[1] | {"risk_class": "Z"})  # cannot parse
    first.insert(8, rows[2] | {"region": "atlantis"})  # refused by the decision (new key)
    # keys new in a worker's batch, then repeated in it (back to the second file's values)
    first.insert(14, rows[12] | {"name": "同一主体第三行"})
    first.insert(17, rows[14] | {"address": "北京市丰台区另一地址2号"})
    first.append(rows[20] | {"region": "atlantis"})  # refused, then registered by the next
    first.append(dict(rows[20]))
    second: list[dict[str, Any]] = [dict(r) for r in rows[:30]]  # existing, unchanged, new
    second[4]["address"] = "北京市丰台区新地址1号"
    second[6]["region"] = "atlantis"  # refused for an existing key
    second.insert(25, rows[25] | {"name": "新主体重复"})
    paths = []
    for n, batch in enumerate((first, second)):
        path = tmp_path / f"subjects-{n}.csv"
        path.write_text(write_csv(batch, list(SUBJECT_COLUMNS)), "utf-8")
        paths.append(path)
    return paths


async def import_one(runner: CommandRunner, path: Path, mode: str) -> tuple[Any, str]:
    out = io.StringIO()
    spec = subjects_spec(Regions.load())
    if mode in ("in-process", "workers"):
        workers = 0 if mode == "in-process" else 2
        report = await import_rows(
            runner, spec, read_rows(path), CALLER, reason="test", rejects_out=out,
            batch_size=7, workers=workers,
        )  # fmt: skip
        return report, out.getvalue()
    if mode in ("file", "file-workers"):
        # Batches of 7 lines are batches of 7 rows in these files (no blank line or newline
        # inside a value), so the reports compare as they are.
        report = await import_file(
            runner, spec, path, CALLER, reason="test", rejects_out=out, batch_size=7,
            workers=0 if mode == "file" else 2,
        )  # fmt: skip
        return report, out.getvalue()
    async with runner.store.pool.acquire() as conn:
        refs = await spec.load_refs(conn)
    pool = start_workers(1, WorkerContext(spec, CALLER.actor, refs, "test"))
    try:
        importer = Importer(
            runner, spec, CALLER, reason="test", rejects=Rejects(out), workers=pool,
            worker_refs=STALE,
        )  # fmt: skip
        report = await _import(
            importer, read_rows(path), batch_size=7, total=None, progress=False, in_flight=2
        )
    finally:
        pool.shutdown()
    return report, out.getvalue()


async def tables(pool: asyncpg.Pool) -> dict[str, list[tuple[Any, ...]]]:
    async with pool.acquire() as conn:
        events = await conn.fetch(
            "SELECT stream_id, stream_version, event_type, schema_version, data::text,"
            " metadata::text, recorded_at = (SELECT min(recorded_at) FROM events x"
            "   WHERE x.stream_id = e.stream_id) FROM events e"
            " WHERE stream_id LIKE 'subject-%' ORDER BY stream_id, stream_version"
        )
        subjects = await conn.fetch(
            "SELECT s.id, s.version, s.state::text, s.created_at = f.first_recorded_at,"
            " s.updated_at = f.last_recorded_at FROM subjects s"
            " JOIN streams f ON f.stream_id = 'subject-' || s.id ORDER BY s.id"
        )
        streams = await conn.fetch(
            "SELECT stream_id, version, event_count, last_event_type FROM streams"
            " WHERE stream_id LIKE 'subject-%' ORDER BY stream_id"
        )
    return {
        "events": [tuple(r) for r in events],
        "subjects": [tuple(r) for r in subjects],
        "streams": [tuple(r) for r in streams],
    }


async def test_workers_write_what_the_importing_process_writes(
    runners: list[CommandRunner], tmp_path: Path
) -> None:
    paths = files(tmp_path)
    seen = []
    for runner, mode in zip(runners, MODES, strict=True):
        reports = []
        for path in paths:
            report, rejects = await import_one(runner, path, mode)
            reports.append((vars(report), rejects.splitlines()))  # in line order
        seen.append((reports, await tables(runner.store.pool)))
    general, workers, stale, from_file, file_workers = seen
    reports, read = general
    # changed: the three repeats; then rows[0] back, second[4], the new key repeated
    assert [r["changed"] for r, _ in reports] == [3, 3]
    assert [r["rejected"] for r, _ in reports] == [3, 1]
    assert [len(lines) for _, lines in reports] == [4, 2]
    assert len(read["subjects"]) == 30 and read["events"]
    assert workers == general
    assert stale == general
    assert from_file == general
    assert file_workers == general


async def test_encoded_events_carry_the_import_start_in_version_7_ids(
    runners: list[CommandRunner], tmp_path: Path
) -> None:
    """Rows a worker encoded get version 7 ids with the import's start by the database clock
    (eventstore.prepared.uuid7_start); rows decided in the importing process keep random ones."""
    runner = runners[0]
    pool = runner.store.pool
    first, second = files(tmp_path)
    before = await pool.fetchval("SELECT (extract(epoch FROM now()) * 1000)::bigint")
    await import_one(runner, first, "file-workers")
    await import_one(runner, second, "file-workers")
    after = await pool.fetchval("SELECT (extract(epoch FROM now()) * 1000)::bigint")
    rows = await pool.fetch(
        "SELECT event_id, event_type FROM events WHERE stream_id LIKE 'subject-%' ORDER BY seq"
    )
    registered = [r["event_id"] for r in rows if r["event_type"] == "SubjectRegistered"]
    changed = [r["event_id"] for r in rows if r["event_type"] != "SubjectRegistered"]
    v7 = [u for u in registered if u.version == 7]
    assert len(v7) >= 10 and changed, "the first batches are registered by the workers"
    assert all(before <= u.int >> 80 <= after for u in v7)
    assert all(u.version == 4 for u in changed)
