"""The sealer: the one writer of the ledger.

It reads committed events in insert-time order (``events.seq``, drawn from a CACHE 1 sequence),
computes each one's content hash from the stored row (or takes the one its appender in this
process handed over: ``eventstore.hints``), and gives it a gapless ledger position and a chain
hash ``SHA-256(previous chain hash ‖ content hash)``.

Why sequence order respects every read dependency: a transaction that read another's committed
event draws its own numbers after that commit, so they are larger.  Transaction-id order would
not: an id can be taken early and the read done later.

Gaps.  Numbers are drawn before commit, so the sealer may see ``n + 1`` committed while ``n`` is
not visible: ``n`` is still in flight, rolled back, or lost in a crash.  Every appending
transaction takes its transaction id before it draws a number (the store does so, and the
column default ``next_event_seq()`` enforces it).  So whichever transaction drew ``n`` had an id
when the sealer first saw the gap.  The sealer then takes a transaction id of its own, the
gap's *horizon*, which is newer than that one, and seals nothing past the gap until no
transaction older than the horizon is in progress (a later snapshot's ``xmin`` is above it);
it reads the gap's numbers again under that same snapshot: if ``n`` is there it is sealed in its
place, and if not it can never appear and is skipped.  No committed event is skipped, none is
sealed twice (``ledger.seq`` is unique, positions are a primary key), and a slow transaction
delays only the events after its own numbers.

Why a transaction id and not the list of transactions in progress in a snapshot taken when the
gap is seen: that list stops at the snapshot's ``xmax``, one past the newest *completed*
transaction, so a transaction that took its id after the last commit is in progress without
being listed.  An empty list then read as "everyone has ended" and ``n`` was skipped while its
transaction was still open (tests/eventstore/test_sealer.py reproduces it).

One sealer per database: a session-level advisory lock on the sealer's own connection.  A second
server process waits as a standby and takes over when the lock is released.  The lock and every
ledger write share that one session, so a leader that lost it (killed, partitioned away) can
write nothing more: there is never a second writer, only a gap in time.  How long: PostgreSQL
ends a dead client's session, and with it the lock, as soon as its socket closes (at once when
the process dies on a live host; after the TCP keepalive settings when the host itself goes
away), and a standby retries every ``standby_interval`` (1 s).  The leader's connection is
named ``spotcheck sealer <pid>`` (``pg_stat_activity.application_name``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import asyncpg

from spotcheck.eventstore.canonical import GENESIS_HASH, chain_hash
from spotcheck.eventstore.hasher import HASH_BYTES, READ_ROWS, Hasher, HasherError
from spotcheck.eventstore.hints import HintBook
from spotcheck.eventstore.verify import row_content_hash

if TYPE_CHECKING:
    from spotcheck.eventstore.store import EventStore

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x73706F74636B  # "spotck"
LEDGER_CHANNEL = "spotcheck_ledger"
MAX_SKIPPED_KEPT = 1000

_READ = READ_ROWS
HasherMode = Literal["auto", "always", "off"]
HASHER_RETRY = 60.0
"""Seconds before the sealer starts a hasher again after one failed."""
HASHER_IDLE = 60.0
"""Seconds without a full batch after which the sealer stops its hasher."""
# With hints: the next events' numbers, ids and inserting transactions only (no JSON output).
_READ_IDS = "SELECT seq, event_id, xmin FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
# The events no hint covers, in full, by number (committed rows: they are all there).
_READ_SEQS = """
SELECT seq, event_id, stream_id, stream_version, event_type, schema_version,
       data::text AS data, metadata::text AS metadata, recorded_at
  FROM events WHERE seq = ANY($1::bigint[])
"""
# The batch and its notification in one statement: one round trip, one implicit transaction.
# The hashes go as two byte strings, 32 bytes an event, cut in the database: a bytea[] of
# 5,000 elements cost asyncpg about 1 us an event (three ABC checks per element).
_INSERT = """
WITH sealed AS (
  INSERT INTO ledger (position, seq, content_hash, chain_hash)
  SELECT $1::bigint + s.i - 1, s.seq, substring($3::bytea FROM (32 * s.i - 31)::int FOR 32),
         substring($4::bytea FROM (32 * s.i - 31)::int FOR 32)
    FROM unnest($2::bigint[]) WITH ORDINALITY AS s(seq, i))
