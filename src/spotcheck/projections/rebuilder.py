# Over 500 lines: replay, swap and compare share one scratch-schema protocol.
"""重建 Rebuilding every read table from the ledger, swapping the rebuilt tables in, and
verifying the live tables against a rebuild.

Order of replay.  The ledger seals events in ``seq`` order (docs/event-store.md), so replaying
the ledger from position 1 and then the committed events not yet sealed, in ``seq`` order, is
replaying every committed event in the order the live tables saw each stream's events.  The
live tables are fed in the appending transaction, so they hold exactly the committed events:
the unsealed ones must be replayed too, or a rebuild would lag behind what the server shows.

``rebuild``:
1. In a scratch schema, one empty copy of each projection table (``LIKE … INCLUDING`` defaults,
   constraints, generated columns, identity, comments, storage, statistics) with its primary
   key and unique constraints; the ledger replayed into them (``synchronous_commit`` off: a
   crash only means running the rebuild again), while the server keeps writing: the ledger
   only, which the sealer keeps free of gaps (the committed events past the ledger head could
   still have a gap below them, a number whose transaction commits a moment later).  Up to the
   ledger head at its start by ``spotcheck.projections.folded`` (the state tables folded in
   memory and each row written once by COPY, ``streams`` in one statement; the tables are the
   ones ``apply`` gives), then what was sealed meanwhile in batches through ``apply``.  Then
   the other indexes and ANALYZE, two tables at a time on the two connections, and the
   foreign keys.
2. One swap transaction: ``LOCK TABLE`` every projection table ``IN ACCESS EXCLUSIVE MODE``
   in the order the command runner writes them, with a ``lock_timeout`` of 50 ms, so that the
   rebuild always gives way to the server: a command holds a read lock on some table from its
   decision (reference data) when it comes to write the next, so it and a half-locked rebuild
   can wait for each other; the rebuild then times out long before PostgreSQL's deadlock
   detector (1 s) would abort the command, releases everything, and tries again after a few
   milliseconds, until ``SWAP_DEADLINE_S``.  No command waits more than about 50 ms for an
   attempt, and the attempt that succeeds holds the locks for the catch-up and the swap only
   (milliseconds to a few hundred).  Holding the locks, no writer can
   commit (every command projects into ``streams``), so the events committed since step 1 are
   replayed into the scratch tables (the ledger after step 1, then the committed events not
   sealed yet in ``seq`` order; a command whose events are in flight below them is blocked on
   our lock and applies them to the new tables after the swap, as it would have to the old);
   then for each table its privileges, triggers, sequences it owns and foreign keys of other
   tables that point at it are read, the live table is dropped,
   the rebuilt one moved into ``public`` under the same name, and those are put back.  The
   position and ``seq`` reached are recorded in ``projection_rebuilds``.  Readers and writers
   wait for the swap (milliseconds to a second), then see the new tables.
``verify``: in one REPEATABLE READ transaction (one snapshot for the events and the live
tables), replay everything into unlogged scratch tables and compare each table both ways with
``EXCEPT ALL``; the transaction is rolled back, so nothing is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.store import record_from_row
from spotcheck.projections.base import Projection
from spotcheck.projections.folded import FOLD_LIMIT, folded_tables, replay_folded

BATCH = 10_000
SWAP_DEADLINE_S = 60.0
LOCK_TIMEOUT = "50ms"
SAMPLE_KEYS = 5
REBUILD_LOCK = 0x72656275696C64  # "rebuild": one rebuild at a time per database

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

_COLUMNS = """e.seq, e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version,
       e.data, e.metadata, e.recorded_at, l.position, l.chain_hash"""
_LEDGER_BATCH = f"""
SELECT {_COLUMNS}
  FROM ledger l JOIN events e ON e.seq = l.seq
 WHERE l.position > $1 ORDER BY l.position LIMIT $2
"""
# The committed events after a seq, sealed or not, in seq order (= ledger order).
_EVENTS_BATCH = f"""
SELECT {_COLUMNS}
  FROM events e LEFT JOIN ledger l ON l.seq = e.seq
 WHERE e.seq > $1 ORDER BY e.seq LIMIT $2
