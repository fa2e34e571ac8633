"""``spotcheck bench capacity`` at tiny sizes: every figure is there and the command line
parses (no timing thresholds)."""

from __future__ import annotations

import json

import pytest

from spotcheck.cli.bench.capacity import draw_figures, ledger_figures
from spotcheck.cli.bench.common import to_json
from spotcheck.cli.main import build_parser
from tests.conftest import Db

pytestmark = pytest.mark.calendar  # loads the demo, whose dates follow today


def test_parser_defaults() -> None:
    args = build_parser().parse_args(["bench", "capacity", "--sizes", "1000,20000"])
    assert (args.sizes, args.drawn, args.inspectors, args.events) == (
        [1000, 20000],
        50_000,
        2_000,
        100_000,
    )


def test_draw_figures() -> None:
    r = draw_figures(3_000, 200, 30)
    assert r["assignments"] == 200
    assert r["population_bytes"] == 3_000 * 19  # 18 digits and LF
    assert r["transcript_bytes"] > r["population_bytes"]
    for key in ("decode_s", "digest_s", "select_s", "select_draw_s", "match_draw_s", "encode_s"):
        assert r[key] >= 0, key


async def test_ledger_figures(db: Db) -> None:
    r = json.loads(to_json(await ledger_figures(db.owner_url, db.app_url, 1_500, 5)))
    assert r["events"] >= 1_500
    assert r["seal_events_per_s"] > 0 and r["ledger_bytes_per_event"] > 0
    assert r["events_bytes_per_event"] > r["data_json_bytes_per_event"] > 0
    merkle = r["merkle"]
    assert merkle["leaves"] == r["events"]
    assert merkle["inclusion_proofs"] == 5
    assert 0 < merkle["inclusion_proof_hashes_max"] <= r["events"].bit_length()
