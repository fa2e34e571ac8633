"""The Node.js load generator of ``spotcheck bench api`` (``api_load.mjs``) and the CPU meter.

One Node.js process runs every client (closed loop, keep-alive HTTP/1.1, no npm packages): it
costs a fraction of the CPU of the httpx clients, which used a whole core against a fast server
(issue 17).  It reports its own CPU time over the measured window; the run is invalid when it
used more than half a core, because then the client, not the server, may set the pace.

While it runs, this process reads the CPU time of the server process and of the PostgreSQL
backends (the children of the postmaster, when the cluster runs on this machine) at the start
and the end of the window: CPU per request is their difference over the requests served.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from spotcheck.cli.bench.api_load import PAGE_SIZE, Tally, process_cpu_seconds, summary

SCRIPT = Path(__file__).with_name("api_load.mjs")
MAX_LOAD_GENERATOR_CORES = 0.5
# Its last line lists every latency: about 10 bytes each, a million requests within the limit.
OUTPUT_LIMIT = 64 * 1024 * 1024
EXTRA_SECONDS = 90.0  # beyond warm-up and window: a client's last request may take this long

Results = dict[str, Any]


def node_binary() -> str | None:
    return shutil.which("node")


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@dataclass
class CpuSnapshot:
    server: float | None
    postgres: dict[int, float] = field(default_factory=dict)


class CpuMeter:
    """CPU seconds of ``server_pid`` and of the children of ``postmaster_pid`` (None: not local)."""

    def __init__(self, server_pid: int, postmaster_pid: int | None) -> None:
        self.server_pid = server_pid
        self.postmaster_pid = postmaster_pid

    def snapshot(self) -> CpuSnapshot:
        backends: dict[int, float] = {}
        if self.postmaster_pid is not None:
            for pid in _children(self.postmaster_pid):
                used = process_cpu_seconds(pid)
                if used is not None:
                    backends[pid] = used
        return CpuSnapshot(process_cpu_seconds(self.server_pid), backends)

    @staticmethod
    def used(before: CpuSnapshot, after: CpuSnapshot) -> tuple[float | None, float | None]:
        """(server, PostgreSQL) CPU seconds between the snapshots; a backend started in between
        counts from zero (its start is part of the load)."""
        server = None
        if before.server is not None and after.server is not None:
            server = after.server - before.server
        postgres = None
        if after.postgres:
            postgres = sum(v - before.postgres.get(pid, 0.0) for pid, v in after.postgres.items())
        return server, postgres


def _per_request_ms(seconds: float | None, requests: int) -> float | None:
    return round(1000 * seconds / requests, 3) if seconds is not None and requests else None


async def measure_node(
    base_url: str,
    meter: CpuMeter,
    *,
    headers: dict[str, str],
    query: str,
    connection: str,
    clients: int,
    warmup: float,
    seconds: float,
) -> Results:
    """``clients`` walkers of ``{base_url}/graphql`` in one Node.js process."""
    node = node_binary()
    if node is None:
        raise RuntimeError("node is needed for the load generator")
    settings = {
        "url": f"{base_url}/graphql",
        "headers": headers,
        "query": query,
        "connection": connection,
        "clients": clients,
        "warmup": warmup,
        "seconds": seconds,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        limit=OUTPUT_LIMIT,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        async with asyncio.timeout(warmup + seconds + EXTRA_SECONDS):
            process.stdin.write(orjson.dumps(settings))
            await process.stdin.drain()
            process.stdin.close()
            line = await process.stdout.readline()
            before = meter.snapshot() if line.strip() == b"start" else None
            began = time.perf_counter()
            last = await process.stdout.readline()
            after = meter.snapshot()
            wall = time.perf_counter() - began
            stderr = await process.stderr.read() if process.stderr else b""
            status = await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if status != 0 or before is None or not last:
        raise RuntimeError(f"the load generator failed ({status}): {stderr.decode()[-2000:]}")
    out = orjson.loads(last)
    return _figures(out, before, after, wall, clients, warmup)


def _figures(
    out: Results,
    before: CpuSnapshot,
    after: CpuSnapshot,
    wall: float,
    clients: int,
    warmup: float,
) -> Results:
    tally = Tally(
        latencies=[v / 1000 for v in out["latencies_ms"]],
        errors=out["errors"],
        error_samples=out["error_samples"],
        restarts=out["walks_completed"],
    )
    figures = summary(tally, clients, 0.0, warmup)
    # The client's own window: from its start to its last counted answer.
    elapsed = float(out["seconds"])
    n = figures["requests"]
    figures["seconds"] = round(elapsed, 6)
    figures["requests_per_s"] = round(n / elapsed, 1) if elapsed > 0 else 0.0
    figures["subjects_per_s"] = round(figures["requests_per_s"] * PAGE_SIZE, 1)
    server, postgres = CpuMeter.used(before, after)
    generator_cores = (
        out["cpu_seconds"] / out["wall_seconds"]
        if out["cpu_seconds"] is not None and out["wall_seconds"]
        else None
    )
    figures["cpu"] = {
        "server_percent": round(100 * server / wall, 1) if server is not None else None,
        "server_ms_per_request": _per_request_ms(server, n),
        "postgres_percent": round(100 * postgres / wall, 1) if postgres is not None else None,
        "postgres_ms_per_request": _per_request_ms(postgres, n),
        "load_generator_percent": (
            round(100 * generator_cores, 1) if generator_cores is not None else None
        ),
    }
    # Per core: requests over the CPU the server and PostgreSQL spent on them, the figure a
    # shared machine disturbs least (the "ahead of PostGraphile per core").
    spent = (server or 0.0) + (postgres or 0.0)
    figures["requests_per_cpu_second"] = (
        round(n / spent, 1) if server is not None and spent else None
    )
    figures["load_generator"] = {"kind": "node", "node": out["node"]}
    figures["valid"], figures["invalid_reason"] = _validity(generator_cores)
    return figures


def _validity(cores: float | None) -> tuple[bool, str | None]:
    if cores is None:
        return False, "the load generator's CPU is unknown"
    if cores > MAX_LOAD_GENERATOR_CORES:
        return False, (
            f"the load generator used {cores:.2f} cores (> {MAX_LOAD_GENERATOR_CORES:g}): "
            "it may have been the bottleneck"
        )
    return True, None