"""


def ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


def tables_of(projections: Sequence[Projection]) -> list[str]:
    """Every projection table once, in the order the command runner writes them."""
    return list(dict.fromkeys(ident(t) for p in projections for t in p.tables))


@dataclass
class Progress:
    """How far a replay got: the last ledger position and ``seq`` applied, and counts."""

    position: int = 0
    seq: int = 0
    events: int = 0
    unsealed: int = 0
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def _apply(
    conn: asyncpg.Connection, projections: Sequence[Projection], rows: list[asyncpg.Record]
) -> list[RecordedEvent]:
    events = [record_from_row(r) for r in rows]
    for p in projections:
        await p.apply(conn, events)
    return events


async def replay(
    conn: asyncpg.Connection,
    projections: Sequence[Projection],
    schema: str,
    progress: Progress,
    *,
    sealed_only: bool = False,
    batch: int = BATCH,
    own_transactions: bool = False,
    reader: asyncpg.Connection | None = None,
    on_batch: Callable[[Progress], None] | None = None,
) -> Progress:
    """Apply the events after ``progress`` to the tables in ``schema``: the ledger first, then
    (unless ``sealed_only``) the committed events not sealed yet, in ``seq`` order.

    With ``own_transactions`` each batch is a transaction of its own; otherwise the caller's
    transaction holds them all (and must have set ``search_path`` itself).  With a ``reader``
    connection, the next ledger batch is fetched on it while this one is applied.
    """
    schema = ident(schema)
    started = time.perf_counter()
    phases = [(_LEDGER_BATCH, True)] + ([] if sealed_only else [(_EVENTS_BATCH, False)])
    for sql, by_position in phases:
        source = reader if reader is not None and by_position else conn
        after = progress.position if by_position else progress.seq
        pending = asyncio.ensure_future(source.fetch(sql, after, batch))
        try:
            while True:
                rows = await pending
                if not rows:
                    break
                last = rows[-1]
                if source is not conn:  # prefetch the next batch while applying this one
                    pending = asyncio.ensure_future(
                        source.fetch(sql, last["position"] if by_position else last["seq"], batch)
                    )
                if own_transactions:
                    async with conn.transaction():
                        await conn.execute(f"SET LOCAL search_path = {schema}, public")
                        await _apply(conn, projections, rows)
                else:
                    await _apply(conn, projections, rows)
                progress.seq = last["seq"]
                if last["position"] is not None:
                    progress.position = last["position"]
                progress.events += len(rows)
                if not by_position:
                    progress.unsealed += sum(1 for r in rows if r["position"] is None)
                if on_batch is not None:
                    on_batch(progress)
                if source is conn:
                    after = progress.position if by_position else progress.seq
                    pending = asyncio.ensure_future(source.fetch(sql, after, batch))
        finally:
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending
    progress.seconds += time.perf_counter() - started
    return progress


# The live tables' definitions, read with search_path = pg_catalog so that every name in them
# is schema-qualified.
_KEY_CONSTRAINTS = """
SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
 WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname
"""
_OWN_FOREIGN_KEYS = """
SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
 WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname
"""
_INDEXES = """
SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
 WHERE i.indrelid = $1::regclass
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
 ORDER BY i.indexrelid
"""
_TRIGGERS = """
SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger
 WHERE tgrelid = $1::regclass AND NOT tgisinternal ORDER BY tgname
"""
_GRANTS = """
SELECT a.grantee::regrole::text AS grantee, a.privilege_type, a.is_grantable
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = $1::regclass AND a.grantee <> c.relowner AND a.grantee <> 0
"""
_PUBLIC_GRANTS = """
SELECT a.privilege_type FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.oid = $1::regclass AND a.grantee = 0
"""
_REFERENCING = """
SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
  FROM pg_constraint WHERE confrelid = $1::regclass AND contype = 'f' AND conrelid <> confrelid
"""
_OWNED_SEQUENCES = """
SELECT d.objid::regclass::text AS seq, a.attname
  FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE d.refobjid = $1::regclass AND d.deptype = 'a'
