"""The import engine: validate every row, write each batch in one transaction, reject the rest.

For each batch of rows:
1. each row is parsed into the aggregate's registration command (a row that cannot be read, or
   whose values have the wrong type, is rejected with the field and the rule);
2. in one transaction: the reference data and the current state of every key in the batch are
   read (from the aggregate's state table, which the same transactions keep equal to the fold of
   its events), and the aggregate's pure ``decide_upsert`` says what the row means: a
   registration for a new key, one change event with what differs for a changed row, nothing
   for an unchanged row;
3. all events of the batch are appended with their streams' expected versions and projected,
   and the transaction commits; a concurrent writer makes the batch run again on fresh state.
A rejected row is written to the rejects file with its line, key, field, code and message, and
the rest of its batch still commits together.  Re-running a file therefore writes nothing for
rows already imported: keys are USCCs or identifiers (subjects) and staff ids (inspectors).
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TextIO, TypeVar

import asyncpg
import orjson

from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event, to_data
from spotcheck.domain.errors import DomainError, ErrorCode, Problem
from spotcheck.eventstore.envelope import NO_STREAM, NewEvent, RecordedEvent, StreamAppend
from spotcheck.eventstore.errors import ConcurrencyError
from spotcheck.eventstore.prepared import EncodedStreams, append_encoded
from spotcheck.eventstore.store import UnitOfWork
from spotcheck.importer.chunks import Chunk, Layout, read_chunk
from spotcheck.importer.formats import Row
from spotcheck.importer.workers import (
    DECIDE,
    ENCODED,
    NEW,
    REJECT,
    Result,
    guess_key,
    prepare_chunk,
    prepare_rows,
)
from spotcheck.projections.base import Projection, Routed
from spotcheck.projections.state_table import StateTableProjection
from spotcheck.projections.streams import StreamsProjection
from spotcheck.services.runner import Caller, CommandRunner, metadata

C = TypeVar("C", bound=Command)
S = TypeVar("S")

ATTEMPTS = 3
_SNAKE = re.compile(r"(?<=[a-z0-9])([A-Z])")  # a problem's camelCase field → the file's column
REJECT_COLUMNS = ("line", "key", "field", "code", "message")
_Reject = tuple[int, str | None, tuple[Problem, ...]]


@dataclass(frozen=True)
class ImportSpec(Generic[C, S]):
    """How rows of one registry become commands and events."""

    name: str
    aggregate: AggregateSpec[S]
    table: str
    columns: tuple[str, ...]
    parse: Callable[[dict[str, Any]], C]
    """Row values → the registration command; raises DomainError naming the field."""
    key: Callable[[C], str]
    load_refs: Callable[[asyncpg.Connection], Awaitable[Any]]
    decide: Callable[[S | None, C, Actor, Any, str], list[Event]]
    """``decide_upsert(state, command, actor, refs, reason)``."""


@dataclass
class ImportReport:
    rows: int = 0
    registered: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    batches: int = 0
    events: int = 0
    retries: int = 0

    def summary(self) -> str:
        return (
            f"{self.rows} rows: {self.registered} registered, {self.changed} changed, "
            f"{self.unchanged} unchanged, {self.rejected} rejected; "
            f"{self.events} events in {self.batches} batches"
        )


@dataclass
class Rejects:
    """The rejects file (CSV): one line per problem of a rejected row."""

    out: TextIO | None
    count: int = 0
    _writer: Any = field(default=None, init=False)

    _held: dict[int, list[_Reject]] = field(default_factory=dict, init=False)
    _next: int = field(default=0, init=False)

    def batch(self, seq: int, rejects: list[_Reject]) -> None:
        """The rejects of committed batch number ``seq`` (from 0), written in batch order:
        batches in flight commit in any order, the file keeps the input's."""
        self._held[seq] = sorted(rejects, key=lambda r: r[0])
        self.count += len(rejects)
        while self._next in self._held:
            for line, key, problems in self._held.pop(self._next):
                self._write(line, key, problems)
            self._next += 1

    def flush(self) -> None:
        """Write what is held behind a batch that never committed (the import failed)."""
        for seq in sorted(self._held):
            for line, key, problems in self._held.pop(seq):
                self._write(line, key, problems)

    def add(self, line: int, key: str | None, problems: Iterable[Problem]) -> None:
        self.count += 1
        self._write(line, key, problems)

    def _write(self, line: int, key: str | None, problems: Iterable[Problem]) -> None:
        if self.out is None:
            return
        if self._writer is None:
            self._writer = csv.writer(self.out)
            self._writer.writerow(REJECT_COLUMNS)
        for p in problems:
            column = _SNAKE.sub(r"_\1", p.field).lower() if p.field else ""
            self._writer.writerow((line, key or "", column, p.code.value, p.message))


def batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Importer(Generic[C, S]):
    def __init__(
        self,
        runner: CommandRunner,
        spec: ImportSpec[C, S],
        caller: Caller,
        *,
        reason: str,
        rejects: Rejects,
        workers: Executor | None = None,
        worker_refs: Any = None,
    ) -> None:
        self.runner = runner
        self.spec = spec
        self.caller = caller
        self.reason = reason
        self.rejects = rejects
        self.report = ImportReport()
        self._meta = metadata(caller, reason)
        self.workers = workers
        """Worker processes deciding rows ahead (see importer.workers), holding ``worker_refs``."""
        self.worker_refs = worker_refs
        self._seq = 0
        self._existing = False
        """The last batch found most of its keys already imported: a worker deciding them as
        new would only be undone here (a re-import), so rows are checked here meanwhile."""

    def _parse(self, batch: list[Row]) -> tuple[list[tuple[int, C]], list[_Reject]]:
        parsed: list[tuple[int, C]] = []
        rejected: list[_Reject] = []
        for row in batch:
            if row.error is not None:
                problem = Problem(ErrorCode.INVALID_FORMAT, None, row.error)
                rejected.append((row.line, None, (problem,)))
                continue
            try:
                parsed.append((row.line, self.spec.parse(row.values)))
            except DomainError as exc:
                rejected.append((row.line, guess_key(row.values), exc.problems))
        return parsed, rejected

    async def import_batch(self, batch: list[Row]) -> None:
        seq, self._seq = self._seq, self._seq + 1  # before any await: in call order
        self.report.rows += len(batch)
        ahead = self.workers is not None and not self._existing
        if ahead:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(self.workers, prepare_rows, batch)
        else:
            parsed, rejected = self._parse(batch)
        for attempt in range(ATTEMPTS):
            try:
                if ahead:
                    await self._write_prepared(seq, batch, results)
                else:
                    await self._write(seq, parsed, rejected)
                break
            except ConcurrencyError:
                if attempt == ATTEMPTS - 1:
                    raise
                self.report.retries += 1
        self.report.batches += 1
        self.report.rejected = self.rejects.count

    async def import_chunk(self, layout: Layout, chunk: Chunk) -> int:
        """``import_batch`` for a batch of a file: with workers, one reads, checks and encodes
        it (importer.workers.prepare_chunk) and the new keys' events go to the store as they
        come (eventstore.prepared); the importing process reads the rows only to decide again
        what the worker could not (an existing or repeated key, changed reference data)."""
        seq, self._seq = self._seq, self._seq + 1  # before any await: in call order
        if self.workers is None or self._existing or self.fast_projections() is None:
            rows = read_chunk(layout, chunk)
            count = len(rows)
            self.report.rows += count
            parsed, rejected = self._parse(rows)
            await self._attempts(self._write, seq, parsed, rejected)
        else:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(self.workers, prepare_chunk, layout, chunk)
            count = len(results)
            self.report.rows += count
            await self._attempts(self._write_encoded, seq, layout, chunk, results)
        self.report.batches += 1
        self.report.rejected = self.rejects.count
        return count

    async def _attempts(self, write: Callable[..., Awaitable[None]], *args: Any) -> None:
        for attempt in range(ATTEMPTS):
            try:
                await write(*args)
                return
            except ConcurrencyError:
                if attempt == ATTEMPTS - 1:
                    raise
                self.report.retries += 1

    def fast_projections(self) -> tuple[StreamsProjection, StateTableProjection[S]] | None:
        """The ``streams`` projection and the aggregate's state table, if no other projection
        reads the aggregate's events: then events appended without ``RecordedEvent`` objects
        (eventstore.prepared) can be projected from what the workers computed."""
        agg = self.spec.aggregate
        streams: StreamsProjection | None = None
        state: StateTableProjection[S] | None = None
        for p in self.runner.projections:
            if isinstance(p, StreamsProjection):
                streams = p
            elif isinstance(p, StateTableProjection) and p.spec is agg:
                state = p
            elif _reads(p, agg.stream_prefix):
                return None
        return None if streams is None or state is None else (streams, state)

    async def _write(self, seq: int, parsed: list[tuple[int, C]], rejected: list[_Reject]) -> None:
        spec, agg = self.spec, self.spec.aggregate
        counts = {"registered": 0, "changed": 0, "unchanged": 0}
        rejected_here: list[_Reject] = list(rejected)
        async with self.runner.store.unit_of_work() as uow:
            conn = uow.conn
            refs = await spec.load_refs(conn)
            keys = list(dict.fromkeys(spec.key(c) for _, c in parsed))
            current, versions = await self._current(conn, keys)
            pending: dict[str, list[Event]] = {}
            for line, command in parsed:
                key = spec.key(command)
                events = self._decide(current, key, command, refs, (line, counts, rejected_here))
                if events:
                    pending.setdefault(key, []).extend(events)
            appends = [
                StreamAppend(
                    agg.stream_id(key),
                    versions.get(key) or NO_STREAM,
                    [NewEvent(type(e).__name__, to_data(e), self._meta) for e in events],
                )
                for key, events in pending.items()
            ]
            if appends:
                recorded = await uow.append_many(appends)
                await self.runner.project(conn, recorded)
                self.report.events += len(recorded)
        self._committed(seq, counts, rejected_here)

    async def _current(
        self, conn: asyncpg.Connection, keys: list[str]
    ) -> tuple[dict[str, Any], dict[str, int]]:
        """Each existing key's state and version (keys sent sorted: the server sorts less)."""
        spec = self.spec
        current: dict[str, Any] = {}
        versions: dict[str, int] = {}
        for r in await conn.fetch(
            f"SELECT id, version, state FROM {spec.table} WHERE id = ANY($1::text[])", sorted(keys)
        ):
            current[r["id"]] = spec.aggregate.state_from_data(r["state"])
            versions[r["id"]] = r["version"]
        self._existing = len(current) * 2 > len(keys)
        return current, versions

    def _decide(
        self,
        current: dict[str, Any],
        key: str,
        command: C,
        refs: Any,
        into: tuple[int, dict[str, int], list[_Reject]],
    ) -> list[Event]:
        """One row decided on its key's current state (then moved on): its events, counted,
        or [] for an unchanged row or a rejected one (``into``: line, counts, rejects)."""
        line, counts, rejected = into
        state = current.get(key)
        try:
            events = self.spec.decide(state, command, self.caller.actor, refs, self.reason)
        except DomainError as exc:
            rejected.append((line, key, exc.problems))
            return []
        if not events:
            counts["unchanged"] += 1
            return []
        counts["registered" if state is None else "changed"] += 1
        current[key] = self.spec.aggregate.fold(events, state)
        return events

    def _committed(self, seq: int, counts: dict[str, int], rejected: list[_Reject]) -> None:
        """Committed: only now count the batch and write its rejects (a retry recounts)."""
        self.rejects.batch(seq, rejected)
        self.report.registered += counts["registered"]
        self.report.changed += counts["changed"]
        self.report.unchanged += counts["unchanged"]

    async def _read_for(
        self, conn: asyncpg.Connection, results: list[Result]
    ) -> tuple[Any, bool, dict[str, Any], dict[str, int]]:
        """The reference data, whether the workers had the same, each key's state and version."""
        refs = await self.spec.load_refs(conn)
        keys = list(dict.fromkeys(r[2] for r in results if r[0] != REJECT))
        return refs, refs == self.worker_refs, *await self._current(conn, keys)

    async def _write_prepared(self, seq: int, batch: list[Row], results: list[Result]) -> None:
        """``_write`` for rows a worker already parsed and decided as new (importer.workers):
        the same events, rejects, counts and read tables, with the new keys' decisions taken
        as they come and their states upserted as the decision folded them."""
        spec, agg, meta = self.spec, self.spec.aggregate, self._meta
        counts = {"registered": 0, "changed": 0, "unchanged": 0}
        rejected_here: list[_Reject] = []
        async with self.runner.store.unit_of_work() as uow:
            conn = uow.conn
            refs, trusted, current, versions = await self._read_for(conn, results)
            pending: dict[str, list[NewEvent]] = {}
            fast: dict[str, bytes] = {}  # new keys decided by a worker: their state JSON
            for result in results:
                if result[0] == REJECT:
                    rejected_here.append((result[1], result[2], result[3]))
                    continue
                line, key = result[1], result[2]
                if trusted and key not in current and key not in pending:
                    if result[0] == NEW:
                        counts["registered"] += 1
                        pending[key] = [NewEvent(t, d, meta) for t, d in result[4]]
                        fast[key] = result[5]
                    else:
                        rejected_here.append((line, key, result[4]))
                    continue
                if key in fast:  # a key repeated in the batch: decide on its folded state
                    current[key] = agg.state_from_data(orjson.loads(fast.pop(key)))
                command = spec.parse(batch[result[3]].values)  # the worker parsed it: no error
                events = self._decide(current, key, command, refs, (line, counts, rejected_here))
                if events:
                    pending.setdefault(key, []).extend(
                        NewEvent(type(e).__name__, to_data(e), meta) for e in events
                    )
            written = await self._append_decided(uow, pending, versions, fast)
        self.report.events += written
        self._committed(seq, counts, rejected_here)

    async def _append_decided(
        self,
        uow: UnitOfWork,
        pending: dict[str, list[NewEvent]],
        versions: dict[str, int],
        fast: dict[str, bytes] | None = None,
    ) -> int:
        """Append and project the events decided in this process, each key's stream expected
        at the version read (or reached earlier in the batch).  Returns how many."""
        agg = self.spec.aggregate
        appends = [
            StreamAppend(agg.stream_id(key), versions.get(key) or NO_STREAM, events)
            for key, events in pending.items()
        ]
        if not appends:
            return 0
        recorded = await uow.append_many(appends)
        if fast is None:
            await self.runner.project(uow.conn, recorded)
        else:
            await self._project(uow.conn, recorded, fast)
        return len(recorded)

    async def _project(
        self, conn: asyncpg.Connection, recorded: list[RecordedEvent], fast: dict[str, bytes]
    ) -> None:
        """Every projection as ``runner.project`` runs them, except that the streams of keys
        in ``fast`` (new, one decision each) get the state the worker folded."""
        agg = self.spec.aggregate
        for p in self.runner.projections:
            if not (isinstance(p, StateTableProjection) and p.spec is agg):
                await p.apply(conn, recorded)
                continue
            folded: list[tuple[str, int, bytes, datetime]] = []
            rest: list[RecordedEvent] = []
            for e in recorded:
                key = agg.key_of(e.stream_id)
                state = fast.get(key)
                if state is None:
                    rest.append(e)
                else:  # a new stream: its last event carries its version
                    if folded and folded[-1][0] == key:
                        folded.pop()
                    folded.append((key, e.stream_version, state, e.recorded_at))
            await p.apply_states(conn, folded)
            if rest:
                await p.apply(conn, rest)

    async def _write_encoded(
        self, seq: int, layout: Layout, chunk: Chunk, results: list[Result]
    ) -> None:
        """``_write_prepared`` for a batch a worker read and encoded (``prepare_chunk``): the
        first row of each new key is appended as the worker encoded it, with its stream and
        state rows from the worker's figures; every other row is decided here on the rows read
        again from the file, and appended and projected after them as ``_write`` does."""
        spec, agg, meta = self.spec, self.spec.aggregate, self._meta
        projections = self.fast_projections()
        assert projections is not None
        counts = {"registered": 0, "changed": 0, "unchanged": 0}
        rejected_here: list[_Reject] = []
        async with self.runner.store.unit_of_work() as uow:
            conn = uow.conn
            refs, trusted, current, versions = await self._read_for(conn, results)
            encoded = EncodedStreams()
            states: dict[str, bytes] = {}  # new keys appended as encoded: their state row
            stream_rows: list[bytes] = []
            pending: dict[str, list[NewEvent]] = {}
            rows: list[Row] | None = None
            for result in results:
                kind = result[0]
                if kind == REJECT:
                    rejected_here.append((result[1], result[2], result[3]))
                    continue
                line, key = result[1], result[2]
                new = key not in current and key not in pending and key not in states
                if trusted and new and kind != DECIDE:
                    if kind == ENCODED:
                        counts["registered"] += 1
                        encoded.add(agg.stream_id(key), result[4], result[5])
                        versions[key] = result[5]
                        stream_rows.append(result[6])
                        states[key] = result[7]
                    else:
                        rejected_here.append((line, key, result[4]))
                    continue
                if key in states and key not in current:  # repeated: on the folded state
                    current[key] = agg.state_from_data(orjson.loads(states[key])["s"])
                if rows is None:
                    rows = read_chunk(layout, chunk)
                command = spec.parse(rows[result[3]].values)  # the worker parsed it: no error
                events = self._decide(current, key, command, refs, (line, counts, rejected_here))
                if events:
                    pending.setdefault(key, []).extend(
                        NewEvent(type(e).__name__, to_data(e), meta) for e in events
                    )
            written = 0
            if encoded.lines:
                written += await append_encoded(uow, encoded)
                streams, state_table = projections
                await streams.apply_new(conn, stream_rows)
                await state_table.apply_new(conn, list(states.values()))
            written += await self._append_decided(uow, pending, versions)
        self.report.events += written
        self._committed(seq, counts, rejected_here)


def _reads(p: Projection, prefix: str) -> bool:
    """Whether projection ``p`` may read events of the streams whose ids start with ``prefix``
    (a projection that does not say which streams it reads may read any)."""
    if isinstance(p, StateTableProjection):
        prefixes: tuple[str, ...] = (p.spec.stream_prefix,)
    elif isinstance(p, Routed):
        prefixes = p.stream_prefixes
    else:
        return True
    return any(prefix.startswith(q) or q.startswith(prefix) for q in prefixes)
