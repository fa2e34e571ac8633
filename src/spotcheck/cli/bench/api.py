"""``spotcheck bench api``: the GraphQL server under concurrent readers, against bare strawberry.

Measured in one run, with the same load generator (``--clients`` asyncio tasks sharing one
``httpx.AsyncClient``, HTTP/1.1 keep-alive, one connection per client) for ``--seconds`` after a
short warm-up, each client walking the pages of one query with ``after`` (and starting again
from the first page at the end):

(a) ours: ``spotcheck.api.app.create_app`` in a uvicorn subprocess (one worker, sealer on),
    signed in as an INSPECTOR with a bearer token, over a database loaded with ``--subjects``
    demo inspection subjects through the real write path (the bulk importer, else the subjects
    service; departments and the account through their services), sealed before measuring;
(b) the reference: a bare strawberry schema (no database, no auth, no extensions) over the same
    rows held in memory, served by strawberry's ASGI app in a uvicorn subprocess the same way.

The reference's rows are read once from our server by walking every page of the same query, so
both serve the same data in the same shape; the first pages of both are compared before the
reference is measured.

Every request's latency is recorded (from just before the request is sent to the end of reading
the response; the load generator shares the machine's cores with the server, as a co-located
client would).  Any non-200 response or a body with ``errors`` counts as an error, and the run
fails (exit status 1) if there is any.

The database is a scratch database on the ``DATABASE_URL`` server (dropped afterwards), or else
a throwaway embedded cluster in a fresh temporary folder (stopped and removed afterwards).
Progress goes to stderr, so ``--json`` prints exactly one JSON object on stdout.

This module runs the phases and reports; the reference is in ``api_reference``, starting and
stopping the servers in ``api_servers``, the load generator in ``api_load`` and the data in
``api_seed``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import importlib.util
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import orjson

from spotcheck.auth.tokens import mint
from spotcheck.cli.bench.api_load import PAGE_SIZE, QUERY, first_pages, measure, walk_all
from spotcheck.cli.bench.api_seed import INSPECTOR, load_data
from spotcheck.cli.bench.api_servers import (
    ENV_DATABASE_URL,
    ENV_JWT_SECRET,
    ENV_ROWS,
    bench_tokens,
    healthz,
    typename,
    uvicorn_server,
)
from spotcheck.cli.bench.common import (
    Target,
    logger,
    machine_facts,
    provisioned_database,
    ratio,
    to_json,
)
from spotcheck.db.pool import connect

MAX_WARMUP_SECONDS = 2.0
COMPARE_PAGES = 3

# The target from the issue.
TARGET_CLIENTS = 32
TARGET_P99_MS = 150.0

Results = dict[str, Any]
Row = dict[str, Any]

log = logger("api")


@dataclass(frozen=True)
class Options:
    clients: int = 32
    seconds: float = 15.0
    subjects: int = 20_000

    @property
    def warmup(self) -> float:
        return min(MAX_WARMUP_SECONDS, self.seconds)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        opts = cls(
            clients=int(args.clients), seconds=float(args.seconds), subjects=int(args.subjects)
        )
        if opts.clients < 1 or opts.seconds <= 0 or opts.subjects < 1:
            raise SystemExit("--clients, --seconds and --subjects must be > 0")
        return opts


# --- the run ----------------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def stack_facts() -> Results:
    """What serves the requests: uvicorn picks httptools and uvloop when they are installed."""
    httptools = importlib.util.find_spec("httptools") is not None
    uvloop = importlib.util.find_spec("uvloop") is not None
    return {
        "uvicorn": _version("uvicorn"),
        "uvicorn_http": "httptools" if httptools else "h11",
        "uvicorn_loop": "uvloop" if uvloop else "asyncio",
        "strawberry_graphql": _version("strawberry-graphql"),
        "graphql_core": _version("graphql-core"),
        "starlette": _version("starlette"),
        "httpx": _version("httpx"),
    }


async def run_ours(target: Target, opts: Options, secret: bytes) -> tuple[Results, list[Row]]:
    """Phase (a), and the rows our server serves (for the reference)."""
    headers = {"authorization": f"Bearer {mint(INSPECTOR, bench_tokens(secret))}"}
    env = {ENV_DATABASE_URL: target.app_url, ENV_JWT_SECRET: secret.hex()}
    async with uvicorn_server("ours", env, healthz) as server:
        began = time.monotonic()
        rows = await walk_all(server.base_url, headers)
        log(f"ours: read {len(rows)} subjects in {time.monotonic() - began:.1f} s (one client)")
        log(f"ours: {opts.clients} clients, {opts.warmup:g} s warm-up, {opts.seconds:g} s")
        figures = await measure(
            server.base_url, server.process.pid, headers, opts.clients, opts.warmup, opts.seconds
        )
        pages = await first_pages(server.base_url, headers, COMPARE_PAGES)
    figures["name"] = "spotcheck (create_app, INSPECTOR bearer token, PostgreSQL)"
    return {**figures, "first_pages": pages}, rows


async def run_reference(rows: list[Row], opts: Options) -> Results:
    """Phase (b): the same rows in memory, bare strawberry."""
    fd, path = tempfile.mkstemp(prefix="spotcheck-bench-rows-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(rows))
        async with uvicorn_server("reference", {ENV_ROWS: path}, typename) as server:
            pages = await first_pages(server.base_url, {}, COMPARE_PAGES)
            log(f"reference: {opts.clients} clients, {opts.warmup:g} s warm-up, {opts.seconds:g} s")
            figures = await measure(
                server.base_url, server.process.pid, {}, opts.clients, opts.warmup, opts.seconds
            )
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    figures["name"] = (
        f"bare strawberry-graphql {_version('strawberry-graphql')} ASGI app, rows in memory"
    )
    return {**figures, "first_pages": pages}


def targets(out: Results) -> Results:
    """The verdict holds only at the issue's client count; at any other it is None (n/a)."""
    p99 = out["ours"]["latency_ms"]["p99"]
    clients = out["settings"]["clients"]
    target: Results = {
        "value": p99,
        "max": TARGET_P99_MS,
        "met": None,
        "clients": clients,
        "target_clients": TARGET_CLIENTS,
    }
    if clients == TARGET_CLIENTS:
        target["met"] = p99 < TARGET_P99_MS and out["ours"]["errors"] == 0
    else:
        target["note"] = f"measured at {clients} clients; the target is at {TARGET_CLIENTS}"
    return {"p99_ms": target}