"""
_DEPENDENT_VIEWS = """
SELECT DISTINCT r.ev_class::regclass::text AS view FROM pg_depend d
  JOIN pg_rewrite r ON r.oid = d.objid
 WHERE d.refobjid = $1::regclass AND r.ev_class <> $1::regclass
"""
_POLICIES = "SELECT count(*) FROM pg_policy WHERE polrelid = $1::regclass"


def _qualified(definition: str, schema: str, table: str) -> str:
    """An index definition of ``public.table`` made for ``schema.table``."""
    old = f" ON public.{table} "
    if old not in definition:
        raise RuntimeError(f"unexpected index definition: {definition}")
    return definition.replace(old, f" ON {schema}.{table} ", 1)


async def _catalog(conn: asyncpg.Connection, sql: str, table: str) -> list[asyncpg.Record]:
    """``sql`` about ``public.table`` with every name in its answer schema-qualified; the
    caller's search_path is put back (a SET LOCAL outlives a released savepoint)."""
    path = await conn.fetchval("SELECT current_setting('search_path')")
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path = pg_catalog")
        rows: list[asyncpg.Record] = await conn.fetch(sql, f"public.{table}")
        await conn.execute("SELECT set_config('search_path', $1, true)", path)
    return rows


async def create_scratch(
    conn: asyncpg.Connection,
    tables: Sequence[str],
    schema: str,
    *,
    unlogged: bool = False,
    defer_keys: Collection[str] = (),
) -> dict[str, list[str]]:
    """Empty copies of the live tables in a new ``schema``, with their keys (the projections'
    upserts need them); secondary indexes come after the replay (``finish_scratch``).  The
    keys of the ``defer_keys`` tables are not added but returned, by table, as statements."""
    schema = ident(schema)
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.execute(f"CREATE SCHEMA {schema}")
    kind = "UNLOGGED TABLE" if unlogged else "TABLE"
    deferred: dict[str, list[str]] = {}
    for t in tables:
        for check, what in ((_DEPENDENT_VIEWS, "views"), (_POLICIES, "row security policies")):
            rows = await _catalog(conn, check, t)
            if rows and (what == "views" or rows[0][0]):
                raise RuntimeError(f"{t}: has {what}; the rebuild cannot swap it")
        await conn.execute(
            f"CREATE {kind} {schema}.{t} (LIKE public.{t} INCLUDING DEFAULTS INCLUDING "
            "CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING COMMENTS INCLUDING "
            "STORAGE INCLUDING COMPRESSION INCLUDING STATISTICS)"
        )
        keys = [
            f'ALTER TABLE {schema}.{t} ADD CONSTRAINT "{r["conname"]}" {r["def"]}'
            for r in await _catalog(conn, _KEY_CONSTRAINTS, t)
        ]
        if t in defer_keys:
            deferred[t] = keys
            continue
        for statement in keys:
            await conn.execute(statement)
    return deferred


async def finish_scratch(
    conn: asyncpg.Connection,
    tables: Sequence[str],
    schema: str,
    *,
    helper: asyncpg.Connection | None = None,
) -> None:
    """The secondary indexes of the live tables and fresh statistics, then their foreign keys.
    With a ``helper`` connection two tables are worked on at a time, the largest first (each
    table's indexes and ANALYZE on one connection: they would wait for each other)."""
    schema = ident(schema)
    work: dict[str, list[str]] = {}
    for t in tables:
        indexes = [_qualified(r["def"], schema, t) for r in await _catalog(conn, _INDEXES, t)]
        work[t] = [*indexes, f"ANALYZE {schema}.{t}"]
    sizes = {
        r["relname"]: r["size"]
        for r in await conn.fetch(
            "SELECT relname, pg_total_relation_size(oid) AS size FROM pg_class"
            " WHERE relnamespace = $1::regnamespace",
            schema,
        )
    }
    queue = sorted(tables, key=lambda t: -sizes.get(t, 0))

    async def worker(c: asyncpg.Connection) -> None:
        while queue:
            for statement in work[queue.pop(0)]:
                await c.execute(statement)

    if helper is None:
        await worker(conn)
    else:
        try:
            async with asyncio.TaskGroup() as tg:  # one failing cancels the other
                tg.create_task(worker(conn))
                tg.create_task(worker(helper))
        except ExceptionGroup as group:
            raise group.exceptions[0] from None
    for t in tables:
        for r in await _catalog(conn, _OWN_FOREIGN_KEYS, t):
            await conn.execute(
                f'ALTER TABLE {schema}.{t} ADD CONSTRAINT "{r["conname"]}" {r["def"]}'
            )


