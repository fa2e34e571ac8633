"""``spotcheck bench draw``: the verifiable draw against PostgreSQL ``ORDER BY random()``.

On a scratch database (DATABASE_URL's server, else a throwaway embedded cluster) holding the
demo's departments and published inspection items, N demo subjects imported with the bulk
importer and M enforcement officers of SCJG holding the item's expertise, one published task
of SCJG's key item SCJG-004 (食品, no cap) stratified by credit risk class over the three
largest classes of ACTIVE subjects, with counts adding up to D drawn subjects and 2 officers
per subject; then VACUUM (ANALYZE) and CHECKPOINT, so that no measured phase pays for the
load (hint bits, autovacuum, the flush of its dirty buffers):

(a) commitDraw: freeze the populations (one REPEATABLE READ snapshot), store them and the
    candidates content-addressed, commit to a fresh server seed;
(b) executeDraw: RFC 3797 selection per stratum, inspector matching with 回避 and rotation,
    the transcript and outcome stored, one inspection row per subject, in one transaction;
(c) verifyDraw: recompute the stored transcript from nothing but itself;
and, in the same run on the same data, the unverifiable peer most platforms use:
(d) per stratum ``SELECT id FROM subjects WHERE … ORDER BY random() LIMIT k``;
(e) the same selection with round-robin assignment of two inspectors from a shuffled list
    and the rows written, in one transaction: the peer doing (b)'s work, minus 回避, rotation,
    workload and any way to check it.
(a), (b) and (d) run in three rounds side by side (d, a, b; the draw then voided, its rows
vacuumed, and drawn again), (e) three times before them; medians count, every round is
reported.  Target: the median of (b) within 2× of the median of (d).
Progress goes to stderr; ``--json`` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from spotcheck.cli.bench.common import machine_facts, provisioned_database, ratio, to_json
from spotcheck.cli.bench.importing import wait_sealed, write_file
from spotcheck.db.pool import connect, create_pool
from spotcheck.demo.load import load_demo
from spotcheck.domain import draw as d
from spotcheck.domain import plan as pl
from spotcheck.domain import task as tk
from spotcheck.domain.actor import SYSTEM
from spotcheck.domain.regions import Regions
from spotcheck.draw import transcript as tr
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.importer.formats import read_rows, write_csv
from spotcheck.importer.registries import INSPECTOR_COLUMNS, inspectors_spec, subjects_spec
from spotcheck.importer.run import import_rows
from spotcheck.services import draws, plans, tasks
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import Caller, CommandRunner

ITEM = "SCJG-004"
"""A key item (重点检查事项) of SCJG: no cap on the ratio; expertise FOOD."""
EXPERTISE = "FOOD"
TASK = "BENCH-DRAW"
PLAN = "2026-BENCH-DRAW"
STRATA = 3
TARGET_RATIO = 2.0
PEER_ROUNDS = 3
ROUNDS = 3
"""Draws committed and executed, each after a round of the peer's select: both figures are
medians of rounds taken side by side, so that a quiet or busy spell of the machine falls on
both (one execute against the median of three peer rounds was at the mercy of its timing)."""
CALLER = Caller(actor=SYSTEM, request_id="bench-draw")
SOURCES = [
    tr.EntropySource(name="双色球 2026045 红球", kind=tr.SourceKind.NUMBERS),
    tr.EntropySource(name="双色球 2026045 蓝球", kind=tr.SourceKind.NUMBERS),
]
ENTROPY = [
    tr.EntropyValue(name="双色球 2026045 红球", value=[3, 6, 9, 14, 21, 30]),
    tr.EntropyValue(name="双色球 2026045 蓝球", value=[12]),
]
Results = dict[str, Any]


def log(message: str) -> None:
    print(f"[bench draw] {message}", file=sys.stderr, flush=True)


def inspector_rows(n: int) -> Iterator[dict[str, Any]]:
    for i in range(1, n + 1):
        yield {
            "staff_id": f"BENCH-{i:05d}",
            "name": f"检查员{i}",
            "department": "SCJG",
            "kind": "ENFORCEMENT_OFFICER",
            "certificate_number": f"ZF-BENCH-{i:05d}",
            "certificate_valid_from": "2024-01-01",
            "certificate_valid_until": "2030-12-31",
            "expertise": [EXPERTISE],
            "status": "ACTIVE",
        }


def allocate(sizes: dict[str, int], drawn: int) -> dict[str, int]:
    """Counts per stratum proportional to its size, adding up to ``drawn`` (each at least 1
    and at most the stratum's size)."""
    total = sum(sizes.values())
    counts = {k: max(1, min(n, drawn * n // total)) for k, n in sizes.items()}
    short = drawn - sum(counts.values())
    for k in sorted(sizes, key=lambda k: -sizes[k]):
        add = max(0, min(short, sizes[k] - counts[k]))
        counts[k] += add
        short -= add
    return counts


async def load_data(
    runner: CommandRunner, pool: asyncpg.Pool, regions: Regions, subjects: int, inspectors: int
) -> None:
    log("loading the demo's departments, accounts and inspection items")
    await load_demo(runner, regions, subjects=0, inspector_count=0)
    with tempfile.TemporaryDirectory(prefix="spotcheck-bench-draw-") as tmp:
        path = Path(tmp) / "subjects.csv"
        log(f"writing {subjects} demo subjects")
        write_file(path, subjects)
        log("importing them (spotcheck import subjects)")
        started = time.perf_counter()
        report = await import_rows(
            runner, subjects_spec(regions), read_rows(path), CALLER, reason="bench draw"
        )
        log(f"    {report.summary()} in {time.perf_counter() - started:.1f} s")
        people = Path(tmp) / "inspectors.csv"
        people.write_text(write_csv(list(inspector_rows(inspectors)), list(INSPECTOR_COLUMNS)))
        report = await import_rows(
            runner, inspectors_spec(), read_rows(people), CALLER, reason="bench draw"
        )
        log(f"    {report.summary()}")
    await pool.execute("ANALYZE")


async def settle(owner: asyncpg.Connection) -> bool:
    """VACUUM (ANALYZE) and, if the role may, CHECKPOINT: the load's hint bits, autovacuum of
    a million new rows and the flush of its dirty buffers would otherwise fall into whichever
    measured phase runs first.  Returns whether the CHECKPOINT ran."""
    log("settling the database after the load (VACUUM ANALYZE, CHECKPOINT)")
    await owner.execute("VACUUM (ANALYZE)")
    try:
        await owner.execute("CHECKPOINT")
    except asyncpg.InsufficientPrivilegeError:
        return False
    return True


async def publish_task(runner: CommandRunner, regions: Regions, counts: dict[str, int]) -> None:
    plan = pl.CreatePlan(plan_id=PLAN, year=2026, department="SCJG", title="基准", items=[ITEM])
    for command in (plan, pl.FilePlan(plan_id=PLAN)):
        await plans.handle(runner, CALLER, command)
    for task_command in (
        tk.CreateTask(
            task_id=TASK,
            plan_id=PLAN,
            title="基准抽取",
            items=[ITEM],
            stratify_by_risk_class=True,
            strata=[tk.StratumSpec(id=k, count=v) for k, v in sorted(counts.items())],
            start_date=date(2026, 5, 6),
            end_date=date(2026, 5, 29),
        ),
        tk.PublishTask(task_id=TASK),
    ):
        out = await tasks.handle(runner, CALLER, task_command, regions)
        if not out.events:
            raise RuntimeError(f"the benchmark's task was not written: {task_command!r}")


_PEER_SELECT = (
    "SELECT id FROM subjects WHERE risk_class = $1 AND status = 'ACTIVE' ORDER BY random() LIMIT $2"
)
_PEER_WRITE = """
INSERT INTO bench_peer_inspections (subject_key, officers)
SELECT p.id, ARRAY[s1.id, s2.id]
  FROM (SELECT id, row_number() OVER () - 1 AS rn
          FROM (SELECT id FROM subjects WHERE risk_class = $1 AND status = 'ACTIVE'
                 ORDER BY random() LIMIT $2) q) p
  JOIN staff s1 ON s1.rn = (2 * p.rn) % $3
  JOIN staff s2 ON s2.rn = (2 * p.rn + 1) % $3
"""


async def peer_select(conn: asyncpg.Connection, counts: dict[str, int]) -> float:
    started = time.perf_counter()
    for stratum, k in sorted(counts.items()):
        rows = await conn.fetch(_PEER_SELECT, stratum, k)
        assert len(rows) == k
    return time.perf_counter() - started


async def peer_write(conn: asyncpg.Connection, counts: dict[str, int]) -> float:
    started = time.perf_counter()
    async with conn.transaction():
        await conn.execute(
            "CREATE TEMP TABLE bench_peer_inspections (subject_key text, officers text[])"
            " ON COMMIT DROP"
        )
        await conn.execute(
            "CREATE TEMP TABLE staff ON COMMIT DROP AS SELECT id, row_number() OVER "
            "(ORDER BY random()) - 1 AS rn FROM inspectors WHERE department = 'SCJG'"
            " AND status = 'ACTIVE'"
        )
        m = await conn.fetchval("SELECT count(*) FROM staff")
        for stratum, k in sorted(counts.items()):
            await conn.execute(_PEER_WRITE, stratum, k, m)
    return time.perf_counter() - started


async def next_round(
    runner: CommandRunner, pool: asyncpg.Pool, sealer: Sealer, owner: asyncpg.Connection
) -> None:
    """Void the round's draw (a voided draw may be drawn again, with a new seed) and VACUUM
    the 50,000 inspections rows the void deleted, so that each round inserts into the table
    the first one found; the ledger is sealed before the next commit, as before the first."""
    await draws.void(runner, CALLER, d.VoidDraw(task_id=TASK, reason="bench draw: next round"))
    await wait_sealed(pool, sealer)
    await owner.execute("VACUUM inspections")


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 4)


async def run_benchmark(
    owner_url: str, app_url: str, subjects: int, drawn: int, inspectors: int, database: str
) -> Results:
    regions = Regions.load()
    pool = await create_pool(app_url, min_size=2, max_size=8)
    store = EventStore(pool, event_registry())
    runner = CommandRunner(store, projections())
    sealer = Sealer(app_url)
    sealer.follow(store)
    sealing = asyncio.create_task(sealer.run())
    owner = await connect(owner_url)
    try:
        await load_data(runner, pool, regions, subjects, inspectors)
        rows = await pool.fetch(
            "SELECT risk_class, count(*) AS n FROM subjects WHERE status = 'ACTIVE'"
            " AND risk_class IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $1",
            STRATA,
        )
        sizes = {r["risk_class"]: r["n"] for r in rows}
        counts = allocate(sizes, min(drawn, sum(sizes.values())))
        await publish_task(runner, regions, counts)
        log("waiting for the ledger to seal the loaded data")
        await wait_sealed(pool, sealer)
        settled = await settle(owner)
        log(f"strata {sizes}; drawing {counts}")

        log("(e) peer: ORDER BY random() LIMIT k per stratum, with round-robin inspectors, written")
        write_s = [await peer_write(owner, counts) for _ in range(PEER_ROUNDS)]
        select_s, commit_s, execute_s = [], [], []
        for number in range(1, ROUNDS + 1):
            if number > 1:
                await next_round(runner, pool, sealer, owner)
            log(f"round {number}: (d) peer ORDER BY random() LIMIT k, (a) commit, (b) execute")
            select_s.append(await peer_select(owner, counts))
            started = time.perf_counter()
            committed = await draws.commit(
                runner, CALLER, d.CommitDraw(task_id=TASK, sources=SOURCES)
            )
            commit_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            executed = await draws.execute(
                runner, CALLER, d.ExecuteDraw(task_id=TASK, entropy=ENTROPY)
            )
            execute_s.append(time.perf_counter() - started)
        log("(c) verifyDraw")
        started = time.perf_counter()
        verified = await draws.verify(pool, TASK, ROUNDS)
        verify_s = time.perf_counter() - started
        assert committed.state is not None and executed.state is not None
        assert verified is not None
        draw = executed.state.draws[-1]
        transcript = await draws.transcript_bytes(pool, TASK, ROUNDS)
        inspections = await pool.fetchval("SELECT count(*) FROM inspections")
        machine = await machine_facts(owner)
    finally:
        sealing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sealing
        await owner.close()
        await pool.close()
    peer_select_s, peer_write_s = _median(select_s), _median(write_s)
    execute_median, commit_median = _median(execute_s), _median(commit_s)
    met = None
    if subjects >= 1_000_000 and drawn >= 50_000:
        met = execute_median <= TARGET_RATIO * peer_select_s
    return {
        "machine": machine,
        "settings": {
            "subjects": subjects,
            "drawn": drawn,
            "inspectors": inspectors,
            "officers_per_subject": 2,
            "database": database,
            "settled_with_checkpoint": settled,
        },
        "data": {
            "strata": [{"id": c.id, "size": c.size, "k": c.k} for c in draw.commit.strata],
            "population": sum(c.size for c in draw.commit.strata),
            "ledger_position": draw.commit.ledger_position,
            "unsealed_events": draw.unsealed_events,
            "assigned": draw.assigned,
            "unmatched": draw.unmatched,
            "inspections": inspections,
            "transcript_bytes": len(transcript or b""),
        },
        "ours": {
            "commit_s": commit_median,
            "commit_rounds_s": [round(x, 4) for x in commit_s],
            "execute_s": execute_median,
            "execute_rounds_s": [round(x, 4) for x in execute_s],
            "verify_s": round(verify_s, 4),
            "verified": verified.ok,
        },
        "peer": {
            "select_s": peer_select_s,
            "select_rounds_s": [round(x, 4) for x in select_s],
            "select_assign_write_s": peer_write_s,
            "select_assign_write_rounds_s": [round(x, 4) for x in write_s],
        },
        "ratios": {
            "execute_vs_peer_select": ratio(execute_median, peer_select_s),
            "execute_vs_peer_select_assign_write": ratio(execute_median, peer_write_s),
            "commit_vs_peer_select": ratio(commit_median, peer_select_s),
            "verify_vs_peer_select": ratio(verify_s, peer_select_s),
        },
        "target": {
            "execute_vs_peer_select_at_most": TARGET_RATIO,
            "met": met,
            "note": "met/missed is judged only at 1,000,000 subjects and 50,000 drawn or more",
        },
    }


async def _run(subjects: int, drawn: int, inspectors: int) -> Results:
    async with provisioned_database(log) as (target, label):
        return await run_benchmark(
            target.owner_url, target.app_url, subjects, drawn, inspectors, label
        )


def render(r: Results) -> str:
    m, s, data, ours, peer, q = (
        r["machine"],
        r["settings"],
        r["data"],
        r["ours"],
        r["peer"],
        r["ratios"],
    )
    verdict = {True: "met", False: "MISSED", None: "n/a"}[r["target"]["met"]]
    strata = ", ".join(f"{x['id']}: {x['k']:,} of {x['size']:,}" for x in data["strata"])
    lines = [
        f"spotcheck bench draw: PostgreSQL {m['postgres_server_version']}, {m['nproc']} CPUs, "
        f"Python {m['python']}, {s['database']}",
        f"{s['subjects']:,} subjects, {s['inspectors']:,} inspectors; strata {strata}",
        f"assigned {data['assigned']:,}, unmatched {data['unmatched']:,}; transcript "
        f"{data['transcript_bytes'] / 1e6:.1f} MB",
        "",
        f"{'':58}{'seconds':>10}",
        f"{'(a) commitDraw (freeze the population, commit)':58}{ours['commit_s']:>10.3f}",
        f"{'(b) executeDraw (select, match, store, inspections)':58}{ours['execute_s']:>10.3f}",
        f"{'(c) verifyDraw (recompute the transcript)':58}{ours['verify_s']:>10.3f}",
        f"{'(d) peer: ORDER BY random() LIMIT k per stratum':58}{peer['select_s']:>10.3f}",
        f"{'(e) peer: (d) + round-robin inspectors, written':58}"
        f"{peer['select_assign_write_s']:>10.3f}",
        "",
        "medians of the rounds; rounds (a) "
        + ", ".join(f"{x:.3f}" for x in ours["commit_rounds_s"])
        + "; (b) "
        + ", ".join(f"{x:.3f}" for x in ours["execute_rounds_s"])
        + "; (d) "
        + ", ".join(f"{x:.3f}" for x in peer["select_rounds_s"]),
        f"execute / peer select: {q['execute_vs_peer_select']}; "
        f"execute / peer select+assign+write: {q['execute_vs_peer_select_assign_write']}",
        f"verified: {ours['verified']}; target execute <= {TARGET_RATIO:g}x peer select: {verdict}",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if args.subjects < 1 or args.drawn < 1 or args.inspectors < 2:
        raise SystemExit("--subjects and --drawn must be > 0, --inspectors at least 2")
    results = asyncio.run(_run(args.subjects, args.drawn, args.inspectors))
    print(to_json(results) if args.json else render(results))
    return 0
