"""``spotcheck bench eventstore`` at tiny sizes: every figure is there and positive."""

from __future__ import annotations

import json

from spotcheck.cli.bench.common import Target, to_json
from spotcheck.cli.bench.eventstore import SLICES, Options, run_benchmark
from tests.conftest import Db

FIGURES = {
    "single_event": ("writers", "events", "seconds", "events_per_s"),
    "sealer_lag_ms": ("events", "p50", "p99", "max"),
    "peer": ("writers", "events", "seconds", "events_per_s"),
    "bulk_append": ("rounds", "events_per_round", "events", "seconds", "events_per_s"),
    "raw_copy": ("rounds", "events_per_round", "events", "seconds", "events_per_s"),
    "ledger_read": ("batch", "events", "seconds", "events_per_s"),
    "ratios": ("single_event_vs_peer", "bulk_append_vs_raw_copy"),
    "machine": ("nproc",),
}


def positive(value: object) -> bool:
    return type(value) in (int, float) and value > 0  # type: ignore[operator]


async def test_bench_eventstore_smoke(db: Db) -> None:
    opts = Options(writers=4, seconds=1.0, bulk_events=200, bulk_rounds=1, skip_peer=False)
    results = json.loads(
        to_json(await run_benchmark(Target(db.owner_url, db.app_url), opts, database="test"))
    )

    assert results["peer_reason"] is None, results["peer_reason"]
    for section, keys in FIGURES.items():
        for key in keys:
            assert positive(results[section][key]), (section, key, results[section][key])
    for section in ("bulk_append", "raw_copy"):
        assert len(results[section]["round_seconds"]) == 1
        assert all(positive(s) for s in results[section]["round_seconds"])
    assert results["raw_copy"]["events"] == results["bulk_append"]["events"] == 200
    # Everything appended was sealed and read back: 4 warm-ups a slice, (a), 200 bulk events.
    sealed = 4 * SLICES + results["single_event"]["events"] + 200
    assert results["ledger_read"]["events"] == sealed
    assert results["sealer_lag_ms"]["events"] == results["single_event"]["events"]
    assert results["machine"]["postgres_server_version"]
    # The WAL flushes each side of (a) waited for (timed: the test cluster is not ours to set).
    for section in ("single_event", "peer"):
        wal = results[section]["wal"]
        assert positive(wal["fsyncs"]) and positive(wal["events_per_fsync"]), wal
        # (a) and (b) alternate: each side's figure adds up its slices.
        slices = results[section]["slices"]
        assert len(slices) == len(wal["slices"]) == SLICES
        assert sum(s["events"] for s in slices) == results[section]["events"]
    for name in ("single_event_vs_peer", "bulk_append_vs_raw_copy", "sealer_p99_ms"):
        assert type(results["targets"][name]["met"]) is bool
