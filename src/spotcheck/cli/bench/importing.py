"""``spotcheck bench import``: the bulk importer on N subjects, against PostgreSQL COPY.

Measured in one run, on a scratch database (DATABASE_URL's server, else a throwaway embedded
cluster) holding the demo's departments and published inspection items:

(a) ``spotcheck import subjects`` of a CSV file of N demo subjects, exactly as the command runs
    it (batches of 5,000, two in flight, every row validated, events appended and projected,
    the sealer running in the same process): seconds until every batch has committed;
(b) the seconds after (a) until every event is sealed into the hash-chained ledger;
(c) importing the same file again: every row unchanged, nothing written;
(d) the physical reference: asyncpg COPY of the same rows (key and JSON state) into a plain
    table with a primary key, in batches of the same size.
The file is generated before timing starts.  Progress goes to stderr; ``--json`` prints one
JSON object on stdout.  (a) and (c) carry their CPU per row: the importing process's (it runs
the sealer too), the worker processes', and PostgreSQL's whole server's when it runs on this
machine (read from /proc: every backend, the sealer's, autovacuum, the WAL writer...).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

from spotcheck.cli.bench.common import machine_facts, provisioned_database, to_json
from spotcheck.db.pool import connect, create_pool
from spotcheck.demo import catalogue
from spotcheck.demo.load import load_demo
from spotcheck.domain.actor import SYSTEM
from spotcheck.domain.regions import Regions
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.importer.formats import read_rows, write_csv
from spotcheck.importer.registries import SUBJECT_COLUMNS, subjects_spec
from spotcheck.importer.run import DEFAULT_BATCH, WORKERS, import_file
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import Caller, CommandRunner

TARGET_ROWS = 1_000_000
TARGET_SECONDS = 60.0
Results = dict[str, Any]


def log(message: str) -> None:
    print(f"[bench import] {message}", file=sys.stderr, flush=True)


def write_file(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        chunk: list[dict[str, Any]] = []
        first = True
        for row in catalogue.subjects(rows):
            chunk.append(row)
            if len(chunk) == 50_000:
                f.write(_csv(chunk, first))
                first, chunk = False, []
        if chunk:
            f.write(_csv(chunk, first))


def _csv(rows: list[dict[str, Any]], header: bool) -> str:
    text = write_csv(rows, list(SUBJECT_COLUMNS))
    return text if header else text.split("\n", 1)[1]


def figure(rows: int, seconds: float) -> Results:
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds, 1)}


async def timed_import(
    runner: CommandRunner, path: Path, regions: Regions, workers: int
) -> tuple[Results, Any]:
    async with runner.store.pool.acquire() as conn:
        postmaster = await _postmaster(conn)
    server = _server_cpu(postmaster)
    started = time.perf_counter()
    cpu, children = time.process_time(), _children_cpu()
    report = await import_file(
        runner,
        subjects_spec(regions),
        path,
        Caller(actor=SYSTEM, request_id="bench-import"),
        reason="bench import",
        progress=sys.stderr.isatty(),
        workers=workers,
    )
    result = figure(report.rows, time.perf_counter() - started)
    rows = max(report.rows, 1)
    # CPU per row of this process (it includes the sealer) and of the worker processes
    # (counted once they have exited, at the end of the import); PostgreSQL's below.
    result["cpu_us_per_row"] = {
        "importing_process": round((time.process_time() - cpu) * 1e6 / rows, 1),
        "workers": round((_children_cpu() - children) * 1e6 / rows, 1),
    }
    after = _server_cpu(postmaster)
    if server is not None and after is not None:
        result["cpu_us_per_row"]["postgres"] = round((after - server) * 1e6 / rows, 1)
    return result, report


async def _postmaster(conn: asyncpg.Connection) -> int | None:
    """The PostgreSQL server's main process, if it runs on this machine (Linux /proc)."""
    backend = await conn.fetchval("SELECT pg_backend_pid()")
    return _parent(backend)


