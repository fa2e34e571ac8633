"""Appending and reading events, with optimistic concurrency, in the caller's transaction.

An append is one INSERT that checks every stream's expected version in the same statement (or,
for 64 events and more, a check and a COPY).  ``seq`` and ``recorded_at`` come from column
defaults: ``next_event_seq()`` takes the transaction id before it draws a number, and ``now()``
is the database clock.  A unit of work is one PostgreSQL transaction: the caller's projection
updates run on ``uow.conn`` in it, so the API reads its own writes.  The content hash is
computed by the sealer from the stored row; ``RecordedEvent.content_hash`` computes the same.
With a sealer in this process (``on_hints``), a bulk append computes it too and hands it over
once committed (``eventstore.hints``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import asyncpg

from spotcheck import collector
from spotcheck.eventstore.canonical import format_instant
from spotcheck.eventstore.envelope import (
    ANY,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from spotcheck.eventstore.errors import (
    ConcurrencyError,
    EventIdConflict,
    IdempotencyConflict,
)
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.eventstore.rows import (
    COPY_CHUNK,
    COPY_COLUMNS,
    _check_shape,
    _expected_base,
    _prepare_rows,
    _Prepared,
    _same_event,
    _stream_in_detail,
)

COPY_THRESHOLD = 64

Projector = Callable[[asyncpg.Connection, Sequence[RecordedEvent]], Awaitable[None]]
HintListener = Callable[[int, list[int], list[bytes]], None]
"""Takes the content hashes of committed events: the transaction's id (``xid``: the rows'
``xmin``), the event ids (as integers) and their content hashes, in the same order."""
Hints = list[tuple[int, list[int], list[bytes]]]

# The transaction's time (the rows' recorded_at) and id (the rows' xmin), for the hints.
NOW_AND_XID = "SELECT now(), pg_current_xact_id()::xid"

# One statement: the expectation check and the insert.  ``recorded_at`` and ``seq`` come from
# column defaults (now(); next_event_seq(), which takes the transaction id before the number).
# The check is an uncorrelated subquery, evaluated once: every stream expected at version N > 0
# must have version N.  A stream that moved past N fails on the unique (stream, version) index.
_INSERT_CHECKED = """
WITH ins AS (
  INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                      data, metadata)
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[],
                       $6::jsonb[], $7::jsonb[])
   WHERE NOT EXISTS (
         SELECT 1 FROM unnest($8::text[], $9::bigint[]) AS x(sid, v)
          WHERE NOT EXISTS (SELECT 1 FROM events e
                             WHERE e.stream_id = x.sid AND e.stream_version = x.v))
  RETURNING recorded_at)
SELECT min(recorded_at) AS recorded_at, count(*) AS n FROM ins
"""

# One event for one stream (the common command): scalar parameters, no unnest.  $8 is the
# version the stream is expected at (0: no stream, which the unique index enforces).
_INSERT_ONE = """
INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,
                    data, metadata)
SELECT $1::uuid, $2::text, $3::bigint, $4::text, $5::int, $6::jsonb, $7::jsonb
 WHERE $8::bigint = 0
    OR EXISTS (SELECT 1 FROM events e WHERE e.stream_id = $2::text AND e.stream_version = $8)
RETURNING recorded_at
"""

_VERSIONS = """
SELECT coalesce(max(e.stream_version), 0) AS v
  FROM unnest($1::text[]) WITH ORDINALITY AS s(sid, i)
  LEFT JOIN events e ON e.stream_id = s.sid
 GROUP BY s.i ORDER BY s.i
"""

SELECT_EVENT = """
SELECT e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data,
       e.metadata, e.recorded_at, l.position, l.chain_hash
  FROM events e LEFT JOIN ledger l ON l.seq = e.seq
