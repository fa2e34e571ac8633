"""The load generator of ``spotcheck bench api``: asyncio clients walking the pages of one query
over keep-alive connections, every request's latency tallied, nearest-rank percentiles, and the
CPU the server and the generator used over the measured window."""

from __future__ import annotations

import asyncio
import math
import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

PAGE_SIZE = 50
QUERY = (
    "query Page($after: String) { subjects(first: 50, after: $after) { nodes { key name kind"
    " region { code name } industry status riskClass address maintainingDepartment { code name }"
    " } pageInfo { endCursor hasNextPage } } }"
)
REQUEST_TIMEOUT = 60.0
ERROR_SAMPLES = 5

Results = dict[str, Any]
Row = dict[str, Any]


def request_body(after: str | None, query: str = QUERY) -> bytes:
    return orjson.dumps({"query": query, "variables": {"after": after}})


class RequestFailed(Exception):
    pass


def page_of(status: int, content: bytes) -> dict[str, Any]:
    """The ``subjects`` connection of a response; RequestFailed on a non-200 or any error."""
    if status != 200:
        raise RequestFailed(f"HTTP {status}: {content[:300].decode(errors='replace')}")
    body = orjson.loads(content)
    if body.get("errors"):
        raise RequestFailed(f"errors: {orjson.dumps(body['errors'])[:300].decode()}")
    page: dict[str, Any] = body["data"]["subjects"]
    return page


def next_after(page: dict[str, Any]) -> str | None:
    info = page["pageInfo"]
    return str(info["endCursor"]) if info["hasNextPage"] else None


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    restarts: int = 0
    last_end: float = 0.0

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(message)


async def _client(
    http: httpx.AsyncClient, headers: dict[str, str], start: float, end: float, tally: Tally
) -> None:
    """Walk the pages until ``end``; requests sent from ``start`` on are counted."""
    after: str | None = None
    while True:
        sent = time.perf_counter()
        if sent >= end:
            return
        counted = sent >= start
        try:
            r = await http.post("/graphql", content=request_body(after), headers=headers)
            page = page_of(r.status_code, r.content)
        except Exception as exc:  # any failure is an error of the run, not of the benchmark
            if counted:
                tally.error(repr(exc)[:300])
            after = None
            continue
        done = time.perf_counter()
        if counted:
            tally.latencies.append(done - sent)
            tally.last_end = max(tally.last_end, done)
        after = next_after(page)
        if after is None and counted:
            tally.restarts += 1


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def summary(tally: Tally, clients: int, start: float, warmup: float) -> Results:
    lat = sorted(tally.latencies)
    elapsed = max(tally.last_end - start, 0.0)
    ms = [v * 1000 for v in lat]
    return {
        "clients": clients,
        "warmup_seconds": warmup,
        "requests": len(lat),
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "seconds": round(elapsed, 6),
        "requests_per_s": round(len(lat) / elapsed, 1) if elapsed > 0 else 0.0,
        "subjects_per_s": round(len(lat) * PAGE_SIZE / elapsed, 1) if elapsed > 0 else 0.0,
        "walks_completed": tally.restarts,
        "latency_ms": {
            "p50": round(percentile(ms, 0.50), 3),
            "p90": round(percentile(ms, 0.90), 3),
            "p99": round(percentile(ms, 0.99), 3),
            "max": round(ms[-1], 3) if ms else 0.0,
            "mean": round(sum(ms) / len(ms), 3) if ms else 0.0,
        },
    }


def load_client(base_url: str, clients: int) -> httpx.AsyncClient:
    limits = httpx.Limits(
        max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=60.0
    )
    return httpx.AsyncClient(
        base_url=base_url, limits=limits, timeout=REQUEST_TIMEOUT, http1=True, http2=False
    )


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU used by the server process and by this one (the load generator) over the window."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.began: tuple[float, float | None, float] | None = None

    def start(self) -> None:
        self.began = (time.perf_counter(), process_cpu_seconds(self.server_pid), own_cpu_seconds())

    def figures(self) -> Results:
        if self.began is None:
            return {"server_percent": None, "load_generator_percent": None}
        wall0, server0, own0 = self.began
        wall = time.perf_counter() - wall0
        server1 = process_cpu_seconds(self.server_pid)
        server = None if server0 is None or server1 is None else server1 - server0
        return {
            "server_percent": round(100 * server / wall, 1) if server is not None else None,
            "load_generator_percent": round(100 * (own_cpu_seconds() - own0) / wall, 1),
        }


async def measure(
    base_url: str,
    server_pid: int,
    headers: dict[str, str],
    clients: int,
    warmup: float,
    seconds: float,
) -> Results:
    """``clients`` walkers of the server at ``base_url`` (process ``server_pid``, for its CPU):
    ``warmup`` seconds not counted, then ``seconds``."""
    tally = Tally()
    meter = CpuMeter(server_pid)
    all_headers = {"content-type": "application/json", **headers}
    async with load_client(base_url, clients) as http:
        start = time.perf_counter() + warmup
        end = start + seconds
        loop = asyncio.get_running_loop()
        timer = loop.call_later(warmup, meter.start)
        try:
            await asyncio.gather(
                *(_client(http, all_headers, start, end, tally) for _ in range(clients))
            )
        finally:
            timer.cancel()
        cpu = meter.figures()
    return {**summary(tally, clients, start, warmup), "cpu": cpu}


async def walk_all(base_url: str, headers: dict[str, str]) -> list[Row]:
    """Every node of the query, page after page, as plain dicts."""
    rows: list[Row] = []
    all_headers = {"content-type": "application/json", **headers}
    async with load_client(base_url, 1) as http:
        after: str | None = None
        while True:
            r = await http.post("/graphql", content=request_body(after), headers=all_headers)
            page = page_of(r.status_code, r.content)
            rows.extend(page["nodes"])
            after = next_after(page)
            if after is None:
                return rows


async def first_pages(
    base_url: str, headers: dict[str, str], pages: int, query: str = QUERY
) -> list[Any]:
    out: list[Any] = []
    all_headers = {"content-type": "application/json", **headers}
    async with load_client(base_url, 1) as http:
        after: str | None = None
        for _ in range(pages):
            r = await http.post("/graphql", content=request_body(after, query), headers=all_headers)
            page = page_of(r.status_code, r.content)
            out.append(page)
            after = next_after(page)
            if after is None:
                break
    return out