@dataclass
class TableDifference:
    table: str
    only_live: int
    only_rebuilt: int
    live_keys: list[str] = field(default_factory=list)
    rebuilt_keys: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.table}: {self.only_live} row(s) only in the live table"]
        if self.live_keys:
            parts[0] += f" (e.g. {', '.join(self.live_keys)})"
        parts.append(f"{self.only_rebuilt} only in the rebuild")
        if self.rebuilt_keys:
            parts[-1] += f" (e.g. {', '.join(self.rebuilt_keys)})"
        return "; ".join(parts)


async def compare(
    conn: asyncpg.Connection, tables: Sequence[str], schema: str
) -> list[TableDifference]:
    """Each table whose live and rebuilt rows differ (as multisets of whole rows)."""
    schema = ident(schema)
    out: list[TableDifference] = []
    for t in tables:
        counts: list[tuple[int, list[str]]] = []
        for a, b in ((f"public.{t}", f"{schema}.{t}"), (f"{schema}.{t}", f"public.{t}")):
            rows = await conn.fetch(
                f"SELECT (d.*)::text AS r, count(*) OVER () AS n FROM "
                f"(SELECT * FROM {a} EXCEPT ALL SELECT * FROM {b}) d LIMIT {SAMPLE_KEYS}"
            )
            n = int(rows[0]["n"]) if rows else 0
            counts.append((n, [_first_field(r["r"]) for r in rows]))
        if counts[0][0] or counts[1][0]:
            out.append(TableDifference(t, counts[0][0], counts[1][0], counts[0][1], counts[1][1]))
    return out


def _first_field(row_text: str) -> str:
    """The first column of a row's text form ``(a,b,…)``: the key, for the report."""
    inner = row_text[1:-1]
    if inner.startswith('"'):
        end = inner.find('",')
        return inner[1:end] if end > 0 else inner[1:60]
    return inner.split(",", 1)[0]


@dataclass
class RebuildReport:
    tables: list[str]
    progress: Progress
    catch_up: Progress
    swap_seconds: float
    attempts: int
    total_seconds: float
    index_seconds: float = 0.0
    """Building the secondary indexes and foreign keys, and ANALYZE."""

    def summary(self) -> str:
        p = self.progress
        return (
            f"rebuilt {len(self.tables)} tables from {p.events + self.catch_up.events:,} events "
            f"(ledger position {self.catch_up.position or p.position}, "
            f"{p.unsealed + self.catch_up.unsealed} not yet sealed) in "
            f"{self.total_seconds:.2f} s ({p.events_per_second:,.0f} events/s replayed); "
            f"swapped in {self.swap_seconds * 1000:.0f} ms after {self.attempts} attempt(s)"
        )


