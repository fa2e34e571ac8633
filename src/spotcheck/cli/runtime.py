"""What CLI commands share: the database (embedded or DATABASE_URL), migrated, and a command
runner with a sealer, so that what a command writes is sealed into the ledger before it exits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

from spotcheck.config import Settings
from spotcheck.db.migrate import migrate
from spotcheck.db.pool import create_pool
from spotcheck.db.resolve import DatabaseUrls, resolve
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner

SEAL_TIMEOUT = 600.0


@contextlib.contextmanager
def database(
    settings: Settings, *, migrate_first: bool = True, own: bool = False
) -> Iterator[DatabaseUrls]:
    """The database, migrated; an embedded server started (or, ``own``, owned) here is stopped
    on the way out (see ``spotcheck.db.resolve``)."""
    urls = resolve(settings, own=own)
    try:
        if migrate_first:
            migrate(urls.owner)
        yield urls
    finally:
        urls.release()


@contextlib.asynccontextmanager
async def command_runner(app_url: str, *, pool_size: int = 4) -> AsyncIterator[CommandRunner]:
    """A runner on the server's role, with a sealer; waits for the ledger to seal at the end.

    If a server is running, its sealer leads and ours stands by; either way the wait ends when
    every committed event has a ledger position.
    """
    pool = await create_pool(app_url, min_size=1, max_size=pool_size)
    store = EventStore(pool, event_registry())
    sealer = Sealer(app_url)
    sealer.follow(store)
    task = asyncio.create_task(sealer.run())
    try:
        yield CommandRunner(store, projections())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SEAL_TIMEOUT
        while (await ledger_status(pool)).unsealed_count and loop.time() < deadline:
            sealer.wake()
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await pool.close()
