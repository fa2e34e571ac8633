"""``spotcheck bench draw`` at tiny sizes: every figure is there, the draw verifies, the strata
add up, and the command line parses (no timing thresholds)."""

from __future__ import annotations

import json

import pytest

from spotcheck.cli.bench.common import to_json
from spotcheck.cli.bench.draw import allocate, render, run_benchmark
from spotcheck.cli.main import build_parser
from tests.conftest import Db

pytestmark = pytest.mark.calendar  # loads the demo, whose dates follow today


def positive(value: object) -> bool:
    return type(value) in (int, float) and value > 0  # type: ignore[operator]


def test_allocation_adds_up() -> None:
    assert allocate({"A": 600, "B": 300, "C": 100}, 100) == {"A": 60, "B": 30, "C": 10}
    counts = allocate({"A": 7, "B": 2, "C": 1}, 9)
    assert sum(counts.values()) == 9 and all(
        1 <= counts[k] <= n for k, n in {"A": 7, "B": 2, "C": 1}.items()
    )
    assert allocate({"A": 2, "B": 1, "C": 1}, 10) == {"A": 2, "B": 1, "C": 1}  # all of them


def test_parser_defaults_are_the_issue_sizes() -> None:
    args = build_parser().parse_args(["bench", "draw"])
    assert (args.subjects, args.drawn, args.inspectors, args.json) == (
        1_000_000,
        50_000,
        2_000,
        False,
    )


async def test_bench_draw_smoke(db: Db) -> None:
    results = json.loads(
        to_json(
            await run_benchmark(
                db.owner_url, db.app_url, subjects=600, drawn=60, inspectors=20, database="test"
            )
        )
    )
    data = results["data"]
    assert len(data["strata"]) == 3
    assert sum(s["k"] for s in data["strata"]) == 60
    assert all(s["k"] <= s["size"] for s in data["strata"])
    assert data["assigned"] + data["unmatched"] == 60
    assert data["inspections"] == data["assigned"] > 0
    assert positive(data["transcript_bytes"])
    assert results["ours"]["verified"] is True
    ours = results["ours"]
    for key in ("commit_s", "execute_s", "verify_s"):
        assert positive(ours[key]), key
    for key in ("commit", "execute"):  # three draws, each after a round of the peer's select
        rounds = ours[f"{key}_rounds_s"]
        assert len(rounds) == 3 and all(positive(x) for x in rounds), key
        assert ours[f"{key}_s"] == sorted(rounds)[1], key
    assert results["ratios"]["execute_vs_peer_select"] == round(
        ours["execute_s"] / results["peer"]["select_s"], 3
    )
    for key in ("select_s", "select_assign_write_s"):
        assert positive(results["peer"][key]), key
        assert len(results["peer"][key.removesuffix("_s") + "_rounds_s"]) == 3
    for key, value in results["ratios"].items():
        assert positive(value), key
    assert results["target"]["met"] is None  # judged only at the issue's sizes
    assert results["machine"]["postgres_server_version"]
    text = render(results)
    assert "executeDraw" in text and "ORDER BY random()" in text and "rounds" in text
