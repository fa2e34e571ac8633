"""The checkpointer: signs the ledger's Merkle root while new sealed events arrive.

It runs in the server beside the sealer.  When the sealed head passes the latest checkpoint it
signs a new one at once if the last was at least ``interval`` seconds ago (so the first events
after a quiet spell are signed within ``poll_interval``), else when ``interval`` has passed:
while events keep arriving there is a checkpoint at least every ``interval`` (default 2 s, well
inside the 10 s promised).  A long unsigned backlog (first start on an existing ledger) is
signed in batches, one transaction each, back to back.

Several servers may run one each; one leads: a session-level advisory lock on its own connection
(like the sealer's, another key), so with ``serve --workers N`` or many hosts one process signs
and the others stand by, retrying every ``retry_interval`` (1 s).  A leader that dies releases
the lock with its session (at once when its process dies; see ``spotcheck.eventstore.sealer``),
and a standby takes over within that interval.  Signing also keeps its transaction-scoped
advisory lock, so that even two leaders for a moment would take turns, and a turn that finds
the ledger already covered signs nothing.  A missing ledger position stops
signing (the tree would not be the ledger's) and is logged on every attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.merkle.note import Checkpoint
from spotcheck.transparency.log import (
    CHECKPOINT_BATCH,
    LedgerGap,
    checkpoint_once,
    latest_checkpoint,
    ledger_head,
)

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x73706F74636B + 2
"""Held by the leading checkpointer's session; + 1 is the signing turn's transaction lock
(``spotcheck.transparency.log.CHECKPOINT_LOCK_KEY``), the sealer's key + 0."""


class Checkpointer:
    """Run :meth:`run` as a task; :meth:`checkpoint_now` signs at once (tests, tools)."""

    def __init__(
        self,
        url: str,
        key: Ed25519PrivateKey,
        *,
        interval: float = 2.0,
        poll_interval: float = 0.1,
        retry_interval: float = 1.0,
        batch: int = CHECKPOINT_BATCH,
    ) -> None:
        if not 0 < interval <= 10:
            raise ValueError("the checkpoint interval must be within (0, 10] seconds")
        self.url = url
        self.key = key
        self.interval = interval
        self.poll_interval = poll_interval
        self.retry_interval = retry_interval
        self.batch = batch
        self.latest: Checkpoint | None = None
        self.is_leader = False
        self._last_signed = float("-inf")

    async def run(self) -> None:
        while True:
            try:
                conn = await asyncpg.connect(
                    self.url,
                    server_settings={"application_name": f"spotcheck checkpointer {os.getpid()}"},
                )
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("checkpointer cannot connect: %s", exc)
                await asyncio.sleep(self.retry_interval)
                continue
            try:
                while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY):
                    await asyncio.sleep(self.retry_interval)
                self.is_leader = True
                log.info("checkpointer leads")
                await self._loop(conn)
            except LedgerGap as exc:
                log.error("checkpointer: %s; nothing is signed until it is repaired", exc)
                await asyncio.sleep(self.retry_interval)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("checkpointer lost its connection: %s", exc)
                await asyncio.sleep(self.retry_interval)
            except Exception:
                log.exception("checkpointer failed; starting over")
                await asyncio.sleep(self.retry_interval)
            finally:
                self.is_leader = False
                with contextlib.suppress(Exception):
                    await conn.close()

    async def _loop(self, conn: asyncpg.Connection) -> None:
        self.latest = await latest_checkpoint(conn)
        while True:
            covered = self.latest.tree_size if self.latest is not None else 0
            if await ledger_head(conn) <= covered:
                await asyncio.sleep(self.poll_interval)
                continue
            wait = self._last_signed + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(min(wait, self.interval))
            made = await self.checkpoint_now(conn)
            if made is None:  # another server signed it
                self.latest = await latest_checkpoint(conn)

    async def checkpoint_now(self, conn: asyncpg.Connection) -> Checkpoint | None:
        """Sign up to ``batch`` more sealed leaves now; None if all are signed already."""
        made = await checkpoint_once(conn, self.key, self.batch)
        if made is not None:
            self.latest = made
            if made.tree_size == await ledger_head(conn):
                self._last_signed = time.monotonic()
            log.debug("checkpoint signed at tree size %s", made.tree_size)
        return made