"""


def record_from_row(row: asyncpg.Record) -> RecordedEvent:
    chain = row["chain_hash"]
    return RecordedEvent._new(
        row["event_id"],
        row["stream_id"],
        row["stream_version"],
        row["event_type"],
        row["schema_version"],
        row["data"],
        row["metadata"],
        row["recorded_at"],
        row["position"],
        None if chain is None else bytes(chain),
    )


class UnitOfWork:
    """Appends and reads on ``conn``: one transaction when opened by ``unit_of_work``."""

    def __init__(self, store: EventStore, conn: asyncpg.Connection) -> None:
        self.store = store
        self.conn = conn
        self.appended: list[RecordedEvent] = []
        self.encoded = 0
        """Events appended through ``eventstore.prepared`` (no ``RecordedEvent`` made)."""
        self.hints: Hints | None = [] if store.wants_hints() else None
        """With a sealer in this process: the content hashes of the events appended here, for
        the store to hand it once the transaction has committed (never before: see
        docs/event-store.md, "Content-hash hints")."""

    async def read_stream(self, stream_id: str, from_version: int = 1) -> list[RecordedEvent]:
        return await self.store.read_stream(stream_id, from_version, conn=self.conn)

    async def append(
        self, stream_id: str, expected_version: ExpectedVersion, events: Sequence[NewEvent]
    ) -> list[RecordedEvent]:
        return await self.append_many([StreamAppend(stream_id, expected_version, list(events))])

    async def append_many(
        self, appends: Sequence[StreamAppend], *, check_existing: bool = False
    ) -> list[RecordedEvent]:
        """Append to several streams atomically.  Returns the recorded events, in order.

        With ``check_existing`` (the store's retry after an event-id conflict), an append whose
        event ids all exist with the same content writes nothing and returns the originals.
        """
        _check_shape(appends)
        if check_existing:
            found = await self._existing(appends)
            if found is not None:
                return found
        bases = [_expected_base(a) for a in appends]
        if any(b is None for b in bases):
            any_streams = sorted(a.stream_id for a in appends if a.expected_version is ANY)
            # Writers that accept any version queue per stream instead of racing each other.
            await self.conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(s, 0)) FROM unnest($1::text[]) s",
                any_streams,
            )
            actual = await self._versions(appends)
            bases = [act if b is None else b for b, act in zip(bases, actual, strict=True)]
        prepared = _Prepared(appends, [int(b or 0) for b in bases], [], [])
        bulk = sum(len(a.events) for a in appends) >= COPY_THRESHOLD
        if bulk and self.hints is not None:
            prepared.hashes = []  # the bulk path computes them as COPY takes the rows
        rows = _prepare_rows(self.store.registry, prepared, COPY_CHUNK if bulk else 0)
        # A bulk append makes tens of thousands of objects that all live until it returns
        # (measured: collections cost 0.5 to 2 us per event of ~12).
        with collector.paused(bulk):
            if bulk:
                await self._insert(prepared, _pieces(rows))
                records = prepared.records
            else:
                for _ in rows:
                    pass
                recorded_at = await self._insert(prepared, None)
                new = RecordedEvent._new
                records = [
                    new(row[0], row[1], row[2], row[3], row[4], e.data, meta, recorded_at)
                    for row, meta, e in zip(
                        prepared.rows,
                        prepared.metadata,
                        (e for a in appends for e in a.events),
                        strict=True,
                    )
                ]
        hashes = prepared.hashes
        if self.hints is not None and hashes is not None and len(hashes) == len(records):
            self.hints.append((prepared.xid, prepared.ids, hashes))
        self.appended.extend(records)
        return records

    async def _versions(self, appends: Sequence[StreamAppend]) -> list[int]:
        rows = await self.conn.fetch(_VERSIONS, [a.stream_id for a in appends])
        return [int(r["v"]) for r in rows]

    async def _raise_conflict(self, appends: Sequence[StreamAppend], bases: list[int]) -> None:
        actual = await self._versions(appends)
        for a, base, act in zip(appends, bases, actual, strict=True):
            if base != act:
                raise ConcurrencyError(a.stream_id, a.expected_version, act)

    async def _insert(self, p: _Prepared, copy_data: AsyncIterator[bytes] | None) -> datetime:
        """One INSERT of ``p.rows``; or, given ``copy_data`` (binary COPY data, which fills
        ``p.records`` as COPY consumes it), a version check and a COPY.  A typed error raised
        while the rows are checked aborts the COPY, and with it the transaction."""
        checks = [(a.stream_id, b) for a, b in zip(p.appends, p.base, strict=True) if b > 0]
        try:
            if copy_data is None and len(p.rows) == 1:
                row = await self.conn.fetchrow(_INSERT_ONE, *p.rows[0], p.base[0])
                if row is None:
                    await self._raise_conflict(p.appends, p.base)
                    raise AssertionError("the version check failed but the stream matches")
                return row["recorded_at"]  # type: ignore[no-any-return]
            if copy_data is None:
                cols = [list(c) for c in zip(*p.rows, strict=True)]
                row = await self.conn.fetchrow(
                    _INSERT_CHECKED, *cols, [c[0] for c in checks], [c[1] for c in checks]
                )
                assert row is not None
                if row["n"] == 0:
                    await self._raise_conflict(p.appends, p.base)
                    raise AssertionError("the version check failed but every stream matches")
                return row["recorded_at"]  # type: ignore[no-any-return]
            # Bulk: check, then COPY; recorded_at is the transaction's now(), as the default.
            if checks:
                await self._raise_conflict(
                    [a for a, b in zip(p.appends, p.base, strict=True) if b > 0],
                    [b for b in p.base if b > 0],
                )
            if p.hashes is None:
                now = p.recorded_at = await self.conn.fetchval("SELECT now()")
            else:
                now, p.xid = await self.conn.fetchrow(NOW_AND_XID)
                p.recorded_at = now
                p.stamp = format_instant(now).encode()  # before COPY takes the first row
            await self.conn.copy_to_table(
                "events", source=copy_data, columns=COPY_COLUMNS, format="binary"
            )
            return now  # type: ignore[no-any-return]
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "events_stream_version_key":
                # Another writer reached the stream first.  Inside a transaction it is now
                # aborted, so the actual version is read after the rollback (unit_of_work).
                raced = _stream_in_detail(str(exc.detail or ""))
                for a in p.appends:
                    if a.stream_id == raced or len(p.appends) == 1:
                        raise ConcurrencyError(a.stream_id, a.expected_version, None) from None
                raise
            if exc.constraint_name == "events_event_id_key":
                raise EventIdConflict(str(exc.detail or "")) from None
            raise

    async def _existing(self, appends: Sequence[StreamAppend]) -> list[RecordedEvent] | None:
        """The originals if every event id exists with the same content; None if none exist."""
        flat = [(a, e) for a in appends for e in a.events]
        rows = await self.conn.fetch(
            SELECT_EVENT + " WHERE e.event_id = ANY($1::uuid[])", [e.event_id for _, e in flat]
        )
        if not rows:
            return None
        by_id = {r["event_id"]: record_from_row(r) for r in rows}
        out = []
        for a, e in flat:
            old = by_id.get(e.event_id)
            if old is None:
                raise IdempotencyConflict(
                    e.event_id, "part of this batch was appended before and part was not"
                )
            sv = e.schema_version or self.store.registry.current_version(e.event_type)
            if not _same_event(e, old, a.stream_id, sv):
                raise IdempotencyConflict(e.event_id, "appended before with other content")
            out.append(old)
        return out


async def _pieces(pieces: Iterator[bytes]) -> AsyncIterator[bytes]:
    """COPY data as asyncpg takes it while it is being made: an asynchronous iterable."""
    for piece in pieces:
        yield piece


def _single_statement(appends: Sequence[StreamAppend]) -> bool:
    return all(a.expected_version is not ANY for a in appends) and (
        sum(len(a.events) for a in appends) < COPY_THRESHOLD
    )


class EventStore:
    """The event store on an asyncpg pool (connected as the server's role)."""

    def __init__(self, pool: asyncpg.Pool, registry: EventTypeRegistry) -> None:
        self.pool = pool
        self.registry = registry
        self._commit_listeners: list[Callable[[], None]] = []
        self._hint_listeners: list[HintListener] = []
        self._hints_wanted: list[Callable[[], bool]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every committed append (the in-process sealer's wake-up)."""
        self._commit_listeners.append(listener)

    def on_hints(self, listener: HintListener, wanted: Callable[[], bool] = lambda: True) -> None:
        """Hand ``listener`` the content hashes of the events of every committed bulk append,
        once committed (the in-process sealer's hints).  They are computed only for a unit of
        work that begins while some listener's ``wanted()`` is true (its sealer leads)."""
        self._hint_listeners.append(listener)
        self._hints_wanted.append(wanted)

    def wants_hints(self) -> bool:
        return any(wanted() for wanted in self._hints_wanted)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[UnitOfWork]:
        async with self.pool.acquire() as conn:
            uow = UnitOfWork(self, conn)
            try:
                async with conn.transaction():
                    yield uow
            except ConcurrencyError as exc:
                if exc.actual is None:
                    exc.set_actual(await self.stream_version(exc.stream_id))
                raise
            # Committed: at once, before the connection goes back to the pool, so the hints
            # reach the sealer before it can have read these events.
            if uow.appended or uow.encoded:
                self._committed(uow)

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
        """Append atomically across streams; ``project`` runs in the same transaction.

        Without a projection, a small append with explicit expectations is one statement in
        its own implicit transaction: a single round trip.
        """
        attempts = 5
        check_existing = False
        for attempt in range(1, attempts + 1):
            try:
                if project is None and _single_statement(appends):
                    # One statement in its own implicit transaction: one round trip.
                    async with self.pool.acquire() as conn:
                        uow = UnitOfWork(self, conn)
                        recorded = await uow.append_many(appends, check_existing=check_existing)
                    if uow.appended:
                        self._committed(uow)
                    return recorded
                async with self.unit_of_work() as uow:
                    recorded = await uow.append_many(appends, check_existing=check_existing)
                    if project is not None and uow.appended:
                        await project(uow.conn, recorded)
                    return recorded
            except EventIdConflict:
                # These ids exist (a re-append, or a concurrent one won): look them up.
                if attempt == attempts:
                    raise
                check_existing = True
            except ConcurrencyError as exc:
                if exc.actual is None:
                    exc.set_actual(await self.stream_version(exc.stream_id))
                # ANY means "whatever the version": a race with another writer is retried.
                raced = next(a for a in appends if a.stream_id == exc.stream_id)
                if raced.expected_version is not ANY or attempt == attempts:
                    raise
        raise AssertionError("unreachable")

    def _committed(self, uow: UnitOfWork) -> None:
        for xid, ids, hashes in uow.hints or ():
            for hint in self._hint_listeners:
                hint(xid, ids, hashes)
        for listener in self._commit_listeners:
            listener()

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