async def _swap_table(conn: asyncpg.Connection, schema: str, table: str) -> None:
    """Drop ``public.table`` and move ``schema.table`` in its place, keeping what other
    objects and roles had on it.  Runs in the swap transaction, holding the lock."""
    grants = await _catalog(conn, _GRANTS, table)
    public_grants = await _catalog(conn, _PUBLIC_GRANTS, table)
    triggers = await _catalog(conn, _TRIGGERS, table)
    referencing = await _catalog(conn, _REFERENCING, table)
    sequences = await _catalog(conn, _OWNED_SEQUENCES, table)
    owner = await conn.fetchval(
        "SELECT relowner::regrole::text FROM pg_class WHERE oid = $1::regclass", f"public.{table}"
    )
    for r in sequences:
        await conn.execute(f"ALTER SEQUENCE {r['seq']} OWNED BY NONE")
    await conn.execute(f"DROP TABLE public.{table} CASCADE")
    await conn.execute(f"ALTER TABLE {schema}.{table} SET SCHEMA public")
    if owner != await conn.fetchval("SELECT current_user::text"):
        await conn.execute(f"ALTER TABLE public.{table} OWNER TO {owner}")
    for g in grants:
        option = " WITH GRANT OPTION" if g["is_grantable"] else ""
        await conn.execute(
            f"GRANT {g['privilege_type']} ON public.{table} TO {g['grantee']}{option}"
        )
    for g in public_grants:
        await conn.execute(f"GRANT {g['privilege_type']} ON public.{table} TO PUBLIC")
    for r in triggers:
        await conn.execute(r["def"])
    for r in sequences:
        await conn.execute(f'ALTER SEQUENCE {r["seq"]} OWNED BY public.{table}."{r["attname"]}"')
    for r in referencing:
        await conn.execute(f'ALTER TABLE {r["tbl"]} ADD CONSTRAINT "{r["conname"]}" {r["def"]}')


async def rebuild(
    conn: asyncpg.Connection,
    projections: Sequence[Projection],
    *,
    schema: str | None = None,
    batch: int = BATCH,
    reader: asyncpg.Connection | None = None,
    log: Callable[[str], None] | None = None,
    folded: bool = True,
    fold_limit: int = FOLD_LIMIT,
) -> RebuildReport:
    """Build every projection table afresh from the ledger and swap them in (see the module
    docstring).  ``conn`` is the owner's: it creates and drops tables.  ``reader``, a second
    connection, reads the next ledger batch while one is applied, and shares the writing and
    the indexing.  ``folded``: the ledger up to its head is replayed by ``replay_folded``
    (``spotcheck.projections.folded``, each row written once) rather than batch by batch
    through ``apply``, with at most ``fold_limit`` rows of a table in memory."""
    say = log or (lambda _m: None)
    started = time.perf_counter()
    schema = ident(schema or f"spotcheck_rebuild_{os.getpid()}")
    tables = tables_of(projections)
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", REBUILD_LOCK):
        raise RuntimeError("another projection rebuild is running on this database")
    try:
        await conn.execute("SET synchronous_commit = off")
        # The folded tables' keys are built after their rows are in (or before a fold first
        # needs them), not kept up row by row.
        keys = await create_scratch(
            conn, tables, schema, defer_keys=folded_tables(projections) if folded else ()
        )
        say(f"replaying the ledger into {schema} ({len(tables)} tables)")
        # The ledger only: reading unsealed events by seq outside the lock could step past a
        # number whose transaction commits a moment later (the sealer waits for such gaps).
        progress = Progress()
        if folded:
            progress = await replay_folded(
                conn,
                projections,
                schema,
                progress,
                batch=batch,
                limit=fold_limit,
                reader=reader,
                keys=keys,
            )
        # (after a folded replay: what was sealed since it started)
        progress = await replay(
            conn,
            projections,
            schema,
            progress,
            sealed_only=True,
            batch=batch,
            own_transactions=True,
            reader=reader,
        )
        say(f"replayed {progress.events:,} events in {progress.seconds:.2f} s; indexing")
        t0 = time.perf_counter()
        await finish_scratch(conn, tables, schema, helper=reader)
        index_s = time.perf_counter() - t0
        catch_up, swap_s, attempts = await _swap(conn, projections, tables, schema, progress)
        await conn.execute("RESET synchronous_commit")
    finally:
        await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await conn.execute("SELECT pg_advisory_unlock($1)", REBUILD_LOCK)
    return RebuildReport(
        tables, progress, catch_up, swap_s, attempts, time.perf_counter() - started, index_s
    )


