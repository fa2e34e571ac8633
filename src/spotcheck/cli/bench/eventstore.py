"""``spotcheck bench eventstore``: our event store against its peers, on one PostgreSQL server.

Measured in one run:

(a) single-event transactions from ``--writers`` concurrent writers for ``--seconds``, with the
    sealer running in the same process (woken on every commit);
    the sealer's lag during that load (p50, p99);
(b) the peer for (a), alternating with it in ``SLICES`` slices (a, b, a, b): the
    ``eventsourcing`` library's PostgreSQL recorder, the same number of writer threads each
    saving one new aggregate (one event) per transaction;
    for (a) and (b), the WAL flushes they waited for (``wal``: count, events per flush, and
    their time where the server times WAL I/O, as it does in the throwaway cluster);
(c) bulk appends: ``--bulk-rounds`` transactions of ``--bulk-events`` new streams of one event;
(d) the physical reference for (c): raw asyncpg COPY of equivalent rows into a table shaped
    like ``events``, in as many transactions;
(e) reading the whole sealed ledger in batches of 10,000.

The database is a scratch database on the ``DATABASE_URL`` server (dropped afterwards), or else
a throwaway embedded cluster in a fresh temporary folder (stopped and removed afterwards).
Progress goes to stderr, so ``--json`` prints exactly one JSON object on stdout.

The peers (b) and (d) are in ``eventstore_peers``, the event every writer appends in
``eventstore_workload``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import sys
import time
from dataclasses import dataclass

import asyncpg

from spotcheck.cli.bench.common import (
    Results,
    Target,
    machine_facts,
    provisioned_database,
    ratio,
    to_json,
)
from spotcheck.cli.bench.eventstore_peers import copy_phase, peer_phase
from spotcheck.cli.bench.eventstore_workload import EVENT_TYPE, bench_event, rate, timed_rounds
from spotcheck.cli.bench.wal import time_wal_io, wal_counters, wal_since
from spotcheck.db.pool import connect, create_pool
from spotcheck.eventstore import NO_STREAM, EventStore, EventTypeRegistry, StreamAppend
from spotcheck.eventstore.ledger import read_ledger
from spotcheck.eventstore.sealer import Sealer

READ_BATCH = 10_000
SEAL_TIMEOUT = 300.0

# The targets from the issue.
TARGET_WRITERS = 16
TARGET_PEER_RATIO = 4.0
TARGET_COPY_RATIO = 0.5
TARGET_SEALER_P99_MS = 250.0

SLICES = 2
"""(a) and (b) alternate in this many slices of ``--seconds / SLICES`` each (a, b, a, b): on a
shared machine the disk and the load drift, and each side then meets both."""


def log(message: str) -> None:
    print(f"[bench eventstore] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Options:
    writers: int = 16
    seconds: float = 10.0
    bulk_events: int = 10_000
    bulk_rounds: int = 5
    skip_peer: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        opts = cls(
            writers=int(args.writers),
            seconds=float(args.seconds),
            bulk_events=int(args.bulk_events),
            bulk_rounds=int(args.bulk_rounds),
            skip_peer=bool(args.skip_peer),
        )
        if opts.writers < 1 or opts.seconds <= 0 or opts.bulk_events < 1 or opts.bulk_rounds < 1:
            raise SystemExit("--writers, --seconds, --bulk-events and --bulk-rounds must be > 0")
        return opts


# --- (a) single-event transactions, and the sealer's lag ------------------------------------


async def _writer(store: EventStore, writer: int, deadline: float, part: int) -> int:
    i = 0
    while time.monotonic() < deadline:
        await store.append(f"bench-{part}-{writer}-{i}", NO_STREAM, [bench_event(writer, i)])
        i += 1
    return i


async def single_event_phase(
    store: EventStore, writers: int, seconds: float, part: int = 0
) -> Results:
    # Warm every connection (prepared statements) before the clock starts; not counted.
    await asyncio.gather(
        *(
            store.append(f"warmup-{part}-{w}", NO_STREAM, [bench_event(w, 0)])
            for w in range(writers)
        )
    )
    start = time.monotonic()
    counts = await asyncio.gather(
        *(_writer(store, w, start + seconds, part) for w in range(writers))
    )
    elapsed = time.monotonic() - start
    events = sum(counts)
    return {
        "writers": writers,
        "events": events,
        "seconds": round(elapsed, 6),
        "events_per_s": rate(events, elapsed),
    }


def joined(parts: list[Results]) -> Results:
    """The slices of one side of (a) or (b) as one figure (events and seconds added up)."""
    events = sum(p["events"] for p in parts)
    seconds = sum(p["seconds"] for p in parts)
    out: Results = {**parts[0], "events": events, "seconds": round(seconds, 6), "wal": None}
    out["events_per_s"] = rate(events, seconds)
    out["slices"] = [{k: p[k] for k in ("events", "seconds", "events_per_s")} for p in parts]
    wals = [p["wal"] for p in parts]
    if all(w is not None for w in wals):
        out["wal"] = {
            "fsyncs": sum(w["fsyncs"] for w in wals),
            "events_per_fsync": None,
            "fsync_ms_total": None,
            "fsync_ms_avg": None,
            "writes": sum(w["writes"] for w in wals),
        }
        fsyncs = out["wal"]["fsyncs"]
        if fsyncs:
            out["wal"]["events_per_fsync"] = round(events / fsyncs, 2)
        if all(w["fsync_ms_total"] is not None for w in wals):
            total = sum(w["fsync_ms_total"] for w in wals)
            out["wal"]["fsync_ms_total"] = round(total, 1)
            out["wal"]["fsync_ms_avg"] = round(total / fsyncs, 3) if fsyncs else None
        out["wal"]["slices"] = wals
    return out


async def wait_all_sealed(sealer: Sealer, conn: asyncpg.Connection) -> int:
    """Wait until the ledger holds every committed event; returns the ledger's length."""
    total = int(await conn.fetchval("SELECT count(*) FROM events"))
    await sealer.wait_sealed(total, timeout=SEAL_TIMEOUT)
    return total


