"""``spotcheck bench capacity``: the measured figures docs/scaling.md builds its model on.

(a) Ledger.  On a scratch database (DATABASE_URL's server, else a throwaway embedded cluster),
    the demo data set with about ``--events`` events is appended with no sealer running; then
    the bytes per event (``events`` with its indexes and TOAST, and the JSON of ``data``);
(b) the sealer's ceiling: a sealer started on that unsealed backlog, timed until the ledger
    holds every event (its maximum seal rate: nothing else writes meanwhile), and the bytes per
    ledger row;
(c) the Merkle tree: the checkpointer catching up with the whole ledger (leaves per second,
    bytes of ``merkle_nodes`` per leaf), then ``--proofs`` inclusion proofs at random positions
    of the whole tree (milliseconds each, hashes per proof);
(d) the draw without a database, per population size of ``--sizes`` (synthetic sorted 18-digit
    keys in 3 strata of 45/35/20%), ``--drawn`` subjects and ``--inspectors`` officers: the
    population's stored form decoded, its digest, the selection alone, ``select_draw`` (the
    checks, digests included, and the selection), ``match_draw`` (the matching and the
    transcript), the transcript encoded and hashed, and its size.  The figures of (d) grow
    with n where the work is per population entry (decode, digest, encode) and with k log n
    for the selection.

Progress goes to stderr; ``--json`` prints one JSON object on stdout.  Times are wall-clock
seconds on whatever else the machine runs: read them as orders of magnitude and ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import random
import sys
import time
from datetime import date
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.cli.bench import draw as bench_draw
from spotcheck.cli.bench.common import machine_facts, provisioned_database, to_json
from spotcheck.cli.bench.rebuild import load
from spotcheck.db.pool import connect, create_pool
from spotcheck.draw import transcript as tr
from spotcheck.draw.matching import InspectorCandidate, InspectorKind, InspectorStatus, TaskRules
from spotcheck.draw.select import Stratum, population_digest, select_stratum
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.draws import population_bytes, population_keys
from spotcheck.services.runner import CommandRunner
from spotcheck.transparency.log import checkpoint_once, inclusion_proof

Results = dict[str, Any]
SEAL_TIMEOUT_S = 1800.0


def log(message: str) -> None:
    print(f"[bench capacity] {message}", file=sys.stderr, flush=True)


_SIZES = """
SELECT count(*) AS n,
       pg_total_relation_size('events') AS events_total,
       pg_relation_size('events') AS events_heap,
       coalesce(sum(octet_length(data::text)), 0) AS data_json,
       coalesce(sum(octet_length(metadata::text)), 0) AS metadata_json
  FROM events
