"""``spotcheck bench import`` at a tiny size: every figure is there, the import registered
every row, the re-import wrote nothing, and the report renders (no timing thresholds)."""

from __future__ import annotations

import json

import asyncpg
import pytest

from spotcheck.cli.bench.common import to_json
from spotcheck.cli.bench.importing import _postmaster, _server_cpu, render, run_benchmark
from tests.conftest import Db

pytestmark = pytest.mark.calendar  # loads the demo, whose dates follow today


def positive(value: object) -> bool:
    return type(value) in (int, float) and value > 0  # type: ignore[operator]


async def test_bench_import_smoke(db: Db) -> None:
    results = json.loads(
        to_json(await run_benchmark(db.owner_url, db.app_url, 300, "test", workers=1))
    )
    assert results["settings"]["workers"] == 1
    first, again, copy = results["import"], results["reimport_unchanged"], results["raw_copy"]
    assert (first["rows"], first["registered"], first["rejected"]) == (300, 300, 0)
    assert (again["rows"], again["events"]) == (300, 0)
    assert copy["rows"] == 300
    for figure in (first, again, copy):
        assert positive(figure["seconds"]) and positive(figure["rows_per_s"])
    assert positive(results["import_vs_raw_copy"])
    cpu = first["cpu_us_per_row"]
    assert positive(cpu["importing_process"]) and cpu["workers"] >= 0
    # The embedded server runs here, so its CPU is read from /proc. The kernel counts it in
    # clock ticks (10 ms), and 300 rows can cost the server less than one: zero is a reading.
    assert type(cpu["postgres"]) is float and cpu["postgres"] >= 0
    assert results["target"]["met"] is None  # judged only from 1,000,000 rows
    text = render(results)
    assert "spotcheck import subjects" in text and "raw COPY" in text and "CPU per row" in text


async def test_the_server_cpu_reading_counts_the_servers_work(db: Db) -> None:
    """The reading behind ``postgres`` above: the postmaster is found from a backend, and a
    query that keeps a backend busy for well over a clock tick moves the reading by about as
    much as the query took."""
    conn = await asyncpg.connect(db.owner_url)
    try:
        postmaster = await _postmaster(conn)
        assert postmaster is not None
        before = _server_cpu(postmaster)
        await conn.execute(
            "SELECT count(*) FROM generate_series(1, 3000000) AS g(n) WHERE n % 7 = 0"
        )
        after = _server_cpu(postmaster)
    finally:
        await conn.close()
    assert before is not None and after is not None
    assert after - before >= 0.05, (before, after)
