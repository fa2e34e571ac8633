# Over 500 lines: the folds, their writer, the reading and the plan share one replay protocol.
"""叠 A rebuild's replay folded in memory: the ledger into empty scratch tables, each row
written once, by COPY, while the next batch is folded.

During a rebuild the replay is the only writer of its scratch tables, and they start empty, so
the per-batch ``apply`` path (load the rows of the streams a batch touches, fold, upsert; the
same again on the next batch) does work a rebuild does not need.  ``replay_folded`` reads the
ledger up to the head it saw at its start with a lean query (the columns the folds use, the
data as JSON text), and:

* each state table (:class:`~spotcheck.projections.state_table.StateTableProjection`) is
  folded in memory across batches (:class:`StateTableFold`).  The last version of every stream
  with more than one event is read first, so a row is written as soon as its stream's last
  event is folded: with a COPY (text format, built here), on the writing connection, while the
  next batches are folded.  Memory is bounded: past ``limit`` rows in one table, the fold
  writes every row it holds and forgets them all; a later event of a forgotten row loads it
  back from the table and goes through the upsert of ``apply``, as ``apply`` does.
* a projection that can build its table in one statement (``FromLedger``: ``streams``) runs
  it on the reading connection once that has read the first batches ahead (folded meanwhile,
  the next ones read on the writing connection); without a second connection, as the first
  write.
* any other projection gets its ``apply`` called per batch, as before, in a transaction of its
  own, with the events of the streams it reads (``Routed.stream_prefixes``; all events if it
  does not say) read back as whole rows; the folded tables it reads (``Routed.reads``; all if
  it does not say) are written first.

Applying the same events this way or batch by batch through ``apply`` gives the same tables
(tests/api/test_rebuild.py compares them with ``EXCEPT ALL``, with a limit small enough to make
the folds write, forget and load rows back).  ``verify`` and the catch-up of the swap use
``apply``.  Python's cyclic garbage collector is paused during the replay: the folded states
hold no cycles, and its passes over a heap of a hundred thousand states took a third of the
replay's time.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec
import orjson

from spotcheck.eventstore.store import record_from_row
from spotcheck.projections.base import FromLedger, Projection, Routed
from spotcheck.projections.state_table import StateTableProjection

if TYPE_CHECKING:
    from spotcheck.projections.rebuilder import Progress

_AHEAD = 2
"""Batches read before the statements take the reading connection."""
_CHUNK = 500
"""Events folded between two turns of the event loop (which sends the rows of the write in
flight: while the fold holds it, PostgreSQL only gets what the socket buffer holds)."""
FOLD_LIMIT = 200_000
"""Rows one table keeps in memory before it writes and forgets them all."""

# The columns the folds use, the data as text (decoded by the folds that need it).
_LEAN = """
SELECT e.seq, e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data::text,
       e.recorded_at, l.position
  FROM ledger l JOIN events e ON e.seq = l.seq
 WHERE l.position > $1 AND l.position <= $2 ORDER BY l.position LIMIT $3
"""
_SEQ, _STREAM, _VERSION, _TYPE, _SCHEMA, _DATA, _AT, _POSITION = range(8)
# The streams with more than one event, and their last version (committed: every event up to
# the ledger head the replay reads to is, and a later one only makes a row be written later).
_LAST = """
SELECT stream_id, max(stream_version) FROM events WHERE stream_version > 1 GROUP BY stream_id
 LIMIT $1
"""
# Whole rows, as ``apply`` gets them, for the projections that are not folded.
_WHOLE = """
SELECT e.seq, e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version,
       e.data, e.metadata, e.recorded_at, l.position, l.chain_hash
  FROM ledger l JOIN events e ON e.seq = l.seq
 WHERE e.seq = ANY($1::bigint[]) ORDER BY l.position
