"""``spotcheck bench rebuild``: rebuilding every read table from the ledger, against a plain copy.

On a scratch database (DATABASE_URL's server, else a throwaway embedded cluster) loaded with the
demo data set (departments, accounts, published inspection items, conflicts of interest, N
minus the rest in demo subjects through the bulk importer, inspectors), everything sealed:

(a) ``spotcheck projections rebuild``: every projection of the catalog replayed from ledger
    position 1 into a scratch schema, its indexes built, swapped in under lock; the events per
    second of the whole command and of the replay alone;
(b) ``spotcheck projections verify``: the same replay into unlogged tables and the comparison
    with the live tables, in one snapshot;
(c) the peer, measured in the same run on the same rows: ``INSERT INTO copy SELECT e.* FROM
    ledger JOIN events ORDER BY position``, the same event rows read in ledger order and written
    to a table of the same shape by PostgreSQL alone, with no round trip and no folding.  It is
    the floor any rebuild that reads the ledger in order and writes rows can approach: the
    ratio says what our decoding, folding and upserting cost over moving the bytes.  (The
    ``eventsourcing`` library's projection runner processes one event at a time; (d) measures
    that shape with our own projections instead, so the figure is about batching, not about
    another library's table layout.)  Three rounds, the median counts.
(d) the same projections applied one event per ``apply`` call (per-event processing), on the
    first ``min(N, 5,000)`` events, into a scratch schema.
Target (issue 18): (a) at least 0.3 times (c)'s events per second, judged from 20,000 events.
Progress goes to stderr; ``--json`` prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from typing import Any

import asyncpg

from spotcheck.cli.bench.common import machine_facts, provisioned_database, ratio, to_json
from spotcheck.cli.bench.importing import wait_sealed
from spotcheck.db.pool import connect, create_pool
from spotcheck.demo.load import load_demo
from spotcheck.domain.regions import Regions
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore, record_from_row
from spotcheck.projections import rebuilder
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner

TARGET_VS_COPY = 0.3
JUDGED_FROM_EVENTS = 20_000
PEER_ROUNDS = 3
PER_EVENT_SAMPLE = 5_000
DEMO_INSPECTORS = 300
Results = dict[str, Any]


def log(message: str) -> None:
    print(f"[bench rebuild] {message}", file=sys.stderr, flush=True)


async def load(runner: CommandRunner, pool: asyncpg.Pool, events: int) -> int:
    """The demo data set with about ``events`` events in all; returns the count."""
    regions = Regions.load()
    inspectors = min(DEMO_INSPECTORS, max(2, events // 20))
    await load_demo(runner, regions, subjects=0, inspector_count=inspectors)
    base = int(await pool.fetchval("SELECT count(*) FROM events"))
    subjects = max(0, events - base)
    log(f"demo: {base:,} events before subjects; importing {subjects:,} subjects")
    await load_demo(runner, regions, subjects=subjects, inspector_count=inspectors)
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def peer_copy(conn: asyncpg.Connection) -> float:
    await conn.execute("DROP TABLE IF EXISTS bench_event_copy")
    await conn.execute("CREATE TABLE bench_event_copy (LIKE events INCLUDING ALL)")
    started = time.perf_counter()
    await conn.execute(
        "INSERT INTO bench_event_copy SELECT e.* FROM ledger l JOIN events e ON e.seq = l.seq"
        " ORDER BY l.position"
    )
    seconds = time.perf_counter() - started
    await conn.execute("DROP TABLE bench_event_copy")
    return seconds


async def per_event(conn: asyncpg.Connection, sample: int) -> tuple[int, float]:
    """The catalog's projections fed one event per call, in one transaction rolled back."""
    procs = projections()
    tables = rebuilder.tables_of(procs)
    schema = "bench_per_event"
    tr = conn.transaction()
    await tr.start()
    try:
        await rebuilder.create_scratch(conn, tables, schema, unlogged=True)
        await conn.execute(f"SET LOCAL search_path = {schema}, public")
        rows = await conn.fetch(
            "SELECT e.*, l.position, l.chain_hash FROM ledger l JOIN events e ON e.seq = l.seq"
            " ORDER BY l.position LIMIT $1",
            sample,
        )
        events = [record_from_row(r) for r in rows]
        started = time.perf_counter()
        for e in events:
            for p in procs:
                await p.apply(conn, [e])
        seconds = time.perf_counter() - started
    finally:
        await tr.rollback()
    return len(events), seconds


