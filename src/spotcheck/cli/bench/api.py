"""``spotcheck bench api``: the GraphQL server under concurrent readers, against two peers.

Measured in one run, with the same load generator for every server (``api_load.mjs``:
``--clients`` closed-loop clients in one Node.js process, HTTP/1.1 keep-alive, one connection
per client; the httpx clients of ``api_load`` only where node is missing) for ``--seconds``
after a short warm-up, each client walking the pages of one query with ``after`` (and starting
again from the first page at the end):

(a) ours: ``spotcheck.api.app.create_app`` in a uvicorn subprocess (one worker, sealer on),
    signed in as an INSPECTOR with a bearer token, over a database loaded with ``--subjects``
    demo inspection subjects through the real write path (the bulk importer, else the subjects
    service; departments and the account through their services), sealed before measuring;
(b) the reference: a bare strawberry schema (no database, no auth, no extensions) over the same
    rows held in memory, served by strawberry's ASGI app in a uvicorn subprocess the same way;
(c) PostGraphile 4 (``api_postgraphile``, installed with npm on first use) over views of our
    read tables in the same database, one Node.js process;
and, with ``--variants``, our server with levers of issue 17 undone (``VARIANTS``), one by one.

The reference's rows are read once from our server by walking every page of the same query, so
both serve the same data in the same shape; the first pages of both are compared (PostGraphile:
the same nodes in the same order; its cursors are its own).

Every request's latency is recorded (from just before the request is sent to the end of reading
the response; the load generator shares the machine's cores with the server, as a co-located
client would).  It reports its own CPU: a server measured while it used more than half a core
makes the run invalid (``"valid": false``, with the reasons).  The server's CPU per request is
its process's CPU time over the requests served; PostgreSQL's, that of the embedded cluster's
backends (None on a ``DATABASE_URL`` server, which may serve others).  Any non-200 response or a
body with ``errors`` counts as an error, and the run fails (exit status 1) if there is any.

The database is a scratch database on the ``DATABASE_URL`` server (dropped afterwards), or else
a throwaway embedded cluster in a fresh temporary folder (stopped and removed afterwards).
Progress goes to stderr, so ``--json`` prints exactly one JSON object on stdout.

This module runs the phases; the reference is in ``api_reference``, PostGraphile in
``api_postgraphile``, starting and stopping the servers in ``api_servers``, the load generators
in ``api_node`` and ``api_load``, the data in ``api_seed`` and the table in ``api_report``.
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
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from spotcheck.auth.tokens import mint
from spotcheck.cli.bench import api_postgraphile as pg
from spotcheck.cli.bench.api_load import PAGE_SIZE, QUERY, first_pages, measure, walk_all
from spotcheck.cli.bench.api_node import (
    MAX_LOAD_GENERATOR_CORES,
    CpuMeter,
    measure_node,
    node_binary,
)
from spotcheck.cli.bench.api_report import render_table
from spotcheck.cli.bench.api_seed import INSPECTOR, load_data
from spotcheck.cli.bench.api_servers import (
    ENV_DATABASE_URL,
    ENV_GC_FREEZE,
    ENV_HTTP,
    ENV_JWT_SECRET,
    ENV_LOOP,
    ENV_POOL_RESET,
    ENV_ROWS,
    Server,
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
from spotcheck.domain.regions import Regions

MAX_WARMUP_SECONDS = 2.0
COMPARE_PAGES = 3

# The target from the issue.
TARGET_CLIENTS = 32
TARGET_P99_MS = 150.0

Results = dict[str, Any]
Row = dict[str, Any]

log = logger("api")


# Variants of our server, each measured like ours in the same run (``--variants``): the levers
# of issue 17 one by one, from the server as it was measured there (asyncio and h11, asyncpg's
# reset query on every release, the general executor, no gc.freeze) to ours as it serves now:
# each variant adds one lever, and ours adds the last (the collector's freeze at start).
_NO_FREEZE = {ENV_GC_FREEZE: "off"}
_GENERAL = {"SPOTCHECK_COMPILED": "off", **_NO_FREEZE}
_FAST_HTTP = {ENV_LOOP: "uvloop", ENV_HTTP: "httptools"}
VARIANTS: dict[str, dict[str, str]] = {
    "asyncio-h11-reset": {ENV_LOOP: "asyncio", ENV_HTTP: "h11", ENV_POOL_RESET: "full", **_GENERAL},
    "uvloop-httptools-reset": {**_FAST_HTTP, ENV_POOL_RESET: "full", **_GENERAL},
    "general-executor": {**_FAST_HTTP, **_GENERAL},
    "compiled-no-gc-freeze": {**_FAST_HTTP, **_NO_FREEZE},
}


@dataclass(frozen=True)
class Options:
    clients: int = 32
    seconds: float = 15.0
    subjects: int = 20_000
    variants: tuple[str, ...] = ()
    postgraphile: bool = True

    @property
    def warmup(self) -> float:
        return min(MAX_WARMUP_SECONDS, self.seconds)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        # ``bench scale`` shares these options without the api bench's peers and variants.
        variants = tuple(v for v in (getattr(args, "variants", None) or "").split(",") if v)
        if variants == ("all",):
            variants = tuple(VARIANTS)
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            raise SystemExit(f"unknown variants {unknown}: choose from {', '.join(VARIANTS)}, all")
        opts = cls(
            clients=int(args.clients),
            seconds=float(args.seconds),
            subjects=int(args.subjects),
            variants=variants,
            postgraphile=not getattr(args, "skip_postgraphile", False),
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
        "asyncpg": _version("asyncpg"),
        "httpx": _version("httpx"),
    }


@dataclass(frozen=True)
class Session:
    """What every measurement of one run shares."""

    opts: Options
    postmaster_pid: int | None

    async def load(self, server: Server, headers: dict[str, str], query: str = QUERY) -> Results:
        """The server under ``opts.clients`` closed-loop clients: the Node.js load generator,
        else (no node) the httpx one."""
        o = self.opts
        log(f"{server.name}: {o.clients} clients, {o.warmup:g} s warm-up, {o.seconds:g} s")
        if node_binary() is None:
            figures = await measure(
                server.base_url, server.process.pid, headers, o.clients, o.warmup, o.seconds
            )
            cpu, n = figures["cpu"], figures["requests"]
            if cpu["server_percent"] is not None and n:
                cpu["server_ms_per_request"] = round(
                    10 * cpu["server_percent"] * figures["seconds"] / n, 3
                )
            figures["requests_per_cpu_second"] = None
            cores = (cpu["load_generator_percent"] or 0.0) / 100
            figures["load_generator"] = {"kind": "httpx (node not found)"}
            figures["valid"] = cores <= MAX_LOAD_GENERATOR_CORES
            figures["invalid_reason"] = None if figures["valid"] else "load generator over 0.5 core"
            return figures
        return await measure_node(
            server.base_url,
            CpuMeter(server.process.pid, self.postmaster_pid),
            headers={"content-type": "application/json", **headers},
            query=query,
            connection="subjects",
            clients=o.clients,
            warmup=o.warmup,
            seconds=o.seconds,
        )


def _ours_env(target: Target, secret: bytes, variant: dict[str, str]) -> dict[str, str]:
    return {ENV_DATABASE_URL: target.app_url, ENV_JWT_SECRET: secret.hex(), **variant}


async def run_ours(target: Target, session: Session, secret: bytes) -> tuple[Results, list[Row]]:
    """Phase (a), and the rows our server serves (for the peers)."""
    headers = {"authorization": f"Bearer {mint(INSPECTOR, bench_tokens(secret))}"}
    async with uvicorn_server("ours", _ours_env(target, secret, {}), healthz) as server:
        began = time.monotonic()
        rows = await walk_all(server.base_url, headers)
        log(f"ours: read {len(rows)} subjects in {time.monotonic() - began:.1f} s (one client)")
        figures = await session.load(server, headers)
        pages = await first_pages(server.base_url, headers, COMPARE_PAGES)
    figures["name"] = "spotcheck (create_app, INSPECTOR bearer token, PostgreSQL)"
    return {**figures, "first_pages": pages}, rows


async def run_variant(target: Target, session: Session, secret: bytes, name: str) -> Results:
    """One lever undone (``VARIANTS``), measured like ours."""
    headers = {"authorization": f"Bearer {mint(INSPECTOR, bench_tokens(secret))}"}
    env = _ours_env(target, secret, VARIANTS[name])
    async with uvicorn_server("ours", env, healthz, f"ours, {name}") as server:
        await first_pages(server.base_url, headers, 1)
        figures = await session.load(server, headers)
    figures["name"] = name
    figures["settings"] = {
        k.removeprefix("SPOTCHECK_BENCH_").lower(): v for k, v in VARIANTS[name].items()
    }
    return figures


async def run_reference(rows: list[Row], session: Session) -> Results:
    """Phase (b): the same rows in memory, bare strawberry."""
    fd, path = tempfile.mkstemp(prefix="spotcheck-bench-rows-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(orjson.dumps(rows))
        async with uvicorn_server("reference", {ENV_ROWS: path}, typename) as server:
            pages = await first_pages(server.base_url, {}, COMPARE_PAGES)
            figures = await session.load(server, {})
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    figures["name"] = (
        f"bare strawberry-graphql {_version('strawberry-graphql')} ASGI app, rows in memory"
    )
    return {**figures, "first_pages": pages}


async def run_postgraphile(target: Target, session: Session) -> Results:
    """Phase (c): PostGraphile over views of our read tables."""
    folder = await asyncio.to_thread(pg.ensure_installed, log)
    owner = await connect(target.owner_url)
    try:
        await pg.make_views(owner, Regions.load())
    finally:
        await owner.close()
    async with pg.postgraphile_server(folder, target.app_url) as server:
        pages = await first_pages(server.base_url, {}, COMPARE_PAGES, pg.QUERY)
        figures = await session.load(server, {}, pg.QUERY)
    figures["name"] = f"PostGraphile {pg.version_installed(folder)} over views of our read tables"
    return {**figures, "first_pages": pages}


def same_nodes(ours: list[Any], theirs: list[Any]) -> bool:
    """The same subjects, fields and order, page by page (cursors are each server's own)."""

    def strip(pages: list[Any]) -> list[Any]:
        return [(p["nodes"], p["pageInfo"]["hasNextPage"]) for p in pages]

    return strip(ours) == strip(theirs)


async def postmaster_pid(owner: asyncpg.Connection, database: str) -> int | None:
    """The embedded cluster's postmaster, whose children's CPU is PostgreSQL's share."""
    if not database.startswith("embedded"):
        return None
    with contextlib.suppress(OSError, ValueError, asyncpg.PostgresError):
        datadir = Path(await owner.fetchval("SHOW data_directory"))
        return int((datadir / "postmaster.pid").read_text().split()[0])
    return None


def _target(value: float | None, bound: float, *, at_least: bool, clients: int) -> Results:
    """A verdict only at the issue's client count and with the peer measured, else None."""
    t: Results = {"value": value, ("min" if at_least else "max"): bound, "met": None}
    if clients != TARGET_CLIENTS:
        t["note"] = f"measured at {clients} clients; the target is at {TARGET_CLIENTS}"
    elif value is None:
        t["note"] = "the peer was not measured"
    else:
        t["met"] = value >= bound if at_least else value < bound
    return t


def targets(out: Results) -> Results:
    """The issue's bar: ≥ 1x PostGraphile and the bare strawberry reference in req/s, p99 under
    150 ms, at 32 clients, one worker process, with no errors."""
    clients = out["settings"]["clients"]
    ratios = out["ratios"]
    found: Results = {
        "p99_ms": _target(
            out["ours"]["latency_ms"]["p99"], TARGET_P99_MS, at_least=False, clients=clients
        ),
        "requests_per_s_vs_postgraphile": _target(
            ratios["postgraphile"]["requests_per_s"], 1.0, at_least=True, clients=clients
        ),
        "requests_per_s_vs_reference": _target(
            ratios["reference"]["requests_per_s"], 1.0, at_least=True, clients=clients
        ),
    }
    if out["ours"]["errors"]:
        for t in found.values():
            t["met"] = False if t["met"] is not None else None
    for t in found.values():
        t["clients"], t["target_clients"] = clients, TARGET_CLIENTS
    return found


def _ratios(ours: Results, peer: Results | None) -> Results:
    """ours / peer; > 1 means ours is slower (p99, CPU) or faster (req/s)."""
    if peer is None:
        return dict.fromkeys(
            ("requests_per_s", "p99", "server_ms_per_request", "requests_per_cpu_second")
        )
    return {
        "requests_per_s": ratio(ours["requests_per_s"], peer["requests_per_s"]),
        "p99": ratio(ours["latency_ms"]["p99"], peer["latency_ms"]["p99"]),
        "server_ms_per_request": ratio(
            ours["cpu"].get("server_ms_per_request") or 0.0,
            peer["cpu"].get("server_ms_per_request"),
        ),
        "requests_per_cpu_second": ratio(
            ours.get("requests_per_cpu_second") or 0.0, peer.get("requests_per_cpu_second")
        ),
    }


def validity(measured: dict[str, Results]) -> tuple[bool, list[str]]:
    reasons = [
        f"{name}: {fig['invalid_reason']}" for name, fig in measured.items() if not fig["valid"]
    ]
    return not reasons, reasons


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
        session = Session(opts, await postmaster_pid(owner, database))
    finally:
        await owner.close()
    skipped = None if opts.postgraphile else "--skip-postgraphile"
    skipped = skipped or pg.unavailable_reason()
    data = await load_data(target, opts.subjects)
    secret = secrets.token_bytes(32)
    ours, rows = await run_ours(target, session, secret)
    data["rows_served"] = len(rows)
    levers = [await run_variant(target, session, secret, name) for name in opts.variants]
    reference = await run_reference(rows, session)
    peer = None if skipped else await run_postgraphile(target, session)
    ours_pages = ours.pop("first_pages")
    same = ours_pages == reference.pop("first_pages")
    same_pg = None if peer is None else same_nodes(ours_pages, peer.pop("first_pages"))
    measured = {"ours": ours, "reference": reference, **({"postgraphile": peer} if peer else {})}
    measured.update({f"variant {v['name']}": v for v in levers})
    valid, reasons = validity(measured)
    out: Results = {
        "benchmark": "spotcheck bench api",
        "settings": {
            "clients": opts.clients,
            "seconds": opts.seconds,
            "warmup_seconds": opts.warmup,
            "subjects": opts.subjects,
            "page_size": PAGE_SIZE,
            "query": QUERY,
            "postgraphile_query": pg.QUERY,
            "database": database,
            "variants": list(opts.variants),
        },
        "machine": machine,
        "data": data,
        "ours": ours,
        "reference": reference,
        "postgraphile": peer,
        "postgraphile_skipped": skipped,
        "levers": levers,
        "same_first_pages": same,
        "same_first_pages_postgraphile": same_pg,
        "ratios": {
            "reference": _ratios(ours, reference),
            "postgraphile": _ratios(ours, peer),
            "levers": {v["name"]: _ratios(ours, v) for v in levers},
        },
        "valid": valid,
        "invalid_reasons": reasons,
    }
    out["machine"]["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
    out["targets"] = targets(out)
    out["ok"] = (
        all(fig["errors"] == 0 for fig in measured.values())
        and same
        and same_pg is not False
        and data["rows_served"] == opts.subjects
    )
    return out


# --- the database -----------------------------------------------------------------------------


async def _run(opts: Options) -> Results:
    async with provisioned_database(log) as (target, label):
        return await run_benchmark(target, opts, database=label)


# --- output -----------------------------------------------------------------------------------


def main(args: argparse.Namespace) -> int:
    opts = Options.from_args(args)
    results = asyncio.run(_run(opts))
    print(to_json(results) if args.json else render_table(results))
    return 0 if results["ok"] else 1