"""

Rows = list[tuple[Any, ...]]
Writes = tuple[list[bytes], Rows]
"""Rows to write: new ones (lines of COPY text), and ones in the table already (the upsert)."""


class StateTableFold:
    """A state table's rows in memory, by key: state, version, created_at, updated_at, and
    whether the row is in the table already."""

    columns = ("id", "version", "state", "created_at", "updated_at")

    def __init__(self, projection: StateTableProjection[Any], schema: str, limit: int) -> None:
        self.projection = projection
        self.spec = projection.spec
        self.prefix = projection.spec.stream_prefix
        self.table = projection.name
        self.limit = limit
        self.forgot = False
        self._rows: dict[str, list[Any]] = {}
        self._dirty: set[str] = set()
        self._final: list[str] = []
        self._decoders: dict[tuple[str, int], Callable[[str], Any]] = {}
        self.keys: list[str] = []
        """Statements that add the table's keys, if not added yet (``create_scratch``)."""
        self.written = 0
        self.last: dict[str, int] | None = None
        """The last version of each stream with more than one event (None: not known)."""
        self._select = (
            f"SELECT id, state, created_at FROM {schema}.{self.table} WHERE id = ANY($1::text[])"
        )

    def __len__(self) -> int:
        return len(self._rows)

    def missing(self, events: Sequence[asyncpg.Record]) -> list[str]:
        """The keys of ``events`` not in memory (after ``forget``: maybe in the table)."""
        cut = len(self.prefix)
        rows = self._rows
        return [k for k in dict.fromkeys(e[_STREAM][cut:] for e in events) if k not in rows]

    async def add_keys(self, conn: asyncpg.Connection) -> None:
        """The table's keys, if not added yet (before a lookup or an upsert needs them)."""
        keys, self.keys = self.keys, []
        for statement in keys:
            await conn.execute(statement)

    async def load(self, conn: asyncpg.Connection, keys: list[str]) -> None:
        """Rows from the table, as ``apply`` loads them."""
        await self.add_keys(conn)
        for r in await conn.fetch(self._select, keys):
            state = self.spec.state_from_data(r["state"])
            self._rows[r["id"]] = [state, 0, r["created_at"], None, True]

    def add(self, events: Sequence[asyncpg.Record]) -> None:
        """Fold lean rows of this table's streams, in ledger order (after ``load``)."""
        evolve, decoders = self.spec.evolve, self._decoders
        cut = len(self.prefix)
        rows, dirty, final, last = self._rows, self._dirty, self._final, self.last
        for e in events:
            sid = e[_STREAM]
            key = sid[cut:]
            decoder = decoders.get((e[_TYPE], e[_SCHEMA]))
            if decoder is None:
                decoder = self._decoder(e[_TYPE], e[_SCHEMA])
            event = decoder(e[_DATA])
            row = rows.get(key)
            version = e[_VERSION]
            if row is None:
                at = e[_AT]
                rows[key] = [evolve(None, event), version, at, at, False]
            else:
                row[0] = evolve(row[0], event)
                row[1] = version
                row[3] = e[_AT]
            dirty.add(key)
            if last is not None and version >= last.get(sid, 1):
                final.append(key)

    def _decoder(self, event_type: str, version: int) -> Callable[[str], Any]:
        """How the JSON text of an event of this type and version becomes today's struct:
        straight into the struct at its current version (what ``spec.decode`` gives for the
        data ``apply`` gets, ``orjson.loads`` of the same text), else through the upcasters."""
        cls = self.spec.event_types.get(event_type)
        decode: Callable[[str], Any]
        if cls is not None and version == cls.schema_version:
            decode = msgspec.json.Decoder(cls).decode
        else:
            spec = self.spec

            def decode(text: str) -> Any:
                return spec.decode(event_type, version, orjson.loads(text))

        self._decoders[(event_type, version)] = decode
        return decode

    def take(self, *, final_only: bool = False) -> Writes:
        """The rows changed since the last take (with ``final_only``, those whose stream's
        last event is folded), now counted as written: the new ones as lines of COPY text,
        the others as rows for the upsert."""
        if final_only:
            dirty = self._dirty
            keys = [k for k in dict.fromkeys(self._final) if k in dirty]
            dirty.difference_update(keys)
        else:
            keys, self._dirty = list(self._dirty), set()
        self._final = []
        self.written += len(keys)
        new: list[bytes] = []
        old: Rows = []
        rows = self._rows
        state_json = self.spec.state_json
        times: dict[datetime, bytes] = {}
        for key in keys:
            row = rows[key]
            state = state_json(row[0])
            if row[4]:
                old.append((key, row[1], orjson.Fragment(state), row[2], row[3]))
                continue
            row[4] = True
            created, updated = row[2], row[3]
            c = times.get(created)
            if c is None:
                c = times[created] = created.isoformat().encode()
            u = times.get(updated)
            if u is None:
                u = times[updated] = updated.isoformat().encode()
            if b"\\" in state:  # JSON text holds no other character COPY escapes
                state = state.replace(b"\\", b"\\\\")
            new.append(b"%s\t%d\t%s\t%s\t%s\n" % (_copy_text(key), row[1], state, c, u))
        return new, old

    def forget(self) -> None:
        """Drop every row from memory (after ``take`` of them all)."""
        self._rows = {}
        self._dirty = set()
        self._final = []
        self.forgot = True

    async def write(self, conn: asyncpg.Connection, schema: str, writes: Writes) -> None:
        """COPY the new rows (by key: the primary key's index fills in order), upsert the
        others as ``apply`` does; in a transaction whose search_path starts with ``schema``."""
        new, old = writes
        if new:
            new.sort()
            await conn.copy_to_table(
                self.table,
                schema_name=schema,
                columns=self.columns,
                source=_chunks(new),
                format="text",
            )
        if old:
            await self.add_keys(conn)
            await conn.execute(self.projection._upsert, *(list(c) for c in zip(*old, strict=True)))


