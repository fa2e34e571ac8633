"""Appending and reading events, with optimistic concurrency, in the caller's transaction.

A unit of work is one PostgreSQL transaction.  Its first append takes the transaction id
(``pg_current_xact_id()``) and the database clock (``now()``) before any sequence number is
drawn, checks every stream's expected version and every event id in the same round trip, then
inserts.  The caller's projection updates run on ``uow.conn`` in the same transaction, so the
API reads its own writes; the sealer orders the ledger afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from spotcheck.eventstore.canonical import (
    canonical_json,
    check_json_value,
    content_hash,
    envelope,
)
from spotcheck.eventstore.envelope import (
    ANY,
    NO_STREAM,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from spotcheck.eventstore.errors import (
    ConcurrencyError,
    EventIdConflict,
    IdempotencyConflict,
    InvalidEvent,
    PayloadTooLarge,
)
from spotcheck.eventstore.registry import EventTypeRegistry

MAX_ENVELOPE_BYTES = 1024 * 1024
COPY_THRESHOLD = 64
COLUMNS = (
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "schema_version",
    "data",
    "metadata",
    "recorded_at",
    "content_hash",
)

Projector = Callable[[asyncpg.Connection, Sequence[RecordedEvent]], Awaitable[None]]

_PRECHECK = """
SELECT now() AS now,
       pg_current_xact_id()::text AS xid,
       (SELECT array_agg(coalesce(m.v, 0) ORDER BY s.i)
          FROM unnest($1::text[]) WITH ORDINALITY AS s(sid, i)
          LEFT JOIN LATERAL (SELECT max(stream_version) AS v FROM events
                              WHERE stream_id = s.sid) m ON true) AS versions,
       (SELECT array_agg(event_id) FROM events WHERE event_id = ANY($2::uuid[])) AS existing
"""

_INSERT_UNNEST = """
INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                    data, metadata, recorded_at, content_hash)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[],
                     $6::jsonb[], $7::jsonb[], $8::timestamptz[], $9::bytea[])
"""

SELECT_EVENT = """
SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data,
       e.metadata, e.recorded_at, e.content_hash, l.position, l.chain_hash
  FROM events e LEFT JOIN ledger l ON l.seq = e.seq