async def _swap(
    conn: asyncpg.Connection,
    projections: Sequence[Projection],
    tables: Sequence[str],
    schema: str,
    progress: Progress,
) -> tuple[Progress, float, int]:
    listed = ", ".join(f"public.{t}" for t in tables)
    deadline = time.perf_counter() + SWAP_DEADLINE_S
    attempt = 0
    while time.perf_counter() < deadline:
        attempt += 1
        t0 = time.perf_counter()
        catch_up = Progress(position=progress.position, seq=progress.seq)
        try:
            async with conn.transaction():
                await conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                await conn.execute(f"LOCK TABLE {listed} IN ACCESS EXCLUSIVE MODE")
                await conn.execute("SET LOCAL lock_timeout = 0")
                await conn.execute(f"SET LOCAL search_path = {schema}, public")
                await replay(conn, projections, schema, catch_up)
                await conn.execute("SET LOCAL search_path = public")
                for t in tables:
                    await _swap_table(conn, schema, t)
                await conn.execute(
                    "INSERT INTO public.projection_rebuilds"
                    " (position, seq, events, unsealed, tables) VALUES ($1, $2, $3, $4, $5)",
                    catch_up.position,
                    catch_up.seq,
                    progress.events + catch_up.events,
                    progress.unsealed + catch_up.unsealed,
                    list(tables),
                )
            return catch_up, time.perf_counter() - t0, attempt
        except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError):
            await asyncio.sleep(random.uniform(0.005, 0.05))
    raise RuntimeError(
        f"could not lock the read tables in {SWAP_DEADLINE_S:g} s ({attempt} attempts); the "
        "server is too busy: try again"
    )


@dataclass
class VerifyReport:
    tables: list[str]
    progress: Progress
    differences: list[TableDifference]

    @property
    def ok(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        p = self.progress
        head = (
            f"{len(self.tables)} tables rebuilt from {p.events:,} events (ledger position "
            f"{p.position}, {p.unsealed} not yet sealed) in {p.seconds:.2f} s"
        )
        if self.ok:
            return [f"ok: {head}: identical to the live tables"]
        return [
            f"DIFFERENT: {head}: {len(self.differences)} table(s) differ",
            *(d.line() for d in self.differences),
        ]


async def verify(
    conn: asyncpg.Connection,
    projections: Sequence[Projection],
    *,
    schema: str | None = None,
    batch: int = BATCH,
) -> VerifyReport:
    """Rebuild into a scratch schema and compare with the live tables, in one snapshot; the
    scratch schema is rolled back.  ``conn`` is the owner's."""
    schema = ident(schema or f"spotcheck_verify_{os.getpid()}")
    tables = tables_of(projections)
    tr = conn.transaction(isolation="repeatable_read")
    await tr.start()
    try:
        await conn.execute("SET LOCAL synchronous_commit = off")
        await create_scratch(conn, tables, schema, unlogged=True)
        await conn.execute(f"SET LOCAL search_path = {schema}, public")
        progress = await replay(conn, projections, schema, Progress(), batch=batch)
        await conn.execute("SET LOCAL search_path = public")
        diffs = await compare(conn, tables, schema)
    finally:
        await tr.rollback()
    return VerifyReport(tables, progress, diffs)


async def replay_into_schema(
    conn: asyncpg.Connection, projection: Projection, schema: str, batch: int = BATCH
) -> int:
    """Build one projection's tables afresh in ``schema`` from the ledger (sealed events only)
    and leave them there to be looked at or compared (``differences``); the caller drops the
    schema.  ``conn`` is the owner's.  Returns the ledger position reached."""
    tables = tables_of([projection])
    await create_scratch(conn, tables, schema)
    async with conn.transaction():
        await conn.execute(f"SET LOCAL search_path = {ident(schema)}, public")
        progress = await replay(
            conn, [projection], schema, Progress(), sealed_only=True, batch=batch
        )
    return progress.position


async def differences(conn: asyncpg.Connection, projection: Projection, schema: str) -> int:
    """Rows in either the live or the rebuilt tables of ``projection`` but not both (0 means
    identical)."""
    diffs = await compare(conn, tables_of([projection]), schema)
    return sum(d.only_live + d.only_rebuilt for d in diffs)


def describe(projections: Sequence[Projection]) -> dict[str, Any]:
    return {p.name: list(p.tables) for p in projections}
