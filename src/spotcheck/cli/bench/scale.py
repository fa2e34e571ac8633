"""``spotcheck bench scale``: the ``bench api`` page served by 1 and 2 processes, and with its
reads on a streaming replica (issue 18).

One run, one machine: a throwaway embedded primary loaded with ``--subjects`` demo subjects
through the real write path (``api_seed.load_data``), a hot standby of it made with the wheel's
``pg_basebackup`` (``spotcheck.db.standby``), then three servers in turn, each the real
``spotcheck serve`` in a subprocess on the primary:

- ``one_process``: ``--workers 1``;
- ``two_processes``: ``--workers 2``;
- ``two_processes_replica``: ``--workers 2`` with ``SPOTCHECK_REPLICA_URLS`` naming the standby,
  so the page's queries run there (the account lookup stays on the primary).

Each is measured with ``bench api``'s own load generator (the Node.js one, else
``api_load.measure``: closed-loop clients walking the page with ``after``), after the same
warm-up, with its options (``api.Options``: ``--clients``, ``--seconds``, ``--subjects``).
Beside req/s and latency, each run reports the CPU used in its window by the server's processes
(the supervisor and its workers), by the primary's and the standby's PostgreSQL processes, and
by the load generator, and how many transactions the standby ran (which shows where the reads
went). The ratios are against the one-process run of the same invocation. Other work on the
machine skews every figure: the load average is reported at the start and the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from spotcheck.auth.tokens import TokenSettings, mint
from spotcheck.cli.bench.api import Options
from spotcheck.cli.bench.api_load import PAGE_SIZE, QUERY, measure, process_cpu_seconds
from spotcheck.cli.bench.api_node import CpuMeter, measure_node, node_binary
from spotcheck.cli.bench.api_seed import INSPECTOR, load_data
from spotcheck.cli.bench.api_servers import _stop_process
from spotcheck.cli.bench.common import Target, logger, machine_facts, ratio, to_json
from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.migrate import migrate
from spotcheck.db.pool import connect
from spotcheck.db.standby import start_standby
from spotcheck.db.urls import APP_ROLE, with_database, with_user

DATABASE = "spotcheck_bench"
READY_TIMEOUT = 120.0
RUNS = (
    ("one_process", 1, False),
    ("two_processes", 2, False),
    ("two_processes_replica", 2, True),
)

Results = dict[str, Any]
log = logger("scale")


# --- processes and their CPU ------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def _workers(pid: int) -> list[int]:
    """The uvicorn workers among ``pid``'s children (not multiprocessing's resource tracker)."""
    found = []
    for child in _children(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(_children(p))
    return out


def cpu_of(pids: list[int]) -> float:
    return sum(process_cpu_seconds(p) or 0.0 for p in pids)


def postmaster(pg: EmbeddedPostgres) -> int:
    return int((pg.datadir / "postmaster.pid").read_text().split()[0])


class TreeMeter:
    """CPU seconds used by process trees over a window (processes alive at its end)."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self.began: dict[str, float] = {}
        self.began_each: dict[int, float] = {}
        self.started = 0.0

    def start(self) -> None:
        self.started = time.perf_counter()
        self.began = {name: cpu_of(tree(pid)) for name, pid in self.roots.items()}
        self.began_each = {p: cpu_of([p]) for p in _workers(self.roots["server"])}

    def workers(self) -> list[float]:
        """Each server worker's share (the supervisor's children), largest first: how evenly
        the kernel spread the connections."""
        wall = time.perf_counter() - self.started
        return sorted(
            (round(100 * (cpu_of([p]) - cpu) / wall, 1) for p, cpu in self.began_each.items()),
            reverse=True,
        )

    def percents(self) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        return {
            name: round(100 * (cpu_of(tree(pid)) - self.began[name]) / wall, 1)
            for name, pid in self.roots.items()
        }


# --- the databases ----------------------------------------------------------------------------


@dataclass
class Cluster:
    base: Path
    primary: EmbeddedPostgres
    standby: EmbeddedPostgres | None = None

    @property
    def target(self) -> Target:
        owner = with_database(self.primary.url(), DATABASE)
        return Target(owner, with_user(owner, APP_ROLE))

    @property
    def replica_url(self) -> str:
        assert self.standby is not None
        return with_user(with_database(self.standby.url(), DATABASE), APP_ROLE)


