"""``spotcheck bench rebuild`` at a tiny size: every figure is there, the rebuilt tables verify,
and the report renders (no timing thresholds)."""

from __future__ import annotations

import json

import pytest

from spotcheck.cli.bench.common import to_json
from spotcheck.cli.bench.rebuild import render, run_benchmark
from tests.conftest import Db

pytestmark = pytest.mark.calendar  # loads the demo, whose dates follow today


def positive(value: object) -> bool:
    return type(value) in (int, float) and value > 0  # type: ignore[operator]


async def test_bench_rebuild_smoke(db: Db) -> None:
    results = json.loads(
        to_json(await run_benchmark(db.owner_url, db.app_url, events=600, database="test"))
    )
    data, ours, peer = results["data"], results["ours"], results["peer"]
    assert data["events"] >= 600
    assert data["ledger_position"] == data["events"]
    assert data["tables"]["subjects"] > 0 and data["tables"]["streams"] > 0
    assert ours["verify_identical"] is True
    for key in ("rebuild_s", "rebuild_events_per_s", "replay_events_per_s", "verify_s"):
        assert positive(ours[key]), key
    assert ours["swap_attempts"] >= 1
    assert positive(peer["copy_events_per_s"]) and len(peer["copy_rounds_s"]) == 3
    assert peer["per_event_sample"] == min(data["events"], 5000)
    for key, value in results["ratios"].items():
        assert positive(value), key
    assert results["target"]["met"] is None  # judged only from 20,000 events
    text = render(results)
    assert "projections rebuild" in text and "INSERT … SELECT" in text