# recorded_at is now(): the start of the appending transaction, so the lag includes the append
# transaction itself (checks, insert, commit) as well as the wait for the sealer.  sealed_at is
# clock_timestamp() when the sealer inserts the ledger row, just before its own commit.
_LAG = """
SELECT count(*) AS events,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY lag_ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY lag_ms) AS p99,
       max(lag_ms) AS max
  FROM (SELECT (extract(epoch FROM l.sealed_at - e.recorded_at) * 1000)::float8 AS lag_ms
          FROM ledger l JOIN events e USING (seq)
         WHERE e.stream_id LIKE 'bench-%') AS s
"""


async def sealer_lag(conn: asyncpg.Connection) -> Results:
    row = await conn.fetchrow(_LAG)
    assert row is not None
    return {
        "events": int(row["events"]),
        "p50": round(float(row["p50"] or 0), 3),
        "p99": round(float(row["p99"] or 0), 3),
        "max": round(float(row["max"] or 0), 3),
    }


# --- (c) bulk appends -----------------------------------------------------------------------


async def bulk_phase(store: EventStore, events: int, rounds: int) -> Results:
    times: list[float] = []
    for r in range(rounds):
        appends = [
            StreamAppend(f"bulk-{r}-{i}", NO_STREAM, [bench_event(r, i)]) for i in range(events)
        ]
        start = time.monotonic()
        await store.append_many(appends)
        times.append(time.monotonic() - start)
        log(f"bulk round {r + 1}/{rounds}: {events} events in {times[-1]:.3f} s")
    return timed_rounds(events, times)


# --- (e) reading the ledger -----------------------------------------------------------------


