"""How many WAL flushes (fsyncs) a phase of a benchmark waited for, and how long they took.

Every commit waits until its WAL is on disk; concurrent commits share a flush.  A slow disk
shows here: the same figures for our phase and the peer's tell whether a low ratio came from
the code or from the disk.  PostgreSQL 18 counts WAL I/O in ``pg_stat_io`` (``object =
'wal'``), 14 to 17 in ``pg_stat_wal``; the times are there only with ``track_wal_io_timing``
on (the benchmarks turn it on for their own throwaway cluster).  Backends report their
counters when a transaction ends, at most once a second, so a phase's counters are read
``SETTLE_S`` after it ends.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from spotcheck.cli.bench.common import Results

SETTLE_S = 1.2

_IO_18 = """
SELECT coalesce(sum(fsyncs), 0)::float8 AS fsyncs,
       coalesce(sum(fsync_time), 0)::float8 AS fsync_ms,
       coalesce(sum(writes), 0)::float8 AS writes,
       coalesce(sum(write_time), 0)::float8 AS write_ms
  FROM pg_stat_io WHERE object = 'wal'
"""
_IO_14 = """
SELECT wal_sync::float8 AS fsyncs, wal_sync_time::float8 AS fsync_ms,
       wal_write::float8 AS writes, wal_write_time::float8 AS write_ms
  FROM pg_stat_wal
"""


@dataclass(frozen=True)
class WalCounters:
    fsyncs: float
    fsync_ms: float
    writes: float
    write_ms: float
    timed: bool


async def wal_counters(conn: asyncpg.Connection) -> WalCounters | None:
    """The server's WAL flush counters now; None before PostgreSQL 14 (no such view)."""
    version = int(await conn.fetchval("SHOW server_version_num"))
    if version < 140000:
        return None
    row = await conn.fetchrow(_IO_18 if version >= 180000 else _IO_14)
    assert row is not None
    timed = await conn.fetchval("SHOW track_wal_io_timing") == "on"
    return WalCounters(row["fsyncs"], row["fsync_ms"], row["writes"], row["write_ms"], timed)


async def time_wal_io(conn: asyncpg.Connection) -> bool:
    """Turn ``track_wal_io_timing`` on server-wide: only for a throwaway cluster we own."""
    if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        return False
    await conn.execute("ALTER SYSTEM SET track_wal_io_timing = on")
    await conn.execute("SELECT pg_reload_conf()")
    return True


async def wal_since(
    conn: asyncpg.Connection, before: WalCounters | None, events: int
) -> Results | None:
    """The WAL flushes since ``before`` (read ``SETTLE_S`` from now), per event of the phase."""
    if before is None:
        return None
    await asyncio.sleep(SETTLE_S)
    after = await wal_counters(conn)
    assert after is not None
    fsyncs = after.fsyncs - before.fsyncs
    timed = before.timed and after.timed
    fsync_ms = after.fsync_ms - before.fsync_ms if timed else None
    return {
        "fsyncs": int(fsyncs),
        "events_per_fsync": round(events / fsyncs, 2) if fsyncs else None,
        "fsync_ms_total": None if fsync_ms is None else round(fsync_ms, 1),
        "fsync_ms_avg": None if fsync_ms is None or not fsyncs else round(fsync_ms / fsyncs, 3),
        "writes": int(after.writes - before.writes),
    }
