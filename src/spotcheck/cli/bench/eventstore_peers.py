"""The peers of ``spotcheck bench eventstore``, what our store is measured against: the
``eventsourcing`` library's PostgreSQL recorder (for single-event transactions) and raw asyncpg
COPY into a copy of the ``events`` table (for bulk appends)."""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import asyncpg
import orjson

from spotcheck.cli.bench.common import Results, logger
from spotcheck.cli.bench.eventstore_workload import (
    EVENT_TYPE,
    bench_data,
    bench_metadata,
    rate,
    timed_rounds,
)
from spotcheck.db.urls import database_name
from spotcheck.eventstore.rows import COPY_COLUMNS

PEER_SCHEMA = "bench_peer"
COPY_TABLE = "raw_copy_events"
BARRIER_TIMEOUT = 120.0

log = logger("eventstore")


# --- (d) raw COPY, the physical reference for bulk appends ----------------------------------


def copy_rows(r: int, events: int) -> list[tuple[Any, ...]]:
    """Rows as the store writes them, prepared beforehand (jsonb as JSON text); seq and
    recorded_at come from the same column defaults the store relies on."""
    rows: list[tuple[Any, ...]] = []
    for i in range(events):
        rows.append(
            (
                uuid.uuid4(),
                f"copy-{r}-{i}",
                1,
                EVENT_TYPE,
                1,
                orjson.dumps(bench_data(r, i)).decode(),
                orjson.dumps(bench_metadata(r, i).to_json()).decode(),
            )
        )
    return rows


async def copy_phase(owner_url: str, events: int, rounds: int) -> Results:
    # A plain asyncpg connection (no jsonb codec): the JSON text goes out as it is.  The table
    # copies the columns, defaults (next_event_seq()), constraints and indexes of events.
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute(f"CREATE TABLE {COPY_TABLE} (LIKE events INCLUDING ALL)")
        times: list[float] = []
        for r in range(rounds):
            rows = copy_rows(r, events)
            start = time.monotonic()
            async with conn.transaction():
                await conn.copy_records_to_table(COPY_TABLE, records=rows, columns=COPY_COLUMNS)
            times.append(time.monotonic() - start)
            log(f"raw COPY round {r + 1}/{rounds}: {events} rows in {times[-1]:.3f} s")
        return timed_rounds(events, times)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {COPY_TABLE}")
        await conn.close()


# --- (b) the peer: eventsourcing's PostgreSQL recorder --------------------------------------


@functools.cache
def _peer_classes() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """eventsourcing's Application and our aggregate (defined once: topics are registered)."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate

    class BenchInspection(Aggregate):
        def __init__(self, data: dict[str, Any], metadata: dict[str, str]) -> None:
            self.data = data
            self.metadata = metadata

    return Application, BenchInspection


def peer_env(owner_url: str, writers: int) -> dict[str, str]:
    """The recorder's settings, by its environment variable names, for the owner's database."""
    parts = urlsplit(owner_url)
    query = dict(parse_qsl(parts.query))
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": unquote(database_name(owner_url)),
        # For the embedded server, the socket directory (its data directory).
        "POSTGRES_HOST": query.get("host") or parts.hostname or "",
        "POSTGRES_PORT": str(parts.port or query.get("port") or 5432),
        "POSTGRES_USER": unquote(parts.username or ""),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_SCHEMA": PEER_SCHEMA,
        "POSTGRES_POOL_SIZE": str(writers),
        "POSTGRES_MAX_OVERFLOW": "0",
        "POSTGRES_CONNECT_TIMEOUT": "30",
        "CREATE_TABLE": "y",
    }


def _peer_writer(
    app: Any,
    aggregate: Callable[..., Any],
    writer: int,
    barrier: threading.Barrier,
    clock: dict[str, float],
) -> int:
    app.save(aggregate(bench_data(writer, 0), bench_metadata(writer, 0).to_json()))  # warm-up
    barrier.wait(BARRIER_TIMEOUT)
    deadline = clock["deadline"]
    i = 0
    while time.monotonic() < deadline:
        app.save(aggregate(bench_data(writer, i), bench_metadata(writer, i).to_json()))
        i += 1
    return i


def run_peer(env: dict[str, str], writers: int, seconds: float) -> Results:
    application, aggregate = _peer_classes()
    app = application(env=env)
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock["start"] = time.monotonic()
        clock["deadline"] = clock["start"] + seconds

    barrier = threading.Barrier(writers, action=start_clock)
    try:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            futures = [
                pool.submit(_peer_writer, app, aggregate, w, barrier, clock) for w in range(writers)
            ]
            counts = [f.result() for f in futures]
        elapsed = time.monotonic() - clock["start"]
    finally:
        app.close()
    events = sum(counts)
    return {
        "name": f"eventsourcing {importlib.metadata.version('eventsourcing')} "
        "PostgresApplicationRecorder",
        "writers": writers,
        "events": events,
        "seconds": round(elapsed, 6),
        "events_per_s": rate(events, elapsed),
    }


async def peer_phase(
    owner_url: str, writers: int, seconds: float, *, skip: bool
) -> tuple[Results | None, str | None]:
    """The peer's figures, or None and the reason there are none."""
    if skip:
        return None, "skipped (--skip-peer)"
    try:
        _peer_classes()
        import eventsourcing.postgres  # noqa: F401  (needs psycopg and psycopg_pool)
    except ImportError as exc:
        return None, f"eventsourcing's PostgreSQL recorder is not importable: {exc}"
    conn = await asyncpg.connect(owner_url)
    try:
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {PEER_SCHEMA}")
        log(f"peer: eventsourcing, {writers} threads for {seconds:g} s")
        try:
            env = peer_env(owner_url, writers)
            return await asyncio.to_thread(run_peer, env, writers, seconds), None
        except Exception as exc:
            log(f"peer failed: {exc!r}")
            return None, f"the peer failed: {exc!r}"
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {PEER_SCHEMA} CASCADE")
        await conn.close()