"""


async def ledger_figures(owner_url: str, app_url: str, events: int, proofs: int) -> Results:
    pool = await create_pool(app_url, min_size=2, max_size=8)
    owner = await connect(owner_url)
    try:
        runner = CommandRunner(EventStore(pool, event_registry()), projections())
        log(f"appending the demo data set (about {events:,} events), no sealer running")
        started = time.perf_counter()
        total = await load(runner, pool, events)
        append_s = time.perf_counter() - started
        await owner.execute("VACUUM ANALYZE events")
        size = await owner.fetchrow(_SIZES)
        log(f"sealing {total:,} events from an empty ledger")
        sealer = Sealer(app_url)
        sealing = asyncio.create_task(sealer.run())
        try:
            started = time.perf_counter()
            await sealer.wait_sealed(total, timeout=SEAL_TIMEOUT_S)
            seal_s = time.perf_counter() - started
        finally:
            sealing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sealing
        await owner.execute("VACUUM ANALYZE ledger")
        ledger_bytes = await owner.fetchval("SELECT pg_total_relation_size('ledger')")
        merkle = await merkle_figures(owner, total, proofs)
        machine = await machine_facts(owner)
    finally:
        await owner.close()
        await pool.close()
    n = size["n"]
    return {
        "machine": machine,
        "events": n,
        "append_s": round(append_s, 2),
        "events_bytes_per_event": round(size["events_total"] / n),
        "events_heap_bytes_per_event": round(size["events_heap"] / n),
        "data_json_bytes_per_event": round(size["data_json"] / n),
        "metadata_json_bytes_per_event": round(size["metadata_json"] / n),
        "seal_s": round(seal_s, 2),
        "seal_events_per_s": round(total / seal_s),
        "ledger_bytes_per_event": round(ledger_bytes / total),
        "merkle": merkle,
    }


async def merkle_figures(owner: Any, total: int, proofs: int) -> Results:
    key = Ed25519PrivateKey.generate()
    log("checkpointing the whole ledger (the Merkle tree's stored subtrees)")
    started = time.perf_counter()
    while await checkpoint_once(owner, key) is not None:
        pass
    checkpoint_s = time.perf_counter() - started
    await owner.execute("VACUUM ANALYZE merkle_nodes")
    nodes_bytes = await owner.fetchval("SELECT pg_total_relation_size('merkle_nodes')")
    rng = random.Random(18)
    lengths = []
    started = time.perf_counter()
    for _ in range(proofs):
        proof = await inclusion_proof(owner, rng.randint(1, total), total)
        lengths.append(len(proof.audit_path))
    proof_s = time.perf_counter() - started
    return {
        "leaves": total,
        "checkpoint_s": round(checkpoint_s, 2),
        "checkpoint_leaves_per_s": round(total / checkpoint_s),
        "nodes_bytes_per_leaf": round(nodes_bytes / total),
        "inclusion_proofs": proofs,
        "inclusion_proof_ms": round(proof_s / max(proofs, 1) * 1000, 2),
        "inclusion_proof_hashes_max": max(lengths, default=0),
    }


def _candidates(m: int) -> list[InspectorCandidate]:
    return [
        InspectorCandidate(
            staff_id=f"SCJG-{i:06d}",
            department="SCJG",
            kind=InspectorKind.ENFORCEMENT_OFFICER,
            status=InspectorStatus.ACTIVE,
            certificate_valid_from=date(2024, 1, 1),
            certificate_valid_until=date(2030, 12, 31),
            expertise=("FOOD",),
        )
        for i in range(m)
    ]


def _timed(out: Results, name: str, started: tuple[float, float]) -> tuple[float, float]:
    """Record wall-clock seconds as ``name`` and this process's CPU seconds as ``name_cpu``
    (on a shared machine the CPU time is the steadier of the two)."""
    now = (time.perf_counter(), time.process_time())
    out[name] = round(now[0] - started[0], 3)
    out[name.removesuffix("_s") + "_cpu_s"] = round(now[1] - started[1], 3)
    return now


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def draw_figures(n: int, drawn: int, inspectors: int) -> Results:
    """One draw of ``drawn`` from ``n`` synthetic subjects, without a database, by phase."""
    out: Results = {"population": n, "drawn": drawn, "inspectors": inspectors}
    sizes = {"A": n * 45 // 100, "B": n * 35 // 100}
    sizes["C"] = n - sizes["A"] - sizes["B"]
    counts = bench_draw.allocate(sizes, min(drawn, n))
    stored: dict[str, bytes] = {}
    start = 0
    for sid, size in sizes.items():  # 18 digits, like a USCC's length: ascending as generated
        stored[sid] = population_bytes([f"91{i:016d}" for i in range(start, start + size)])
        start += size
    seed = bytes(range(32))
    t = _now()
    strata = [Stratum(id=s, population=population_keys(stored[s]), count=counts[s]) for s in sizes]
    t = _timed(out, "decode_s", t)
    for s in strata:
        population_digest(s.population)
    t = _timed(out, "digest_s", t)
    cands = _candidates(inspectors)
    rules = TaskRules(departments=("SCJG",), start=date(2026, 5, 6), end=date(2026, 5, 29))
    commit = tr.commit_draw(
        task="CAPACITY",
        ledger_position=1,
        strata=strata,
        sources=bench_draw.SOURCES,
        commitment=tr.commitment_of(seed),
        rules=rules,
        candidates=cands,
    )
    gc.collect()
    t = _now()
    key = tr.draw_key(bench_draw.ENTROPY, seed.hex())
    for s in strata:
        select_stratum(key, s, counts[s.id])
    t = _timed(out, "select_s", t)
    selected = tr.select_draw(
        commit, strata=strata, candidates=cands, entropy=bench_draw.ENTROPY, server_seed=seed
    )
    t = _timed(out, "select_draw_s", t)
    transcript = tr.match_draw(selected)
    t = _timed(out, "match_draw_s", t)
    data = tr.dumps(transcript)
    t = _timed(out, "encode_s", t)
    hashlib.sha256(data).digest()
    _timed(out, "hash_s", t)
    out["transcript_bytes"] = len(data)
    out["population_bytes"] = sum(len(b) for b in stored.values())
    out["assignments"] = len(transcript.assignments)
    del transcript, data, strata, stored
    gc.collect()
    return out


async def _run(args: argparse.Namespace) -> Results:
    results: Results = {}
    if args.events:
        async with provisioned_database(log) as (target, label):
            results["ledger"] = await ledger_figures(
                target.owner_url, target.app_url, args.events, args.proofs
            ) | {"database": label}
    results["draw"] = []
    for n in args.sizes:
        log(f"draw of {args.drawn:,} from {n:,} (no database)")
        results["draw"].append(draw_figures(n, args.drawn, args.inspectors))
    return results


def main(args: argparse.Namespace) -> int:
    """Prints JSON with or without ``--json`` (the figures are for docs/scaling.md)."""
    results = {"settings": {k: v for k, v in vars(args).items() if k != "func"}}
    results |= asyncio.run(_run(args))
    print(to_json(results))
    return 0