SELECT pg_notify($5, $6)
"""
# The same for a batch of consecutive numbers (a bulk append's, usually): the numbers as a
# range, not an array, which asyncpg encoded at about 0.5 us an element (an ABC check each).
_INSERT_RUN = """
WITH sealed AS (
  INSERT INTO ledger (position, seq, content_hash, chain_hash)
  SELECT $1::bigint + s.i - 1, s.seq, substring($4::bytea FROM (32 * s.i - 31)::int FOR 32),
         substring($5::bytea FROM (32 * s.i - 31)::int FOR 32)
    FROM generate_series($2::bigint, $3::bigint) WITH ORDINALITY AS s(seq, i))
SELECT pg_notify($6, $7)
"""
# Has every transaction older than the gap's horizon ended, and which numbers of the gap are
# visible now?  One statement, so one snapshot answers both (pg_current_snapshot() is the
# statement's own).  Not pg_xact_status(): the commit log marks a transaction committed a moment
# before its rows become visible to new snapshots, and a re-read in that moment would take a
# committed event for a rolled-back one and skip it.
_GAP_SETTLED = """
SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::text::xid8 AS settled,
       ARRAY(SELECT seq FROM events WHERE seq > $2 ORDER BY seq LIMIT $3) AS visible
"""


async def _new_horizon(conn: asyncpg.Connection) -> str:
    """A fresh transaction id, newer than every id taken so far.  Its commit need not be durable:
    nothing refers to it, and lost in a crash it only counts as aborted."""
    async with conn.transaction():
        await conn.execute("SET LOCAL synchronous_commit = off")
        horizon: str = await conn.fetchval("SELECT pg_current_xact_id()::text")
    return horizon


@dataclass
class LedgerHead:
    position: int
    seq: int
    chain_hash: bytes


async def read_head(conn: asyncpg.Connection) -> LedgerHead:
    row = await conn.fetchrow(
        "SELECT position, seq, chain_hash FROM ledger ORDER BY position DESC LIMIT 1"
    )
    if row is None:
        return LedgerHead(0, 0, GENESIS_HASH)
    return LedgerHead(row["position"], row["seq"], bytes(row["chain_hash"]))


@dataclass
class _Hinted:
    """What the hints gave for a batch read: the rows read (``seq, event_id, xmin``), each
    one's hinted hash or None, and the indices of the Nones."""

    rows: list[asyncpg.Record]
    hashes: list[bytes | None]
    unhinted: list[int]


@dataclass
class _Gap:
    first_missing: int
    horizon: str
    """A transaction id taken after the gap was seen (xid8 as text)."""