def _parent(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # another host's process, or no /proc
    for line in status.splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return None


def _server_cpu(postmaster: int | None) -> float | None:
    """CPU seconds of the server so far: the postmaster, the children it has reaped, and its
    live children (backends, the sealer's, autovacuum, the WAL writer...).  Differences of two
    readings count every process that ran in between; None without /proc."""
    if postmaster is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            f = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile: the postmaster's cutime has it
        if int(f[1]) == postmaster:
            total += int(f[11]) + int(f[12])
    return total / tick


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def wait_sealed(pool: asyncpg.Pool, sealer: Sealer) -> float:
    started = time.perf_counter()
    while (await ledger_status(pool)).unsealed_count:
        sealer.wake()
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


async def copy_reference(owner_url: str, path: Path) -> Results:
    """COPY of each row's key and JSON into a plain keyed table: the floor for writing rows."""
    conn = await connect(owner_url)
    try:
        await conn.execute("CREATE TABLE bench_copy_subjects (id text PRIMARY KEY, state jsonb)")
        records = [(r.values["uscc"] or r.values["identifier"], r.values) for r in read_rows(path)]
        started = time.perf_counter()
        for i in range(0, len(records), DEFAULT_BATCH):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "bench_copy_subjects",
                    records=records[i : i + DEFAULT_BATCH],
                    columns=("id", "state"),
                )
        return figure(len(records), time.perf_counter() - started)
    finally:
        await conn.close()


async def run_benchmark(
    owner_url: str, app_url: str, rows: int, database: str, workers: int = WORKERS
) -> Results:
    regions = Regions.load()
    pool = await create_pool(app_url, min_size=2, max_size=8)
    store = EventStore(pool, event_registry())
    runner = CommandRunner(store, projections())
    sealer = Sealer(app_url)
    sealer.follow(store)
    task = asyncio.create_task(sealer.run())
    try:
        log("loading the demo's departments, accounts and inspection items")
        await load_demo(runner, regions, subjects=0, inspector_count=0)
        await wait_sealed(pool, sealer)
        with tempfile.TemporaryDirectory(prefix="spotcheck-bench-import-") as tmp:
            path = Path(tmp) / "subjects.csv"
            log(f"writing {rows} demo subjects to {path}")
            write_file(path, rows)
            log("(a) importing")
            first, report = await timed_import(runner, path, regions, workers)
            log(f"    {report.summary()}")
            log("(b) waiting for the ledger to seal")
            sealed = await wait_sealed(pool, sealer)
            log("(c) importing the same file again")
            again, report_again = await timed_import(runner, path, regions, workers)
            log(f"    {report_again.summary()}")
            log("(d) raw COPY reference")
            copy = await copy_reference(owner_url, path)
        async with pool.acquire() as conn:
            machine = await machine_facts(conn)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pool.close()
    met = None
    if rows >= TARGET_ROWS:
        met = first["seconds"] * TARGET_ROWS / rows < TARGET_SECONDS
    return {
        "machine": machine,
        "settings": {
            "rows": rows,
            "batch_size": DEFAULT_BATCH,
            "workers": workers,
            "database": database,
        },
        "import": first | {"registered": report.registered, "rejected": report.rejected},
        "sealed_after_s": round(sealed, 3),
        "reimport_unchanged": again | {"events": report_again.events},
        "raw_copy": copy,
        "import_vs_raw_copy": round(first["rows_per_s"] / copy["rows_per_s"], 3),
        "target": {
            "rows": TARGET_ROWS,
            "seconds": TARGET_SECONDS,
            "met": met,
            "note": "met/missed is judged only when --rows is at least the target's rows",
        },
    }


async def _run(rows: int, workers: int) -> Results:
    async with provisioned_database(log) as (target, label):
        return await run_benchmark(target.owner_url, target.app_url, rows, label, workers)


def render(r: Results) -> str:
    m, s, t = r["machine"], r["settings"], r["target"]
    verdict = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
    lines = [
        f"spotcheck bench import: PostgreSQL {m['postgres_server_version']}, {m['nproc']} CPUs, "
        f"Python {m['python']}, {s['database']}",
        "",
        f"{'':46}{'rows':>10}{'seconds':>10}{'rows/s':>12}",
    ]
    for label, key in (
        ("(a) spotcheck import subjects (committed)", "import"),
        ("(c) the same file again (unchanged)", "reimport_unchanged"),
        ("(d) raw COPY of key + JSON", "raw_copy"),
    ):
        f = r[key]
        lines.append(f"{label:46}{f['rows']:>10}{f['seconds']:>10.2f}{f['rows_per_s']:>12.1f}")
    lines += [
        "",
        f"(b) sealed {r['sealed_after_s']:.1f} s after the last commit",
        "CPU per row (a), us: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in r["import"]["cpu_us_per_row"].items()),
        f"import / raw COPY: {r['import_vs_raw_copy']:.3f}",
        f"target: {t['rows']:,} subjects in under {t['seconds']:g} s: {verdict}",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if args.rows < 1:
        raise SystemExit("--rows must be > 0")
    if args.workers < 0:
        raise SystemExit("--workers must be >= 0")
    results = asyncio.run(_run(args.rows, args.workers))
    print(to_json(results) if args.json else render(results))
    return 0
