"""Reading the sealed ledger, and its status."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.store import record_from_row

MAX_READ = 10_000

SEALED_EVENTS = """
SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data,
       e.metadata, e.recorded_at, l.position, l.chain_hash
  FROM ledger l JOIN events e ON e.seq = l.seq
"""
"""Sealed events with their positions, in the columns ``record_from_row`` reads: add a WHERE."""

_READ_LEDGER = (
    SEALED_EVENTS
    + """ WHERE l.position > $1
 ORDER BY l.position
 LIMIT $2
"""
)


async def read_ledger(
    conn: asyncpg.Connection | asyncpg.Pool, after_position: int = 0, limit: int = 1000
) -> list[RecordedEvent]:
    """Sealed events with positions greater than ``after_position``, in ledger order."""
    rows = await conn.fetch(_READ_LEDGER, after_position, min(max(limit, 0), MAX_READ))
    return [record_from_row(r) for r in rows]


@dataclass(frozen=True)
class LedgerStatus:
    head_position: int
    head_hash: bytes | None
    unsealed_count: int
    sealer_lag_ms: float
    """Age of the oldest committed event not yet sealed (0 when all are sealed)."""


_STATUS = """
WITH head AS (SELECT position, seq, chain_hash FROM ledger ORDER BY position DESC LIMIT 1)
SELECT (SELECT position FROM head) AS position,
       (SELECT chain_hash FROM head) AS chain_hash,
       count(e.seq) AS unsealed,
       coalesce(extract(epoch FROM clock_timestamp() - min(e.recorded_at)) * 1000, 0) AS lag_ms
  FROM events e
 WHERE e.seq > coalesce((SELECT seq FROM head), 0)
"""


async def ledger_status(conn: asyncpg.Connection | asyncpg.Pool) -> LedgerStatus:
    row = await conn.fetchrow(_STATUS)
    assert row is not None
    return LedgerStatus(
        head_position=row["position"] or 0,
        head_hash=bytes(row["chain_hash"]) if row["chain_hash"] is not None else None,
        unsealed_count=row["unsealed"],
        sealer_lag_ms=float(row["lag_ms"]),
    )