async def run_benchmark(target: Target, opts: Options, *, database: str) -> Results:
    """Every figure of the benchmark, against ``target`` (a fresh migrated database)."""
    owner = await connect(target.owner_url)
    try:
        machine = {
            **await machine_facts(owner),
            **stack_facts(),
            # Other work on the machine skews every figure: say how busy it was.
            "loadavg_1min": round(os.getloadavg()[0], 2),
        }
    finally:
        await owner.close()
    data = await load_data(target, opts.subjects)
    secret = secrets.token_bytes(32)
    ours, rows = await run_ours(target, opts, secret)
    data["rows_served"] = len(rows)
    reference = await run_reference(rows, opts)
    same = ours.pop("first_pages") == reference.pop("first_pages")
    out: Results = {
        "benchmark": "spotcheck bench api",
        "settings": {
            "clients": opts.clients,
            "seconds": opts.seconds,
            "warmup_seconds": opts.warmup,
            "subjects": opts.subjects,
            "page_size": PAGE_SIZE,
            "query": QUERY,
            "database": database,
        },
        "machine": machine,
        "data": data,
        "ours": ours,
        "reference": reference,
        "same_first_pages": same,
        "ratios": {
            # > 1 means ours is slower (p99) / faster (req/s) than the reference.
            "p99": ratio(ours["latency_ms"]["p99"], reference["latency_ms"]["p99"]),
            "requests_per_s": ratio(ours["requests_per_s"], reference["requests_per_s"]),
        },
    }
    out["machine"]["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
    out["targets"] = targets(out)
    out["ok"] = (
        ours["errors"] == 0
        and reference["errors"] == 0
        and same
        and data["rows_served"] == opts.subjects
    )
    return out


# --- the database -----------------------------------------------------------------------------


async def _run(opts: Options) -> Results:
    async with provisioned_database(log) as (target, label):
        return await run_benchmark(target, opts, database=label)


# --- output -----------------------------------------------------------------------------------


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "MISSED", None: "n/a"}[met]


def render_table(r: Results) -> str:
    m, s, d = r["machine"], r["settings"], r["data"]
    lines = [
        f"spotcheck bench api: PostgreSQL {m['postgres_server_version']}, {m['nproc']} CPUs, "
        f"Python {m['python']}, uvicorn {m['uvicorn']} ({m['uvicorn_http']}, "
        f"{m['uvicorn_loop']}), strawberry {m['strawberry_graphql']}, {s['database']}",
        f"{d['subjects']} subjects loaded in {d['load_seconds']:.1f} s ({d['loader']}); "
        f"pages of {s['page_size']}; {s['clients']} clients, {s['warmup_seconds']:g} s warm-up, "
        f"{s['seconds']:g} s",
        "",
        f"{'':32}{'requests':>9}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'errors':>7}{'server CPU':>11}",
    ]

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f}%"

    for label, fig in (("(a) ours", r["ours"]), ("(b) bare strawberry, in memory", r["reference"])):
        lat = fig["latency_ms"]
        lines.append(
            f"{label:32}{fig['requests']:>9}{fig['requests_per_s']:>8.1f}{lat['p50']:>8.1f}"
            f"{lat['p99']:>8.1f}{lat['max']:>8.1f}{fig['errors']:>7}"
            f"{pct(fig['cpu']['server_percent']):>11}"
        )
    ratios = r["ratios"]

    def x(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.2f}x"

    lines += [
        "",
        f"ours / reference: p99 {x(ratios['p99'])}, req/s {x(ratios['requests_per_s'])}; "
        f"same first pages: {'yes' if r['same_first_pages'] else 'NO'}",
        f"server CPU is the uvicorn process's share of one core; the load generator used "
        f"{pct(r['ours']['cpu']['load_generator_percent'])} (a) and "
        f"{pct(r['reference']['cpu']['load_generator_percent'])} (b); load average (1 min) "
        f"{m['loadavg_1min']} at start, {m['loadavg_1min_end']} at the end",
    ]
    for fig in (r["ours"], r["reference"]):
        for sample in fig["error_samples"]:
            lines.append(f"  error ({fig['name']}): {sample}")
    t = r["targets"]["p99_ms"]
    lines += [
        "",
        "target:",
        f"  p99 < {TARGET_P99_MS:g} ms at {TARGET_CLIENTS} clients: {t['value']:.1f} ms at "
        f"{t['clients']} clients  {_verdict(t['met'])}",
    ]
    if "note" in t:
        lines.append(f"  ({t['note']})")
    if not r["ok"]:
        lines.append("the run FAILED: errors, a different row count, or different pages (above)")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    opts = Options.from_args(args)
    results = asyncio.run(_run(opts))
    print(to_json(results) if args.json else render_table(results))
    return 0 if results["ok"] else 1