"""


def record_from_row(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(
        event_id=row["event_id"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        event_type=row["event_type"],
        schema_version=row["schema_version"],
        data=row["data"],
        metadata=row["metadata"],
        recorded_at=row["recorded_at"],
        content_hash=bytes(row["content_hash"]),
        position=row["position"],
        chain_hash=bytes(row["chain_hash"]) if row["chain_hash"] is not None else None,
    )


def _check_stream_id(stream_id: str) -> None:
    if not isinstance(stream_id, str) or not 1 <= len(stream_id) <= 200:
        raise InvalidEvent("stream_id", "must be a string of 1 to 200 characters")
    check_json_value(stream_id, "stream_id")


def _stream_in_detail(detail: str) -> str | None:
    """The stream id in ``Key (stream_id, stream_version)=(ID, N) already exists.``"""
    start = detail.find("=(")
    end = detail.rfind(")")
    if start < 0 or end < start:
        return None
    return detail[start + 2 : end].rsplit(", ", 1)[0]


def _same_event(new: NewEvent, old: RecordedEvent, stream_id: str, schema_version: int) -> bool:
    return (
        old.stream_id == stream_id
        and old.event_type == new.event_type
        and old.schema_version == schema_version
        and old.data == new.data
        and old.metadata == new.metadata.to_json()
    )


class UnitOfWork:
    """One transaction on ``conn``: read streams, append events, update projections."""

    def __init__(self, store: EventStore, conn: asyncpg.Connection) -> None:
        self.store = store
        self.conn = conn
        self.appended: list[RecordedEvent] = []

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self.store.read_stream(stream_id, from_version, conn=self.conn)

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> list[RecordedEvent]:
        return await self.append_many([StreamAppend(stream_id, expected_version, list(events))])

    async def append_many(self, appends: Sequence[StreamAppend]) -> list[RecordedEvent]:
        """Append to several streams atomically.  Returns the recorded events, in order.

        If every event id already exists with the same content, nothing is written and the
        originals are returned (idempotent re-append).
        """
        registry = self.store.registry
        stream_ids = [a.stream_id for a in appends]
        if len(set(stream_ids)) != len(stream_ids):
            raise InvalidEvent("stream_id", "each stream may appear once in one append")
        if not appends or any(not a.events for a in appends):
            raise InvalidEvent("events", "an append needs at least one event per stream")
        flat: list[tuple[StreamAppend, NewEvent, int]] = []
        for a in appends:
            _check_stream_id(a.stream_id)
            ev = a.expected_version
            if not (ev is ANY or ev is NO_STREAM or (type(ev) is int and ev >= 0)):
                raise InvalidEvent("expected_version", "must be a version >= 0, NO_STREAM or ANY")
            for e in a.events:
                sv = e.schema_version or registry.current_version(e.event_type)
                registry.check(e.event_type, sv)
                if type(e.data) is not dict:
                    raise InvalidEvent("data", "must be a JSON object")
                check_json_value(e.data, "data")
                check_json_value(e.metadata.to_json(), "metadata")
                flat.append((a, e, sv))
        ids = [e.event_id for _, e, _ in flat]
        if len(set(ids)) != len(ids):
            raise InvalidEvent("event_id", "an event id may appear once in one append")

        any_streams = sorted(a.stream_id for a in appends if a.expected_version is ANY)
        if any_streams:
            # Writers that accept any version queue per stream instead of racing each other.
            await self.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(s, 0)) FROM unnest($1::text[]) s",
                any_streams,
            )
        pre = await self.conn.fetchrow(_PRECHECK, stream_ids, ids)
        existing = pre["existing"] or []
        if existing:
            return await self._idempotent_result(flat, set(existing))
        now: datetime = pre["now"]
        records: list[RecordedEvent] = []
        rows: list[tuple[Any, ...]] = []
        for a, actual in zip(appends, pre["versions"], strict=True):
            expected = a.expected_version
            if expected is NO_STREAM:
                expected = 0
            if expected is not ANY and expected != actual:
                raise ConcurrencyError(a.stream_id, a.expected_version, actual)
            version = actual
            for e in a.events:
                version += 1
                sv = e.schema_version or registry.current_version(e.event_type)
                meta = e.metadata.to_json()
                canon = canonical_json(
                    envelope(
                        event_id=str(e.event_id),
                        stream_id=a.stream_id,
                        stream_version=version,
                        event_type=e.event_type,
                        schema_version=sv,
                        data=e.data,
                        metadata=meta,
                        recorded_at=now,
                    )
                )
                if len(canon) > MAX_ENVELOPE_BYTES:
                    raise PayloadTooLarge("data", len(canon), MAX_ENVELOPE_BYTES)
                h = content_hash(canon)
                rows.append(
                    (e.event_id, a.stream_id, version, e.event_type, sv, e.data, meta, now, h)
                )
                records.append(
                    RecordedEvent(
                        event_id=e.event_id,
                        stream_id=a.stream_id,
                        stream_version=version,
                        event_type=e.event_type,
                        schema_version=sv,
                        data=e.data,
                        metadata=meta,
                        recorded_at=now,
                        content_hash=h,
                    )
                )
        await self._insert(rows, appends, pre["versions"])
        self.appended.extend(records)
        return records

    async def _insert(
        self, rows: list[tuple[Any, ...]], appends: Sequence[StreamAppend], versions: list[int]
    ) -> None:
        try:
            if len(rows) >= COPY_THRESHOLD:
                await self.conn.copy_records_to_table("events", records=rows, columns=COLUMNS)
            else:
                await self.conn.execute(_INSERT_UNNEST, *map(list, zip(*rows, strict=True)))
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_stream_version_key":
                # Another transaction appended to this stream after our check.  The transaction
                # is aborted, so the actual version is read after the rollback (unit_of_work).
                raced = _stream_in_detail(str(exc.detail or ""))
                for a in appends:
                    if a.stream_id == raced or len(appends) == 1:
                        raise ConcurrencyError(a.stream_id, a.expected_version, None) from None
                raise
            if exc.constraint_name == "events_event_id_key":
                raise EventIdConflict(str(exc.detail or "")) from None
            raise

    async def _idempotent_result(
        self, flat: list[tuple[StreamAppend, NewEvent, int]], existing: set[uuid.UUID]
    ) -> list[RecordedEvent]:
        missing = [e.event_id for _, e, _ in flat if e.event_id not in existing]
        if missing:
            raise IdempotencyConflict(
                missing[0], "part of this batch was appended before and part was not"
            )
        rows = await self.conn.fetch(
            SELECT_EVENT + " WHERE e.event_id = ANY($1::uuid[])", [e.event_id for _, e, _ in flat]
        )
        by_id = {r["event_id"]: record_from_row(r) for r in rows}
        out = []
        for a, e, sv in flat:
            old = by_id[e.event_id]
            if not _same_event(e, old, a.stream_id, sv):
                raise IdempotencyConflict(e.event_id, "appended before with other content")
            out.append(old)
        return out


class EventStore:
    """The event store on an asyncpg pool (connected as the server's role)."""

    def __init__(self, pool: asyncpg.Pool, registry: EventTypeRegistry) -> None:
        self.pool = pool
        self.registry = registry
        self._commit_listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed append (the in-process sealer's wake-up)."""
        self._commit_listeners.append(listener)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.pool.acquire() as conn:
            uow = UnitOfWork(self, conn)
            try:
                async with conn.transaction():
                    yield uow
            except ConcurrencyError as exc:
                if exc.actual is None:
                    exc.actual = await self.stream_version(exc.stream_id)
                    exc.args = (str(ConcurrencyError(exc.stream_id, exc.expected, exc.actual)),)
                raise
        if uow.appended:
            for listener in self._commit_listeners:
                listener()

    async def append(
        self,
        stream_id: str,
        expected_version: ExpectedVersion,
        events: Sequence[NewEvent],
        *,
        project: Projector | None = None,
    ) -> list[RecordedEvent]:
        return await self.append_many(
            [StreamAppend(stream_id, expected_version, list(events))], project=project
        )

    async def append_many(
        self, appends: Sequence[StreamAppend], *, project: Projector | None = None
    ) -> list[RecordedEvent]:
        """Append atomically across streams; ``project`` runs in the same transaction."""
        attempts = 5
        for attempt in range(1, attempts + 1):
            try:
                async with self.unit_of_work() as uow:
                    recorded = await uow.append_many(appends)
                    if project is not None and uow.appended:
                        await project(uow.conn, recorded)
                    return recorded
            except EventIdConflict:
                # A concurrent append of the same ids won; the retry returns its events.
                if attempt == attempts:
                    raise
            except ConcurrencyError as exc:
                # ANY means "whatever the version": a race with another writer is retried.
                raced = next(a for a in appends if a.stream_id == exc.stream_id)
                if raced.expected_version is not ANY or attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    async def read_stream(
        self, stream_id: str, from_version: int = 1, *, conn: asyncpg.Connection | None = None
    ) -> list[RecordedEvent]:
        """Every committed event of a stream from ``from_version``, sealed or not yet."""
        sql = (
            SELECT_EVENT
            + " WHERE e.stream_id = $1 AND e.stream_version >= $2 ORDER BY e.stream_version"
        )
        if conn is not None:
            rows = await conn.fetch(sql, stream_id, from_version)
        else:
            rows = await self.pool.fetch(sql, stream_id, from_version)
        return [record_from_row(r) for r in rows]

    async def stream_version(self, stream_id: str) -> int:
        v = await self.pool.fetchval(
            "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1", stream_id
        )
        return int(v)
