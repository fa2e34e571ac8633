"""``spotcheck bench scale`` at tiny sizes: every run answers without errors, the replica run's
reads went to the standby (and only that run's), and every figure and ratio is there."""

from __future__ import annotations

import json

from spotcheck.cli.bench.common import to_json
from spotcheck.cli.bench.scale import RUNS, Options, render_table, run_benchmark


async def test_bench_scale_smoke() -> None:
    out = await run_benchmark(Options(clients=2, seconds=0.5, subjects=60))
    assert out["ok"], to_json(out)
    assert [name for name, _, _ in RUNS] == list(out["runs"])
    for name, workers, replica in RUNS:
        run = out["runs"][name]
        assert run["errors"] == 0 and run["requests"] > 0, run
        assert run["workers"] == workers and run["reads_on_replica"] is replica
        assert (run["standby_transactions"] > 0) is replica, run
        assert len(run["cpu"]["server_worker_percents"]) == workers, run
        assert set(run["cpu"]) == {
            "server_percent",
            "server_worker_percents",
            "primary_postgres_percent",
            "standby_postgres_percent",
            "load_generator_percent",
        }
    for pair in out["ratios"].values():
        assert pair["requests_per_s"] > 0 and pair["p99"] > 0
    assert json.loads(to_json(out))["benchmark"] == "spotcheck bench scale"
    assert "two_processes_replica" in render_table(out)


def test_the_command_line_builds_its_options() -> None:
    from spotcheck.cli.main import build_parser

    args = build_parser().parse_args(["bench", "scale", "--seconds", "3", "--subjects", "900"])
    opts = Options.from_args(args)
    assert (opts.seconds, opts.subjects, opts.variants) == (3.0, 900, ())