def _new_cluster() -> Cluster:
    base = Path(tempfile.mkdtemp(prefix="spotcheck-bench-scale-"))
    base.chmod(0o755)  # the servers may run as another user (spotcheck.db.embedded)
    log(f"embedded primary and standby in {base}")
    return Cluster(base, EmbeddedPostgres.prepare(base / "primary"))


@contextlib.asynccontextmanager
async def cluster() -> AsyncIterator[Cluster]:
    c = await asyncio.to_thread(_new_cluster)
    try:
        await asyncio.to_thread(c.primary.start)
        conn = await connect(c.primary.url())
        try:
            await conn.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await conn.close()
        await asyncio.to_thread(migrate, c.target.owner_url)
        yield c
    finally:
        if c.standby is not None:
            await asyncio.to_thread(c.standby.stop)
        await asyncio.to_thread(c.primary.stop)
        await asyncio.to_thread(shutil.rmtree, c.base, ignore_errors=True)


async def standby_transactions(c: Cluster) -> int:
    assert c.standby is not None
    conn = await connect(c.standby.url())
    try:
        n = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1",
            DATABASE,
        )
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        return int(n or 0)
    finally:
        await conn.close()


# --- the servers ------------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def _serve_process(
    env: dict[str, str], workers: int, out: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "spotcheck.cli.main", "serve", "--workers", str(workers)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        _stop_process(proc)  # SIGTERM to its group (a graceful stop), SIGKILL if it lingers