async def run_benchmark(owner_url: str, app_url: str, events: int, database: str) -> Results:
    pool = await create_pool(app_url, min_size=2, max_size=8)
    store = EventStore(pool, event_registry())
    runner = CommandRunner(store, projections())
    sealer = Sealer(app_url)
    sealer.follow(store)
    sealing = asyncio.create_task(sealer.run())
    owner = await connect(owner_url)
    try:
        log(f"loading the demo data set (about {events:,} events)")
        started = time.perf_counter()
        loaded = await load(runner, pool, events)
        load_s = time.perf_counter() - started
        await wait_sealed(pool, sealer)
        await owner.execute("ANALYZE")
        log(f"{loaded:,} events loaded and sealed in {load_s:.1f} s")

        log("(c) peer: INSERT … SELECT of the event rows in ledger order")
        peer_s = [await peer_copy(owner) for _ in range(PEER_ROUNDS)]
        log("(a) spotcheck projections rebuild")
        reader = await connect(owner_url)
        try:
            report = await rebuilder.rebuild(owner, projections(), reader=reader, log=log)
        finally:
            await reader.close()
        log("(b) spotcheck projections verify")
        verified = await rebuilder.verify(owner, projections())
        log("(d) per-event apply")
        sample, sample_s = await per_event(owner, min(loaded, PER_EVENT_SAMPLE))
        rows = {t: int(await owner.fetchval(f"SELECT count(*) FROM {t}")) for t in report.tables}
        machine = await machine_facts(owner)
    finally:
        sealing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sealing
        await owner.close()
        await pool.close()
    replayed = report.progress.events + report.catch_up.events
    peer_median = statistics.median(peer_s)
    ours_eps = replayed / report.total_seconds
    replay_eps = report.progress.events_per_second
    peer_eps = loaded / peer_median
    per_event_eps = sample / sample_s if sample_s > 0 else 0.0
    vs_copy = ratio(ours_eps, peer_eps)
    met = (vs_copy or 0.0) >= TARGET_VS_COPY if loaded >= JUDGED_FROM_EVENTS else None
    return {
        "machine": machine,
        "settings": {"events": events, "database": database, "batch": rebuilder.BATCH},
        "data": {
            "events": loaded,
            "load_s": round(load_s, 3),
            "tables": rows,
            "ledger_position": report.catch_up.position,
        },
        "ours": {
            "rebuild_s": round(report.total_seconds, 4),
            "rebuild_events_per_s": round(ours_eps),
            "replay_s": round(report.progress.seconds, 4),
            "replay_events_per_s": round(replay_eps),
            "index_s": round(report.index_seconds, 4),
            "swap_ms": round(report.swap_seconds * 1000, 2),
            "swap_attempts": report.attempts,
            "verify_s": round(verified.progress.seconds, 4),
            "verify_events_per_s": round(verified.progress.events_per_second),
            "verify_identical": verified.ok,
        },
        "peer": {
            "name": "INSERT INTO copy SELECT e.* FROM ledger JOIN events ORDER BY position",
            "copy_s": round(peer_median, 4),
            "copy_rounds_s": [round(x, 4) for x in peer_s],
            "copy_events_per_s": round(peer_eps),
            "per_event_sample": sample,
            "per_event_events_per_s": round(per_event_eps),
        },
        "ratios": {
            "rebuild_vs_copy": vs_copy,
            "replay_vs_copy": ratio(replay_eps, peer_eps),
            "replay_vs_per_event": ratio(replay_eps, per_event_eps),
        },
        "target": {
            "rebuild_vs_copy_at_least": TARGET_VS_COPY,
            "value": vs_copy,
            "met": met,
            "note": f"judged only with at least {JUDGED_FROM_EVENTS:,} events",
        },
    }


async def _run(events: int) -> Results:
    async with provisioned_database(log) as (target, label):
        return await run_benchmark(target.owner_url, target.app_url, events, label)


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
    lines = [
        f"spotcheck bench rebuild: PostgreSQL {m['postgres_server_version']}, {m['nproc']} CPUs, "
        f"Python {m['python']}, {s['database']}",
        f"{data['events']:,} events (demo data set), {len(data['tables'])} read tables, "
        f"batches of {s['batch']:,}",
        "",
        f"{'':62}{'seconds':>10}{'events/s':>12}",
        f"{'(a) projections rebuild (replay, index, swap)':62}{ours['rebuild_s']:>10.3f}"
        f"{ours['rebuild_events_per_s']:>12,}",
        f"{'    of which the replay':62}{ours['replay_s']:>10.3f}"
        f"{ours['replay_events_per_s']:>12,}",
        f"{'(b) projections verify (replay and compare)':62}{ours['verify_s']:>10.3f}"
        f"{ours['verify_events_per_s']:>12,}",
        f"{'(c) peer: INSERT … SELECT of the event rows, ledger order':62}"
        f"{peer['copy_s']:>10.3f}{peer['copy_events_per_s']:>12,}",
        f"{'(d) per-event apply (' + format(peer['per_event_sample'], ',') + ' events)':62}"
        f"{'':>10}{peer['per_event_events_per_s']:>12,}",
        "",
        f"rebuild / copy: {q['rebuild_vs_copy']}; replay / copy: {q['replay_vs_copy']}; "
        f"replay / per-event: {q['replay_vs_per_event']}",
        f"indexes and ANALYZE {ours['index_s']:.3f} s; swap {ours['swap_ms']} ms "
        f"({ours['swap_attempts']} attempt(s)); verify identical: "
        f"{ours['verify_identical']}; target rebuild / copy >= {TARGET_VS_COPY:g}: {verdict}",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if args.events < 1:
        raise SystemExit("--events must be > 0")
    results = asyncio.run(_run(args.events))
    print(to_json(results) if args.json else render(results))
    return 0