def _copy_text(value: str) -> bytes:
    """A text value in COPY's text format.  Written here because the folded state is already
    JSON text: asyncpg's record COPY would encode every value again through its codecs, and
    its binary format measured no faster (issue 18)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return value.encode()


async def _chunks(lines: list[bytes], size: int = 2000) -> AsyncIterator[bytes]:
    for i in range(0, len(lines), size):
        yield b"".join(lines[i : i + size])


class _Router:
    """Which targets each event of a batch goes to, by stream id prefix: the part before the
    first ``-`` picks the candidates (as ``StateTableProjection.owned`` does), then the whole
    prefix decides; prefixes without a ``-`` are tried on every event; ``None``: every event."""

    def __init__(self) -> None:
        self.count = 0
        self._heads: dict[str, list[tuple[str, int]]] = {}
        self._scan: list[tuple[str, int]] = []
        self._everything: list[int] = []

    def add(self, prefixes: Sequence[str] | None, *, by_head: bool = False) -> int:
        target = self.count
        self.count += 1
        if prefixes is None:
            self._everything.append(target)
        for p in prefixes or ():
            if by_head or "-" in p:
                self._heads.setdefault(p.partition("-")[0], []).append((p, target))
            else:
                self._scan.append((p, target))
        return target

    def route(self, events: Sequence[asyncpg.Record]) -> list[list[asyncpg.Record]]:
        out: list[list[asyncpg.Record]] = [[] for _ in range(self.count)]
        heads, scan = self._heads, self._scan
        for e in events:
            sid = e[_STREAM]
            for prefix, target in heads.get(sid.partition("-")[0], ()):
                bucket = out[target]
                if sid.startswith(prefix) and not (bucket and bucket[-1] is e):
                    bucket.append(e)
            for prefix, target in scan:
                bucket = out[target]
                if sid.startswith(prefix) and not (bucket and bucket[-1] is e):
                    bucket.append(e)
        for target in self._everything:
            out[target] = list(events)
        return out


Job = Callable[[asyncpg.Connection], Awaitable[None]]


class _Writer:
    """Writes on one connection, one after the other, in the background: the next batches
    are folded while PostgreSQL writes the rows of the last (at most ``depth`` waiting)."""

    def __init__(self, conn: asyncpg.Connection, schema: str, depth: int = 4) -> None:
        self.conn = conn
        self.schema = schema
        self.depth = depth
        self._jobs: deque[asyncio.Future[None]] = deque()

    async def submit(self, job: Job) -> None:
        previous = self._jobs[-1] if self._jobs else None
        self._jobs.append(asyncio.ensure_future(self._after(previous, job)))
        while len(self._jobs) > self.depth:
            await self._jobs.popleft()

    async def _after(self, previous: asyncio.Future[None] | None, job: Job) -> None:
        if previous is not None:
            await previous  # a failed write fails the ones after it
        async with self.conn.transaction():
            await self.conn.execute(f"SET LOCAL search_path = {self.schema}, public")
            await job(self.conn)

    async def idle(self) -> asyncpg.Connection:
        """The connection, once every write submitted is done."""
        while self._jobs:
            await self._jobs.popleft()
        return self.conn

    async def close(self) -> None:
        """Stop the writes in flight (after an error elsewhere)."""
        jobs, self._jobs = list(self._jobs), deque()
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)


class _Plan:
    """Which projections are folded (state tables), built by one statement (``FromLedger``)
    or applied, and the routing of each batch to them.  A projection is folded or built only
    if no other projection writes its tables; the statements run first, so a projection is
    built only if every applied one says what it reads (``Routed``) and none reads its
    tables."""

    def __init__(
        self,
        projections: Sequence[Projection],
        schema: str,
        limit: int,
        keys: Mapping[str, list[str]] | None = None,
    ) -> None:
        writers = _writers(projections)

        def alone(p: Projection) -> bool:
            return all(writers[t] == 1 for t in p.tables)

        folded = _folded(projections)
        built = [
            p for p in projections if p not in folded and isinstance(p, FromLedger) and alone(p)
        ]
        rest = [p for p in projections if p not in folded and p not in built]
        if not all(isinstance(p, Routed) for p in rest) or {
            t for p in rest if isinstance(p, Routed) for t in p.reads
        } & {t for p in built for t in p.tables}:
            built = []
        self.schema = schema
        self.router = _Router()
        self.built = [p for p in built if isinstance(p, FromLedger)]
        self.folds: list[tuple[int, StateTableFold]] = []
        for sp in folded:
            fold = StateTableFold(sp, schema, limit)
            fold.keys = list((keys or {}).get(fold.table, ()))
            self.folds.append((self.router.add([fold.prefix], by_head=True), fold))
        self.applied: list[tuple[int, Projection, list[StateTableFold]]] = []
        skip = {id(x) for x in (*folded, *built)}
        for p in projections:
            if id(p) in skip:
                continue
            prefixes = p.stream_prefixes if isinstance(p, Routed) else None
            reads = p.reads if isinstance(p, Routed) else None
            first = [f for _, f in self.folds if reads is None or f.table in reads]
            self.applied.append((self.router.add(prefixes), p, first))

    async def start(self, writer: _Writer) -> None:
        """The last version of the streams with more than one event, if there are no more
        than ``limit``."""
        limit = min(f.limit for _, f in self.folds) if self.folds else 0
        rows = await writer.conn.fetch(_LAST, limit + 1)
        last = {r[0]: r[1] for r in rows} if len(rows) <= limit else None
        for _, fold in self.folds:
            fold.last = last

    async def statements(self, conn: asyncpg.Connection, through: int) -> None:
        """The ``FromLedger`` statements, in a transaction."""
        async with conn.transaction():
            await conn.execute(f"SET LOCAL search_path = {self.schema}, public")
            for p in self.built:
                await conn.execute(p.from_ledger_sql(), 0, through)

    async def batch(self, writer: _Writer, events: Sequence[asyncpg.Record]) -> None:
        routed = self.router.route(events)
        for target, fold in self.folds:
            mine = routed[target]
            if not mine:
                continue
            if fold.forgot:
                keys = fold.missing(mine)
                if keys:
                    await fold.load(await writer.idle(), keys)
            for i in range(0, len(mine), _CHUNK):
                fold.add(mine[i : i + _CHUNK])
                await asyncio.sleep(0)  # lets the write in flight send more rows
        todo = [(routed[t], p, first) for t, p, first in self.applied if routed[t]]
        if todo:
            await self._apply(await writer.idle(), todo)
        writes: list[tuple[StateTableFold, Writes]] = []
        for _, fold in self.folds:
            full = len(fold) > fold.limit
            rows = fold.take(final_only=not full)
            if full:
                fold.forget()
            if rows[0] or rows[1]:
                writes.append((fold, rows))
        if writes:
            await writer.submit(self._writes(writes))

    def _writes(self, writes: list[tuple[StateTableFold, Writes]]) -> Job:
        async def job(conn: asyncpg.Connection) -> None:
            for fold, rows in writes:
                await fold.write(conn, self.schema, rows)

        return job

    async def _apply(
        self,
        conn: asyncpg.Connection,
        todo: list[tuple[list[asyncpg.Record], Projection, list[StateTableFold]]],
    ) -> None:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL search_path = {self.schema}, public")
            seqs = list(dict.fromkeys(e[_SEQ] for mine, _, _ in todo for e in mine))
            whole = {r["seq"]: record_from_row(r) for r in await conn.fetch(_WHOLE, seqs)}
            for mine, p, first in todo:
                for fold in first:
                    await fold.write(conn, self.schema, fold.take())
                await p.apply(conn, [whole[e[_SEQ]] for e in mine])

    async def finish(self, writer: _Writer, helper: asyncpg.Connection | None) -> None:
        """Write every row still in memory: with a ``helper`` connection, the new rows of each
        table half on each connection, at the same time."""
        ours: list[tuple[StateTableFold, Writes]] = []
        theirs: list[tuple[StateTableFold, Writes]] = []
        for _, fold in self.folds:
            new, old = fold.take()
            fold.forget()
            if old and fold.keys:  # before the two connections write at once: a key built
                await fold.add_keys(await writer.idle())  # then would wait for the other
            half = len(new) // 2 if helper is not None else 0
            ours.append((fold, (new[half:], old)))
            theirs.append((fold, (new[:half], [])))
        other = _Writer(helper, self.schema) if helper is not None else None
        try:
            await writer.submit(self._writes(ours))
            if other is not None:
                await other.submit(self._writes(theirs))
                await other.idle()
            await writer.idle()
            # the keys not added yet, the largest tables first, on the two connections
            keyless = sorted((f for _, f in self.folds if f.keys), key=lambda f: -f.written)
            shares: list[tuple[_Writer, list[StateTableFold], list[int]]] = [
                (w, [], [0]) for w in (writer, other) if w is not None
            ]
            for fold in keyless:
                share = min(shares, key=lambda s: s[2][0])
                share[1].append(fold)
                share[2][0] += fold.written
            for w, folds, _ in shares:
                if folds:
                    await w.submit(self._keys(folds))
            for w, _, _ in shares:
                await w.idle()
        finally:
            if other is not None:
                await other.close()

    @staticmethod
    def _keys(folds: list[StateTableFold]) -> Job:
        async def job(conn: asyncpg.Connection) -> None:
            for fold in folds:
                await fold.add_keys(conn)

        return job


class _Reading:
    """The ledger's batches up to ``through``.  With a reading connection: the first ones are
    read ahead on it, then the statements run on it (the batches read ahead are folded
    meanwhile, then the next ones read on the writing connection once idle), then each next
    batch is read on it while one is folded.  Without: on the writing connection, the
    statements as its first write."""

    def __init__(
        self,
        conn: asyncpg.Connection,
        reader: asyncpg.Connection | None,
        writer: _Writer,
        through: int,
        batch: int,
    ) -> None:
        self.conn, self.reader, self.writer = conn, reader, writer
        self.through, self.batch = through, batch
        self.after = 0
        self.ready: deque[list[asyncpg.Record]] = deque()
        self.pending: asyncio.Future[list[asyncpg.Record]] | None = None
        self.building: asyncio.Future[None] | None = None

    async def begin(self, plan: _Plan) -> None:
        if self.reader is None:
            await self.writer.submit(lambda c: plan.statements(c, self.through))
            return
        if not plan.built:
            return
        for _ in range(_AHEAD):
            rows = await self.reader.fetch(_LEAN, self.after, self.through, self.batch)
            if not rows:
                break
            self.ready.append(rows)
            self.after = rows[-1][_POSITION]
        self.building = asyncio.ensure_future(plan.statements(self.reader, self.through))

    def _reader_free(self) -> bool:
        return self.reader is not None and (self.building is None or self.building.done())

    async def _read(self) -> asyncio.Future[list[asyncpg.Record]]:
        source = self.reader if self._reader_free() else self.conn
        if source is self.conn:
            await self.writer.idle()
        assert source is not None
        task: asyncio.Future[list[asyncpg.Record]] = asyncio.ensure_future(
            source.fetch(_LEAN, self.after, self.through, self.batch)
        )
        return task

    async def next(self) -> list[asyncpg.Record]:
        """The next batch ([] at the end)."""
        if self.ready:
            rows = self.ready.popleft()
        else:
            rows = await (self.pending or await self._read())
            self.pending = None
            if rows:
                self.after = rows[-1][_POSITION]
        if rows and not self.ready and self._reader_free():
            self.pending = await self._read()  # the next batch, while this one is folded
        return rows

    async def end(self) -> None:
        if self.building is not None:
            await self.building

    async def close(self) -> None:
        for task in (self.pending, self.building):
            if task is not None and not task.done():
                task.cancel()
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)


def _writers(projections: Sequence[Projection]) -> dict[str, int]:
    writers: dict[str, int] = {}
    for p in projections:
        for t in p.tables:
            writers[t] = writers.get(t, 0) + 1
    return writers


def _folded(projections: Sequence[Projection]) -> list[StateTableProjection[Any]]:
    """The state table projections that are the only writer of their tables."""
    writers = _writers(projections)
    return [
        p
        for p in projections
        if isinstance(p, StateTableProjection) and all(writers[t] == 1 for t in p.tables)
    ]


def folded_tables(projections: Sequence[Projection]) -> set[str]:
    """The tables ``replay_folded`` folds (and writes without their keys until it needs
    them: ``keys``)."""
    return {t for p in _folded(projections) for t in p.tables}


async def replay_folded(
    conn: asyncpg.Connection,
    projections: Sequence[Projection],
    schema: str,
    progress: Progress,
    *,
    batch: int,
    limit: int = FOLD_LIMIT,
    reader: asyncpg.Connection | None = None,
    keys: Mapping[str, list[str]] | None = None,
) -> Progress:
    """Replay the ledger, up to its head at the start, into the empty tables of ``schema``
    (``create_scratch``; each write commits on its own) and return how far it got.
    ``reader``, a second connection, reads the next batch while one is folded.  ``keys``: the
    statements that add the keys of folded tables created without them (``create_scratch``'s
    ``defer_keys``), run before a lookup or an upsert needs them, else at the end."""
    if progress.position or progress.seq or progress.events:
        raise ValueError("a folded replay starts from empty tables")
    started = time.perf_counter()
    through = int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM ledger"))
    plan = _Plan(projections, schema, limit, keys)
    writer = _Writer(conn, schema)
    await plan.start(writer)
    reading = _Reading(conn, reader, writer, through, batch)
    collecting = gc.isenabled()
    gc.disable()
    try:
        await reading.begin(plan)
        while rows := await reading.next():
            await plan.batch(writer, rows)
            progress.seq = rows[-1][_SEQ]
            progress.position = rows[-1][_POSITION]
            progress.events += len(rows)
        await reading.end()
        await plan.finish(writer, reader)
    finally:
        await reading.close()
        await writer.close()
        if collecting:
            gc.enable()
    progress.seconds += time.perf_counter() - started
    return progress