async def _wait_ready(proc: subprocess.Popen[bytes], url: str, workers: int, out: Path) -> None:
    """/healthz answers, and every worker has started (each one's startup line)."""
    async with asyncio.timeout(READY_TIMEOUT), httpx.AsyncClient(base_url=url) as http:
        while True:
            output = await asyncio.to_thread(out.read_text, errors="replace")
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited {proc.returncode}:\n{output[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                started = output.count("Application startup complete")
                if (await http.get("/healthz")).status_code == 200 and started >= workers:
                    return
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def server(
    c: Cluster, workers: int, replica: bool, secret: str
) -> AsyncIterator[tuple[str, int]]:
    """``spotcheck serve --workers N`` on the primary; (its URL, its pid)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": c.target.owner_url,
        "SPOTCHECK_APP_DATABASE_URL": c.target.app_url,
        "SPOTCHECK_HOME": str(c.base / "home"),
        "SPOTCHECK_ENV": "development",
        "SPOTCHECK_PORT": str(port),
        "SPOTCHECK_JWT_SECRET": secret,
        "SPOTCHECK_RATE_LIMIT": "off",
        "SPOTCHECK_LOG_LEVEL": "INFO",  # the workers' startup lines tell that they are up
    }
    env.pop("SPOTCHECK_METRICS_PORT", None)
    if replica:
        env["SPOTCHECK_REPLICA_URLS"] = c.replica_url
    else:
        env.pop("SPOTCHECK_REPLICA_URLS", None)
    out = c.base / f"serve-{port}.log"
    url = f"http://127.0.0.1:{port}"
    with _serve_process(env, workers, out) as proc:
        await _wait_ready(proc, url, workers, out)
        yield url, proc.pid


# --- the run ----------------------------------------------------------------------------------


async def _load(url: str, pid: int, headers: dict[str, str], opts: Options) -> Results:
    """``bench api``'s Node.js load generator (which reports whether it stayed under half a
    core), else its httpx one."""
    if node_binary() is None:
        figures = await measure(url, pid, headers, opts.clients, opts.warmup, opts.seconds)
        figures["load_generator"] = {"kind": "httpx (node not found)"}
        return figures
    return await measure_node(
        url,
        CpuMeter(pid, None),
        headers={"content-type": "application/json", **headers},
        query=QUERY,
        connection="subjects",
        clients=opts.clients,
        warmup=opts.warmup,
        seconds=opts.seconds,
    )


async def run_one(
    c: Cluster, opts: Options, workers: int, replica: bool, secret: str, headers: dict[str, str]
) -> Results:
    assert c.standby is not None
    async with server(c, workers, replica, secret) as (url, pid):
        meter = TreeMeter(
            {"server": pid, "primary": postmaster(c.primary), "standby": postmaster(c.standby)}
        )
        before = await standby_transactions(c)
        loop = asyncio.get_running_loop()
        timer = loop.call_later(opts.warmup, meter.start)
        try:
            figures = await _load(url, pid, headers, opts)
        finally:
            timer.cancel()
        cpu = meter.percents()
        each = meter.workers()
        figures["standby_transactions"] = await standby_transactions(c) - before
    figures["workers"] = workers
    figures["reads_on_replica"] = replica
    figures["cpu"] = {
        "server_percent": cpu["server"],
        "server_worker_percents": each if workers > 1 else [cpu["server"]],
        "primary_postgres_percent": cpu["primary"],
        "standby_postgres_percent": cpu["standby"],
        "load_generator_percent": figures["cpu"]["load_generator_percent"],
    }
    return figures


async def run_benchmark(opts: Options) -> Results:
    async with cluster() as c:
        owner = await connect(c.target.owner_url)
        try:
            machine = {**await machine_facts(owner), "loadavg_1min": round(os.getloadavg()[0], 2)}
        finally:
            await owner.close()
        data = await load_data(c.target, opts.subjects)
        began = time.monotonic()
        c.standby = await start_standby(c.primary, c.base / "standby")
        data["standby_seconds"] = round(time.monotonic() - began, 3)
        log(f"standby made and started in {data['standby_seconds']} s")
        secret = secrets.token_hex(32)
        tokens = TokenSettings.from_env(
            {"SPOTCHECK_JWT_SECRET": secret}, c.base / "home", production=False
        )
        headers = {"authorization": f"Bearer {mint(INSPECTOR, tokens)}"}
        runs: Results = {}
        for name, workers, replica in RUNS:
            log(
                f"{name}: {workers} process(es), reads on the {'replica' if replica else 'primary'}"
            )
            runs[name] = await run_one(c, opts, workers, replica, secret, headers)
    one, two, rep = (runs[n] for n, _, _ in RUNS)

    def both(a: Results, b: Results) -> Results:
        return {
            "requests_per_s": ratio(a["requests_per_s"], b["requests_per_s"]),
            "p99": ratio(a["latency_ms"]["p99"], b["latency_ms"]["p99"]),
        }

    machine["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
    errors = sum(r["errors"] for r in runs.values())
    return {
        "benchmark": "spotcheck bench scale",
        "settings": {
            "clients": opts.clients,
            "seconds": opts.seconds,
            "warmup_seconds": opts.warmup,
            "subjects": opts.subjects,
            "page_size": PAGE_SIZE,
            "query": QUERY,
            "database": "embedded primary and hot standby (throwaway)",
        },
        "machine": machine,
        "data": data,
        "runs": runs,
        # > 1: the first is faster (req/s) or slower (p99) than the second.
        "ratios": {
            "two_processes_vs_one": both(two, one),
            "two_processes_replica_vs_one": both(rep, one),
            "two_processes_replica_vs_two_processes": both(rep, two),
        },
        "ok": errors == 0
        and rep["standby_transactions"] > 0
        and one["standby_transactions"] == two["standby_transactions"] == 0,
    }


def render_table(r: Results) -> str:
    m, s = r["machine"], r["settings"]
    lines = [
        f"spotcheck bench scale: PostgreSQL {m['postgres_server_version']}, {m['nproc']} CPUs, "
        f"{s['subjects']} subjects, {s['clients']} clients, {s['seconds']:g} s each",
        "",
        f"{'':26}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}{'server':>8}{'primary':>8}"
        f"{'standby':>8}{'client':>8}{'standby tx':>11}",
    ]
    for name, fig in r["runs"].items():
        lat, cpu = fig["latency_ms"], fig["cpu"]
        lines.append(
            f"{name:26}{fig['requests_per_s']:>8.1f}{lat['p50']:>8.1f}{lat['p99']:>8.1f}"
            f"{fig['errors']:>7}{cpu['server_percent']:>7.0f}%{cpu['primary_postgres_percent']:>7.0f}%"
            f"{cpu['standby_postgres_percent']:>7.0f}%{cpu['load_generator_percent']:>7.0f}%"
            f"{fig['standby_transactions']:>11}"
        )
    lines.append("")
    for name, x in r["ratios"].items():
        lines.append(f"{name}: req/s {x['requests_per_s']}x, p99 {x['p99']}x")
    lines.append(
        f"CPU columns: share of one core in the measured window; load average "
        f"{m['loadavg_1min']} at start, {m['loadavg_1min_end']} at the end"
    )
    if not r["ok"]:
        lines.append("the run FAILED: errors, or the reads did not go where they should")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    opts = Options.from_args(args)
    results = asyncio.run(run_benchmark(opts))
    print(to_json(results) if args.json else render_table(results))
    return 0 if results["ok"] else 1
