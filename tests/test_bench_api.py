"""``spotcheck bench api`` at tiny sizes: both servers answer, every figure is there, no errors."""

from __future__ import annotations

import json

from spotcheck.cli.bench.api import QUERY, Options, run_benchmark
from spotcheck.cli.bench.api_reference import (
    REFERENCE_SCHEMA,
    RefQuery,
    decode_cursor,
    encode_cursor,
)
from spotcheck.cli.bench.common import Target, to_json
from tests.conftest import Db

SERVERS = ("ours", "reference")
FIGURES = ("clients", "requests", "seconds", "requests_per_s", "subjects_per_s")
LATENCIES = ("p50", "p90", "p99", "max", "mean")


def positive(value: object) -> bool:
    return type(value) in (int, float) and value > 0  # type: ignore[operator]


def row(key: str) -> dict[str, object]:
    return {
        "key": key,
        "name": f"subject {key}",
        "kind": "ENTERPRISE",
        "region": {"code": "fengtai", "name": "丰台街道"},
        "industry": None,
        "status": "ACTIVE",
        "riskClass": "A",
        "address": None,
        "maintainingDepartment": {"code": "SCJG", "name": "区市场监管局"},
    }


def test_cursor_round_trip() -> None:
    assert decode_cursor(encode_cursor("PRODUCT:SCJG:2026-000123")) == "PRODUCT:SCJG:2026-000123"


async def test_reference_walks_pages_by_key() -> None:
    keys = [f"K{i:03d}" for i in range(120)]
    root = RefQuery.from_rows([row(k) for k in reversed(keys)])
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        result = await REFERENCE_SCHEMA.execute(
            QUERY, variable_values={"after": after}, root_value=root
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        page = result.data["subjects"]
        seen += [n["key"] for n in page["nodes"]]
        pages += 1
        assert page["nodes"][0] == row(page["nodes"][0]["key"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == keys
    assert pages == 3


async def test_bench_api_smoke(db: Db) -> None:
    opts = Options(clients=4, seconds=1.0, subjects=200)
    results = json.loads(
        to_json(await run_benchmark(Target(db.owner_url, db.app_url), opts, database="test"))
    )

    assert results["ok"] is True
    assert results["same_first_pages"] is True
    assert results["data"]["subjects"] == results["data"]["rows_served"] == 200
    for server in SERVERS:
        figures = results[server]
        assert figures["errors"] == 0, figures["error_samples"]
        assert figures["error_samples"] == []
        for key in FIGURES:
            assert positive(figures[key]), (server, key, figures[key])
        for key in LATENCIES:
            assert positive(figures["latency_ms"][key]), (server, key, figures["latency_ms"])
        assert figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
        assert figures["latency_ms"]["p99"] <= figures["latency_ms"]["max"]
        # 200 subjects are 4 pages: the clients walked to the end and started again.
        assert figures["walks_completed"] > 0
    for key in ("p99", "requests_per_s"):
        assert positive(results["ratios"][key]), (key, results["ratios"])
    target = results["targets"]["p99_ms"]
    assert target["met"] is None  # the verdict is for 32 clients only
    assert positive(target["value"])
    assert target["max"] == 150.0
    assert results["settings"]["clients"] == 4
    assert results["machine"]["postgres_server_version"]
