"""Catch-up subscriptions over the ledger.

A subscription reads the ledger by position, so it sees each sealed event exactly once and in
order: the sealer commits contiguous positions in order, so the visible ledger is always a
prefix.  It polls; LISTEN/NOTIFY on ``spotcheck_ledger`` is only a hint that wakes it early, so a
lost notification costs latency, never an event.  A named subscription keeps its checkpoint in
``subscription_checkpoints``, updated in the same transaction as the handler's work, so a restart
neither misses nor repeats an event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import asyncpg

from spotcheck.db.pool import init_connection
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.ledger import read_ledger
from spotcheck.eventstore.sealer import LEDGER_CHANNEL

Handler = Callable[[asyncpg.Connection, Sequence[RecordedEvent]], Awaitable[None]]


class CatchUpSubscription:
    """Yields batches of sealed events after ``after_position``, then waits for more."""

    def __init__(
        self,
        url: str,
        after_position: int = 0,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self.url = url
        self.position = after_position
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._hint = asyncio.Event()
        self._stopped = False

    def stop(self) -> None:
        """End :meth:`batches` at its next wait."""
        self._stopped = True
        self._hint.set()

    def _on_notify(self, *_: object) -> None:
        self._hint.set()

    async def batches(self) -> AsyncIterator[tuple[asyncpg.Connection, list[RecordedEvent]]]:
        """Each batch comes with the connection it was read on, for transactional handlers."""
        conn = await asyncpg.connect(self.url)
        try:
            await init_connection(conn)
            await conn.add_listener(LEDGER_CHANNEL, self._on_notify)
            while not self._stopped:
                self._hint.clear()
                events = await read_ledger(conn, self.position, self.batch_size)
                # Defensive: a batch must continue the positions without a hole.
                contiguous: list[RecordedEvent] = []
                for e in events:
                    if e.position != self.position + len(contiguous) + 1:
                        break
                    contiguous.append(e)
                if contiguous:
                    yield conn, contiguous
                    self.position = contiguous[-1].position or self.position
                    if len(contiguous) == self.batch_size or self._stopped:
                        continue
                with contextlib.suppress(TimeoutError):  # not wait_for: see Sealer._lead
                    async with asyncio.timeout(self.poll_interval):
                        await self._hint.wait()
        finally:
            with contextlib.suppress(Exception):
                await conn.close()

    async def events(self) -> AsyncIterator[RecordedEvent]:
        async for _, batch in self.batches():
            for e in batch:
                yield e


async def load_checkpoint(conn: asyncpg.Connection | asyncpg.Pool, name: str) -> int:
    pos = await conn.fetchval("SELECT position FROM subscription_checkpoints WHERE name = $1", name)
    return int(pos or 0)


class NamedSubscription:
    """A subscription that resumes from its checkpoint ``name``.

    Each batch's handler work and the new checkpoint commit in one transaction.
    """

    def __init__(
        self,
        url: str,
        name: str,
        handler: Handler,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self.url = url
        self.name = name
        self.handler = handler
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._sub: CatchUpSubscription | None = None
        self._stop_requested = False

    def stop(self) -> None:
        self._stop_requested = True
        if self._sub is not None:
            self._sub.stop()

    async def run(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            start = await load_checkpoint(conn, self.name)
        finally:
            await conn.close()
        self._sub = CatchUpSubscription(
            self.url, start, batch_size=self.batch_size, poll_interval=self.poll_interval
        )
        try:
            if self._stop_requested:
                return
            async for conn, batch in self._sub.batches():
                async with conn.transaction():
                    await self.handler(conn, batch)
                    await conn.execute(
                        """INSERT INTO subscription_checkpoints (name, position) VALUES ($1, $2)
                           ON CONFLICT (name) DO UPDATE SET position = $2, updated_at = now()""",
                        self.name,
                        batch[-1].position,
                    )
        finally:
            self._stop_requested = False  # a stop ends this run; a later run() starts afresh
