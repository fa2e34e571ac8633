"""The sealer: the one writer of the ledger.

It reads committed events in insert-time order (``events.seq``, drawn from a CACHE 1 sequence),
computes each one's content hash from the stored row, and gives it a gapless ledger position and
a chain hash ``SHA-256(previous chain hash ‖ content hash)``.

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
from dataclasses import dataclass

import asyncpg

from spotcheck.eventstore.canonical import GENESIS_HASH, chain_hash
from spotcheck.eventstore.verify import row_content_hash

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x73706F74636B  # "spotck"
LEDGER_CHANNEL = "spotcheck_ledger"
MAX_SKIPPED_KEPT = 1000

_READ = """
SELECT seq, event_id, stream_id, stream_version, event_type, schema_version,
       data::text AS data, metadata::text AS metadata, recorded_at
  FROM events WHERE seq > $1 ORDER BY seq LIMIT $2
"""
# The batch and its notification in one statement: one round trip, one implicit transaction.
_INSERT = """
WITH sealed AS (
  INSERT INTO ledger (position, seq, content_hash, chain_hash)
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]))
SELECT pg_notify($5, $6)
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
    ) -> None:
        self.url = url
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

    def wake(self) -> None:
        """A hint that events were committed (called by the store after each commit)."""
        self._wake.set()

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
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _lead(self, conn: asyncpg.Connection) -> None:
        while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", ADVISORY_LOCK_KEY):
            await asyncio.sleep(self.standby_interval)
        self.is_leader = True
        self.head = await read_head(conn)
        self._gap = None
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
        rows = await conn.fetch(_READ, head.seq, self.batch_size)
        take: list[asyncpg.Record] = []
        expected = head.seq + 1
        for row in rows:
            seq = row["seq"]
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
            take.append(row)
            expected = seq + 1
        if not take:
            return 0
        positions, seqs, contents, chains = [], [], [], []
        prev = head.chain_hash
        pos = head.position
        for row in take:
            pos += 1
            content = row_content_hash(row)
            prev = chain_hash(prev, content)
            positions.append(pos)
            seqs.append(row["seq"])
            contents.append(content)
            chains.append(prev)
        await conn.execute(_INSERT, positions, seqs, contents, chains, LEDGER_CHANNEL, str(pos))
        self.head = LedgerHead(pos, seqs[-1], prev)
        ms = round((time.perf_counter() - started) * 1000, 2)
        log.info(
            "sealed positions %s..%s (%s events) in %s ms",
            positions[0],
            pos,
            len(take),
            ms,
            extra={
                "first_position": positions[0],
                "last_position": pos,
                "count": len(take),
                "ms": ms,
            },
        )
        async with self._sealed:
            self._sealed.notify_all()
        return len(take)

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