class Sealer:
    """Seals committed events into the ledger in batches.  Run :meth:`run` as a task."""

    def __init__(
        self,
        url: str,
        *,
        batch_size: int = 5000,
        poll_interval: float = 0.05,
        standby_interval: float = 1.0,
        gather: float = 0.01,
        hasher: HasherMode = "auto",
    ) -> None:
        self.url = url
        self.hasher: HasherMode = hasher
        """Where content hashes are computed: "auto" starts a child process
        (:mod:`spotcheck.eventstore.hasher`) when a full batch is read and stops it after
        ``HASHER_IDLE`` seconds without one; "always" runs one while this sealer leads; "off"
        hashes in this process only."""
        self.hashed_by_child = 0
        """Events whose content hash the child computed (for tests and the benchmarks)."""
        self.hashed_from_hints = 0
        """Events sealed with the content hash their appender handed over (:meth:`hint`)."""
        self.hints = HintBook()
        """The content hashes appenders in this process handed over (:meth:`hint`)."""
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.standby_interval = standby_interval
        self.gather = gather
        """Seconds a woken sealer lets commits gather after a partial batch: under many
        writers it then seals tens of events per transaction instead of one or two."""
        self.is_leader = False
        self.head: LedgerHead | None = None
        self.skipped: list[int] = []
        self._gap: _Gap | None = None
        self._wake = asyncio.Event()
        self._sealed = asyncio.Condition()
        self._hasher: asyncio.Task[Hasher] | None = None
        self._hasher_failed_at = -HASHER_RETRY
        self._last_full = 0.0

    def wake(self) -> None:
        """A hint that events were committed (called by the store after each commit)."""
        self._wake.set()

    def follow(self, store: EventStore) -> None:
        """Be woken by ``store``'s commits and take the content hashes of its bulk appends."""
        store.on_hints(self.hint, lambda: self.is_leader)  # a standby takes none
        store.on_commit(self.wake)

    def hint(self, xid: int, event_ids: list[int], hashes: list[bytes]) -> None:
        """Content hashes of events that transaction ``xid`` has committed, computed by their
        appender from the values it wrote.  A hint is used only for a row with this event id
        *and* this ``xmin`` (inserted by that transaction, not in a subtransaction): a unique
        id, so a visible row's hint is its own.  Kept only while this sealer leads, and at
        most ``hints.MAX_HINTS``."""
        if self.is_leader:
            self.hints.add(xid, event_ids, hashes)

    async def run(self) -> None:
        while True:
            try:
                conn = await asyncpg.connect(
                    self.url,
                    server_settings={"application_name": f"spotcheck sealer {os.getpid()}"},
                )
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("sealer cannot connect: %s", exc)
                await asyncio.sleep(self.standby_interval)
                continue
            try:
                await self._lead(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("sealer lost its connection: %s", exc)
                await asyncio.sleep(self.poll_interval)
            except Exception:
                # A bug must not stop sealing for good: log it loudly, start over from the
                # ledger's head (nothing half-written survives: each batch is one transaction).
                log.exception("sealer failed; restarting from the ledger head")
                await asyncio.sleep(self.standby_interval)
            finally:
                self.is_leader = False
                self.hints.clear()
                await self._stop_hasher()
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _lead(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY):
            await asyncio.sleep(self.standby_interval)
        self.is_leader = True
        self.head = await read_head(conn)
        self._gap = None
        if self.hasher == "always":
            self._start_hasher()
        log.info("sealer leads from position %s", self.head.position)
        while True:
            self._wake.clear()
            sealed = await self.seal_once(conn)
            if sealed == self.batch_size:
                continue
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation
            # that arrives as the wake-up completes, and the server's shutdown then waits for
            # this task for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            if sealed and self.gather > 0:
                await asyncio.sleep(self.gather)

    async def seal_once(self, conn: asyncpg.Connection) -> int:
        """Seal what can be sealed now; returns how many events were sealed."""
        assert self.head is not None
        head = self.head
        started = time.perf_counter()
        read, content_of, by_child, hinted = await self._read(conn, head.seq)
        take = 0  # the events sealed now: always the first ones read
        expected = head.seq + 1
        for seq in read:
            if seq != expected:
                visible = await self._gap_settled(conn, expected, seq)
                if visible is None:
                    break
                if visible and visible[0] < seq:
                    break  # seal up to the gap now; the late arrival next round
                self.skipped.extend(range(expected, seq))
                del self.skipped[:-MAX_SKIPPED_KEPT]  # a long-running server keeps only recent ones
                log.info("sealer: numbers %s..%s were never committed", expected, seq - 1)
                self._gap = None
            take += 1
            expected = seq + 1
        if hinted is not None:
            self.hashed_from_hints += take - sum(1 for i in hinted.unhinted if i < take)
            if take < len(read):  # cut at a gap: those after it come again
                self.hints.give_back(hinted.rows[take:], hinted.hashes[take:])
        if not take:
            return 0
        seqs = read[:take]
        first, pos = head.position + 1, head.position + take
        contents, chains = bytearray(), bytearray()
        prev = head.chain_hash
        for i in range(take):
            content = content_of(i)
            prev = chain_hash(prev, content)
            contents += content
            chains += prev
        if seqs[-1] - seqs[0] == take - 1:  # no gap: seqs[0], seqs[0] + 1, ...
            await conn.execute(
                _INSERT_RUN,
                first,
                seqs[0],
                seqs[-1],
                bytes(contents),
                bytes(chains),
                LEDGER_CHANNEL,
                str(pos),
            )
        else:
            await conn.execute(
                _INSERT, first, seqs, bytes(contents), bytes(chains), LEDGER_CHANNEL, str(pos)
            )
        if by_child:
            self.hashed_by_child += take
        self.head = LedgerHead(pos, seqs[-1], prev)
        ms = round((time.perf_counter() - started) * 1000, 2)
        log.info(
            "sealed positions %s..%s (%s events) in %s ms",
            first,
            pos,
            take,
            ms,
            extra={
                "first_position": first,
                "last_position": pos,
                "count": take,
                "ms": ms,
            },
        )
        async with self._sealed:
            self._sealed.notify_all()
        return take

    async def _read(
        self, conn: asyncpg.Connection, after_seq: int
    ) -> tuple[list[int], Callable[[int], bytes], bool, _Hinted | None]:
        """The ``seq`` of the next committed events (at most a batch), the content hash of the
        i-th of them, whether the child computed them, and what the hints gave.  With hints
        held, the events' ids are read first and only those no hint covers are read in full
        and hashed here; if none is covered, or without hints, the child computes them while
        it runs, else they are read and hashed here."""
        if self.hints:
            got = await self._read_hinted(conn, after_seq)
            if got is not None:
                seqs, contents, hinted = got
                return seqs, contents.__getitem__, False, hinted
        hasher = await self._running_hasher()
        if hasher is not None:
            try:
                seqs, hashes = await hasher.read(after_seq, self.batch_size)
            except HasherError as exc:
                log.warning("sealer: %s; hashing in this process", exc)
                self._hasher_failed_at = time.monotonic()
                await self._stop_hasher()
            else:
                if len(seqs) == self.batch_size:
                    self._last_full = time.monotonic()
                    # A backlog: the child reads and hashes the next batch while this one is
                    # written (if this one is not sealed whole, that answer is dropped).
                    hasher.read_ahead(seqs[-1], self.batch_size)
                elif self.hasher == "auto" and time.monotonic() - self._last_full > HASHER_IDLE:
                    await self._stop_hasher()  # the bulk load is over
                return seqs, lambda i: hashes[i * HASH_BYTES : (i + 1) * HASH_BYTES], True, None
        rows = await conn.fetch(_READ, after_seq, self.batch_size)
        if len(rows) == self.batch_size:
            self._start_hasher()
        return [r["seq"] for r in rows], lambda i: row_content_hash(rows[i]), False, None

    async def _read_hinted(
        self, conn: asyncpg.Connection, after_seq: int
    ) -> tuple[list[int], list[bytes], _Hinted] | None:
        """The next events' numbers and content hashes, from the hints where they cover them,
        and what they covered; None if they cover none.  Reading ids,
        numbers and ``xmin`` costs no JSON output; the uncovered rows are read in full by
        number (committed rows stay)."""
        hints = self.hints
        generation = hints.generation
        rows = await conn.fetch(_READ_IDS, after_seq, self.batch_size)
        hinted, hits = hints.take(rows)
        if len(rows) < self.batch_size:
            hints.drop_stale(generation)
        if rows and not hits:
            return None
        seqs = [r[0] for r in rows]
        unhinted = [i for i, content in enumerate(hinted) if content is None]
        given = _Hinted(rows, list(hinted), unhinted)
        contents = cast(list[bytes], hinted)
        if unhinted:
            full = await conn.fetch(_READ_SEQS, [seqs[i] for i in unhinted])
            by_seq = {r["seq"]: row_content_hash(r) for r in full}
            for i in unhinted:
                contents[i] = by_seq[seqs[i]]
        return seqs, contents, given

    def _start_hasher(self) -> None:
        """Start a hasher in the background after a full batch (sealing goes on meanwhile)."""
        now = time.monotonic()
        if self.hasher == "off" or self._hasher is not None:
            return
        if now - self._hasher_failed_at < HASHER_RETRY:
            return
        self._last_full = now
        self._hasher = asyncio.create_task(Hasher.start(self.url))

    async def _running_hasher(self) -> Hasher | None:
        task = self._hasher
        if task is None or not task.done():
            return None
        try:
            return task.result()
        except Exception as exc:
            log.warning("sealer: the hasher did not start: %r", exc)
            self._hasher = None
            self._hasher_failed_at = time.monotonic()
            return None

    async def _stop_hasher(self) -> None:
        task, self._hasher = self._hasher, None
        if task is None:
            return
        if not task.done():
            task.cancel()  # Hasher.start closes the child it started
            return
        if not task.cancelled() and task.exception() is None:
            await task.result().close()

    async def _gap_settled(
        self, conn: asyncpg.Connection, first_missing: int, next_seen: int
    ) -> list[int] | None:
        """None while the gap ``first_missing .. next_seen - 1`` may still fill; once every
        transaction older than its horizon has ended, the numbers from ``first_missing`` on
        that are visible now (read under the same snapshot)."""
        if self._gap is None or self._gap.first_missing != first_missing:
            self._gap = _Gap(first_missing, await _new_horizon(conn))
            return None
        row = await conn.fetchrow(
            _GAP_SETTLED, self._gap.horizon, first_missing - 1, next_seen - first_missing + 1
        )
        return list(row["visible"]) if row["settled"] else None

    async def wait_sealed(self, position: int | None = None, timeout: float = 10.0) -> None:
        """Wait until the ledger head reaches ``position`` (or this sealer leads), for tests."""
        deadline = time.monotonic() + timeout
        async with self._sealed:
            while self.head is None or (position is not None and self.head.position < position):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("the sealer did not reach the position in time")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(left):
                        await self._sealed.wait()