async def ledger_read_phase(pool: asyncpg.Pool, expected: int) -> Results:
    events = 0
    after = 0
    async with pool.acquire() as conn:
        start = time.monotonic()
        for _ in range(expected // READ_BATCH + 2):
            batch = await read_ledger(conn, after, READ_BATCH)
            if not batch:
                break
            events += len(batch)
            last = batch[-1].position
            assert last is not None
            after = last
        elapsed = time.monotonic() - start
    return {
        "batch": READ_BATCH,
        "events": events,
        "seconds": round(elapsed, 6),
        "events_per_s": rate(events, elapsed),
    }


# --- the run --------------------------------------------------------------------------------


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def measure(target: Target, opts: Options, *, time_wal: bool = False) -> Results:
    """Our figures, and the peer's for (a) right after ours (the same disk and load)."""
    registry = EventTypeRegistry()
    registry.register(EVENT_TYPE)
    owner = await connect(target.owner_url)
    if time_wal:
        await time_wal_io(owner)
    pool = await create_pool(target.app_url, min_size=opts.writers, max_size=opts.writers)
    store = EventStore(pool, registry)
    sealer = Sealer(target.app_url)
    sealer.follow(store)
    sealer_task = asyncio.create_task(sealer.run())
    # As `spotcheck serve` starts (spotcheck.api.app): what is alive now lives as long as the
    # process, so full collections need not walk it while the appends run.
    gc.collect()
    gc.freeze()
    try:
        out: Results = {"machine": await machine_facts(owner)}
        ours: list[Results] = []
        theirs: list[Results] = []
        share = opts.seconds / SLICES
        for part in range(SLICES):
            log(f"single-event appends: {opts.writers} writers for {share:g} s, sealer on")
            before = await wal_counters(owner)
            ours.append(await single_event_phase(store, opts.writers, share, part))
            ours[-1]["wal"] = await wal_since(owner, before, ours[-1]["events"])
            await wait_all_sealed(sealer, owner)
            before = await wal_counters(owner)
            peer, out["peer_reason"] = await peer_phase(
                target.owner_url, opts.writers, share, skip=opts.skip_peer
            )
            if peer is None:
                continue
            peer["wal"] = await wal_since(owner, before, peer["events"])
            theirs.append(peer)
        out["single_event"] = joined(ours)
        out["sealer_lag_ms"] = await sealer_lag(owner)
        out["peer"] = joined(theirs) if len(theirs) == SLICES else None
        if out["peer"] is None and out["peer_reason"] is None:
            out["peer_reason"] = "the peer failed in one of the slices"
        log(f"bulk appends: {opts.bulk_rounds} x {opts.bulk_events} events")
        out["bulk_append"] = await bulk_phase(store, opts.bulk_events, opts.bulk_rounds)
        sealed = await wait_all_sealed(sealer, owner)
        # Of the bulk events, how many the sealer's child process hashed (the rest: below, or
        # in-process).
        out["bulk_append"]["hashed_by_sealer_child"] = sealer.hashed_by_child
        # ... and how many it sealed with the hash the appender handed over (no read back).
        out["bulk_append"]["hashed_from_hints"] = sealer.hashed_from_hints
        out["raw_copy"] = await copy_phase(target.owner_url, opts.bulk_events, opts.bulk_rounds)
        log(f"ledger read: {sealed} events in batches of {READ_BATCH}")
        out["ledger_read"] = await ledger_read_phase(pool, sealed)
        return out
    finally:
        await _stop(sealer_task)
        await pool.close()
        await owner.close()
        gc.unfreeze()


def _target(
    value: float | None, *, minimum: float | None = None, maximum: float | None = None
) -> Results:
    met: bool | None = None
    if value is not None:
        met = (minimum is None or value >= minimum) and (maximum is None or value < maximum)
    out: Results = {"value": value, "met": met}
    if minimum is not None:
        out["min"] = minimum
    if maximum is not None:
        out["max"] = maximum
    return out


def targets(out: Results) -> Results:
    peer = out["peer"]
    vs_peer = _target(out["ratios"]["single_event_vs_peer"], minimum=TARGET_PEER_RATIO)
    vs_peer["writers"] = out["single_event"]["writers"]
    vs_peer["target_writers"] = TARGET_WRITERS
    if peer is None:
        vs_peer["note"] = out["peer_reason"]
    return {
        "single_event_vs_peer": vs_peer,
        "bulk_append_vs_raw_copy": _target(
            out["ratios"]["bulk_append_vs_raw_copy"], minimum=TARGET_COPY_RATIO
        ),
        "sealer_p99_ms": _target(out["sealer_lag_ms"]["p99"], maximum=TARGET_SEALER_P99_MS),
    }


async def run_benchmark(
    target: Target, opts: Options, *, database: str, time_wal: bool = False
) -> Results:
    """Every figure of the benchmark, against ``target`` (a fresh migrated database);
    ``time_wal``: turn on ``track_wal_io_timing`` (a throwaway cluster only)."""
    figures = await measure(target, opts, time_wal=time_wal)
    peer = figures.pop("peer")
    reason = figures.pop("peer_reason")
    out: Results = {
        "benchmark": "spotcheck bench eventstore",
        "settings": {
            "writers": opts.writers,
            "seconds": opts.seconds,
            "bulk_events": opts.bulk_events,
            "bulk_rounds": opts.bulk_rounds,
            "skip_peer": opts.skip_peer,
            "database": database,
        },
        **figures,
        "peer": peer,
        "peer_reason": reason,
    }
    out["ratios"] = {
        "single_event_vs_peer": ratio(
            out["single_event"]["events_per_s"], peer["events_per_s"] if peer else None
        ),
        "bulk_append_vs_raw_copy": ratio(
            out["bulk_append"]["events_per_s"], out["raw_copy"]["events_per_s"]
        ),
    }
    out["targets"] = targets(out)
    return out


# --- the database ---------------------------------------------------------------------------


async def _run(opts: Options) -> Results:
    async with provisioned_database(log) as (target, label):
        throwaway = label.startswith("embedded")
        return await run_benchmark(target, opts, database=label, time_wal=throwaway)


# --- output ---------------------------------------------------------------------------------


def _verdict(t: Results) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[t["met"]]


def _wal_text(wal: Results | None) -> str:
    if wal is None:
        return "n/a"
    avg = wal["fsync_ms_avg"]
    timing = "not timed" if avg is None else f"{avg:.2f} ms each"
    return f"{wal['fsyncs']} ({wal['events_per_fsync']} events each, {timing})"


def render_table(r: Results) -> str:
    m, s = r["machine"], r["settings"]
    lines = [
        f"spotcheck bench eventstore: PostgreSQL {m['postgres_server_version']}, "
        f"{m['nproc']} CPUs, Python {m['python']}, {s['database']}",
        "",
        f"{'':44}{'events':>10}{'seconds':>10}{'events/s':>12}",
    ]

    def row(label: str, fig: Results) -> None:
        lines.append(
            f"{label:44}{fig['events']:>10}{fig['seconds']:>10.2f}{fig['events_per_s']:>12.1f}"
        )

    row(f"(a) single-event appends, {s['writers']} writers", r["single_event"])
    if r["peer"] is not None:
        row(f"(b) eventsourcing peer, {s['writers']} threads", r["peer"])
    else:
        lines.append(f"{'(b) eventsourcing peer':44}{r['peer_reason']}")
    row(f"(c) bulk append_many, {s['bulk_rounds']} x {s['bulk_events']}", r["bulk_append"])
    row(f"(d) raw asyncpg COPY, {s['bulk_rounds']} x {s['bulk_events']}", r["raw_copy"])
    row(f"(e) ledger read, batches of {READ_BATCH}", r["ledger_read"])
    lag = r["sealer_lag_ms"]
    lines += [
        "",
        f"sealer lag under (a): p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, "
        f"max {lag['max']:.1f} ms over {lag['events']} events",
        f"WAL flushes under (a): {_wal_text(r['single_event'].get('wal'))}",
        f"WAL flushes under (b): {_wal_text((r['peer'] or {}).get('wal'))}",
        "",
        "targets:",
    ]
    t = r["targets"]
    peer_value = t["single_event_vs_peer"]["value"]
    peer_text = "n/a" if peer_value is None else f"{peer_value:.2f}x"
    lines += [
        f"  single-event >= {TARGET_PEER_RATIO:g}x peer at {TARGET_WRITERS} writers: "
        f"{peer_text}  {_verdict(t['single_event_vs_peer'])}",
        f"  bulk append >= {TARGET_COPY_RATIO:g}x raw COPY: "
        f"{t['bulk_append_vs_raw_copy']['value']:.2f}x  {_verdict(t['bulk_append_vs_raw_copy'])}",
        f"  sealer p99 < {TARGET_SEALER_P99_MS:g} ms: "
        f"{t['sealer_p99_ms']['value']:.1f} ms  {_verdict(t['sealer_p99_ms'])}",
    ]
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    opts = Options.from_args(args)
    results = asyncio.run(_run(opts))
    print(to_json(results) if args.json else render_table(results))
    return 0
