"""The ``streams`` read table: each stream's version, event count and times."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from spotcheck.eventstore.envelope import RecordedEvent

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


class StreamsProjection:
    name = "streams"
    tables = ("streams",)

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        agg: dict[str, list[object]] = {}
        for e in sorted(events, key=lambda e: (e.stream_id, e.stream_version)):
            row = agg.get(e.stream_id)
            if row is None:
                agg[e.stream_id] = [e.stream_version, 1, e.event_type, e.recorded_at, e.recorded_at]
            else:
                row[0] = e.stream_version
                row[1] = int(row[1]) + 1  # type: ignore[call-overload]
                row[2] = e.event_type
                row[3] = min(row[3], e.recorded_at)  # type: ignore[type-var]
                row[4] = max(row[4], e.recorded_at)  # type: ignore[type-var]
        if not agg:
            return
        ids = list(agg)
        cols = list(zip(*agg.values(), strict=True))
        await conn.execute(_UPSERT, ids, *[list(c) for c in cols])


