"""The ``streams`` read table: each stream's version, event count and times."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import orjson

from spotcheck.eventstore.envelope import RecordedEvent

TABLE = "streams"

_UPSERT = """
INSERT INTO streams AS s (stream_id, version, event_count, last_event_type,
                          first_recorded_at, last_recorded_at)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[],
                     $5::timestamptz[], $6::timestamptz[])
ON CONFLICT (stream_id) DO UPDATE SET
    version = excluded.version,
    event_count = s.event_count + excluded.event_count,
    last_event_type = excluded.last_event_type,
    first_recorded_at = least(s.first_recorded_at, excluded.first_recorded_at),
    last_recorded_at = greatest(s.last_recorded_at, excluded.last_recorded_at)
"""

# New streams only (``apply_new``): a plain INSERT, no ON CONFLICT.  The caller appended the
# streams' first events in this transaction, which the events table's unique (stream, version)
# key allows only for a stream that no other transaction has; so no row of theirs exists here,
# and the speculative insertion of ON CONFLICT (about 40% of this statement) is not needed.
_INSERT_NEW = """
INSERT INTO streams (stream_id, version, event_count, last_event_type,
                     first_recorded_at, last_recorded_at)
SELECT x.i, x.v, x.v, x.t, now(), now()
  FROM jsonb_to_recordset($1::jsonb) AS x(i text, v bigint, t text)
"""

# The same rows from the ledger in one statement, for a rebuild into an empty table: the
# highest version and its event type, the count, the first and last times.
_FROM_LEDGER = """
INSERT INTO streams (stream_id, version, event_count, last_event_type, first_recorded_at,
                     last_recorded_at)
SELECT e.stream_id, max(e.stream_version), count(*),
       (array_agg(e.event_type ORDER BY e.stream_version DESC))[1], min(e.recorded_at),
       max(e.recorded_at)
  FROM ledger l JOIN events e ON e.seq = l.seq
 WHERE l.position > $1 AND l.position <= $2
 GROUP BY e.stream_id ORDER BY e.stream_id
"""


@dataclass
class _StreamRow:
    version: int
    count: int
    last_type: str
    first_at: datetime
    last_at: datetime


class StreamsProjection:
    name = TABLE
    tables: tuple[str, ...] = (TABLE,)

    def from_ledger_sql(self) -> str:
        """The rows ``apply`` makes, in one statement, for a rebuild (``FromLedger``)."""
        return _FROM_LEDGER

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # Order-free: the highest version gives the version and last type, the times are a
        # min and a max (a batch holds each stream's events in version order anyway).
        rows: dict[str, _StreamRow] = {}
        for e in events:
            row = rows.get(e.stream_id)
            at = e.recorded_at
            if row is None:
                rows[e.stream_id] = _StreamRow(e.stream_version, 1, e.event_type, at, at)
                continue
            if e.stream_version > row.version:
                row.version = e.stream_version
                row.last_type = e.event_type
            row.count += 1
            if at < row.first_at:
                row.first_at = at
            if at > row.last_at:
                row.last_at = at
        if not rows:
            return
        r = rows.values()
        await conn.execute(
            _UPSERT,
            list(rows),
            [x.version for x in r],
            [x.count for x in r],
            [x.last_type for x in r],
            [x.first_at for x in r],
            [x.last_at for x in r],
        )

    async def apply_new(self, conn: asyncpg.Connection, rows: list[bytes]) -> None:
        """The rows ``apply`` makes for new streams whose every event was recorded in this
        transaction (so at its ``now()``), given as JSON objects ``{"i": stream id, "v":
        version, "t": last event type}`` (the version is the event count).  For appends that
        hold no ``RecordedEvent`` (eventstore.prepared); one JSON parameter, not six arrays
        whose every element the driver encodes on its own.  The streams must be new (their
        first events appended in this transaction): a row already there is a unique violation."""
        if rows:
            await conn.execute(_INSERT_NEW, orjson.Fragment(b"[" + b",".join(rows) + b"]"))


def new_stream_row(stream_id: str, version: int, last_type: str) -> bytes:
    """One row for :meth:`StreamsProjection.apply_new`."""
    return b'{"i":%s,"v":%d,"t":%s}' % (orjson.dumps(stream_id), version, orjson.dumps(last_type))
