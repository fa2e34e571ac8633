"""What a review reads: sealed ledger entries up to one position, and content-addressed blobs.

Never the live read tables: a review must stand on the log alone (and on blobs whose digests the
logged events name, checked on every read).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import asyncpg

from spotcheck.domain.aggregate import AggregateSpec, Event
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.ledger import SEALED_EVENTS
from spotcheck.eventstore.store import record_from_row
from spotcheck.services.draws import get_blob

S = TypeVar("S")


class LedgerSource:
    """Ledger reads pinned at ``head``: a review made at the same head reads the same events."""

    def __init__(self, conn: asyncpg.Connection | asyncpg.Pool, head: int) -> None:
        self.conn = conn
        self.head = head
        self._streams: dict[str, list[RecordedEvent]] = {}

    @classmethod
    async def at_head(cls, conn: asyncpg.Connection | asyncpg.Pool) -> LedgerSource:
        head = await conn.fetchval("SELECT coalesce(max(position), 0) FROM ledger")
        return cls(conn, int(head))

    async def _fetch(self, where: str, *args: Any) -> list[RecordedEvent]:
        rows = await self.conn.fetch(
            f"{SEALED_EVENTS} WHERE l.position <= $1 AND {where} ORDER BY l.position",
            self.head,
            *args,
        )
        return [record_from_row(r) for r in rows]

    async def stream(self, stream_id: str) -> list[RecordedEvent]:
        """A stream's sealed events in ledger order."""
        if stream_id not in self._streams:
            self._streams[stream_id] = await self._fetch("e.stream_id = $2", stream_id)
        return self._streams[stream_id]

    async def streams(self, prefix: str) -> dict[str, list[RecordedEvent]]:
        """Every stream whose id starts with ``prefix``, each in ledger order."""
        out: dict[str, list[RecordedEvent]] = {}
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for e in await self._fetch("e.stream_id LIKE $2", pattern):
            out.setdefault(e.stream_id, []).append(e)
        self._streams.update(out)
        return out

    async def opened_streams(self, event_type: str, where: str, value: str) -> list[str]:
        """Streams with an ``event_type`` event whose data satisfies ``where`` (on ``$3``)."""
        rows = await self.conn.fetch(
            "SELECT DISTINCT e.stream_id FROM ledger l JOIN events e ON e.seq = l.seq"
            f" WHERE l.position <= $1 AND e.event_type = $2 AND {where} ORDER BY 1",
            self.head,
            event_type,
            value,
        )
        return [r["stream_id"] for r in rows]

    async def blob(self, digest: str) -> bytes:
        """A draw blob, checked against its digest (LookupError if missing or altered)."""
        return await get_blob(self.conn, digest)


def upto(events: Sequence[RecordedEvent], position: int) -> list[RecordedEvent]:
    """The events at or before a ledger position."""
    return [e for e in events if e.position is not None and e.position <= position]


def fold(spec: AggregateSpec[S], events: Sequence[RecordedEvent]) -> S | None:
    return spec.fold(spec.decode(e.event_type, e.schema_version, e.data) for e in events)


def decoded(
    spec: AggregateSpec[Any], events: Sequence[RecordedEvent]
) -> list[tuple[RecordedEvent, Event]]:
    return [(e, spec.decode(e.event_type, e.schema_version, e.data)) for e in events]
