"""``spotcheck bench api`` at tiny sizes: every server answers (ours, a lever variant of ours,
bare strawberry, PostGraphile), every figure is there, no errors, the same pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from spotcheck.cli.bench import api_postgraphile
from spotcheck.cli.bench.api import QUERY, Options, run_benchmark
from spotcheck.cli.bench.api_node import node_binary
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


def check_server(name: str, figures: dict[str, Any]) -> None:
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["error_samples"] == []
    for key in FIGURES:
        assert positive(figures[key]), (name, key, figures[key])
    latency = figures["latency_ms"]
    for key in LATENCIES:
        assert positive(latency[key]), (name, key, latency)
    assert latency["p50"] <= latency["p99"] <= latency["max"]
    # 200 subjects are 4 pages: the clients walked to the end and started again.
    assert figures["walks_completed"] > 0
    cpu = figures["cpu"]
    for key in ("server_ms_per_request", "load_generator_percent"):
        assert positive(cpu[key]), (name, key, cpu)
    # Node.js where it is installed (it is wherever npm is), else the httpx clients.
    assert figures["load_generator"]["kind"] == (
        "node" if node_binary() else "httpx (node not found)"
    )
    assert figures["valid"] is (figures["invalid_reason"] is None)


async def test_bench_api_smoke(db: Db) -> None:
    skipped = api_postgraphile.unavailable_reason()
    opts = Options(clients=4, seconds=1.0, subjects=200, variants=("asyncio-h11-reset",))
    results = json.loads(
        to_json(await run_benchmark(Target(db.owner_url, db.app_url), opts, database="test"))
    )

    assert results["ok"] is True
    assert results["same_first_pages"] is True
    assert results["data"]["subjects"] == results["data"]["rows_served"] == 200
    for server in SERVERS:
        check_server(server, results[server])
    [lever] = results["levers"]
    assert lever["name"] == "asyncio-h11-reset"
    assert lever["settings"] == {
        "loop": "asyncio",
        "http": "h11",
        "pool_reset": "full",
        "spotcheck_compiled": "off",
        "gc_freeze": "off",
    }
    check_server("lever", lever)
    for peer in ("reference", "levers"):
        assert results["ratios"][peer]
    for key in ("p99", "requests_per_s"):
        assert positive(results["ratios"]["reference"][key]), (key, results["ratios"])
    assert results["valid"] is (results["invalid_reasons"] == [])
    for name, target in results["targets"].items():
        assert target["met"] is None, name  # the verdicts are for 32 clients only
        assert target["clients"] == 4
    assert positive(results["targets"]["p99_ms"]["value"])
    assert results["targets"]["p99_ms"]["max"] == 150.0
    assert results["settings"]["clients"] == 4
    assert results["machine"]["postgres_server_version"]
    if skipped is not None:
        assert results["postgraphile"] is None
        assert results["postgraphile_skipped"] == skipped
        pytest.skip(f"the PostGraphile peer was not checked: {skipped}")
    check_server("postgraphile", results["postgraphile"])
    assert results["postgraphile"]["name"].startswith("PostGraphile 4.14.1 ")
    assert results["same_first_pages_postgraphile"] is True
    for key in ("p99", "requests_per_s", "server_ms_per_request", "requests_per_cpu_second"):
        assert positive(results["ratios"]["postgraphile"][key]), (key, results["ratios"])
