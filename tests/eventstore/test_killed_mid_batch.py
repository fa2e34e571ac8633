"""Drills (issue 13): the sealer and the checkpointer lose their process in the middle of a batch.

Each is held inside its batch's transaction (a test trigger sleeps there), and its database
session is then terminated, as PostgreSQL sees a process killed with ``kill -9``: the open
transaction is rolled back and nothing of the batch stays.  The next leader (a new sealer or
checkpointer) continues from what was committed: no gap, no position or tree size twice, and
everything verifies.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from spotcheck.eventstore import NO_STREAM, EventStore, Metadata, NewEvent
from spotcheck.eventstore.ledger import ledger_status, read_ledger
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.verify import verify_ledger
from spotcheck.transparency.checkpointer import Checkpointer
from spotcheck.transparency.log import checkpoint_at, latest_checkpoint
from tests.conftest import Db
from tests.merkle import rfc6962 as ref

pytestmark = pytest.mark.drill

KEY = Ed25519PrivateKey.from_private_bytes(b"d" * 32)


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@contextlib.asynccontextmanager
async def running(job: Sealer | Checkpointer) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(job.run())
    try:
        yield task
    finally:
        await stop(task)


@contextlib.asynccontextmanager
async def held_in(owner: asyncpg.Connection, table: str) -> AsyncIterator[None]:
    """Every insert into ``table`` sleeps 30 s inside its transaction, until the block ends."""
    await owner.execute(
        "CREATE FUNCTION drill_hold() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$"
    )
    await owner.execute(
        f"CREATE TRIGGER drill_hold AFTER INSERT ON {table}"
        " FOR EACH STATEMENT EXECUTE FUNCTION drill_hold()"
    )
    try:
        yield
    finally:
        await owner.execute(f"DROP TRIGGER drill_hold ON {table}")
        await owner.execute("DROP FUNCTION drill_hold()")


async def kill_the_held_session(owner: asyncpg.Connection) -> int:
    """Wait until a session sleeps in the trigger, then end it as a killed process would."""
    async with asyncio.timeout(20):
        while True:
            pid = await owner.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
                " AND query NOT LIKE '%pg_stat_activity%' LIMIT 1"
            )
            if pid is not None:
                break
            await asyncio.sleep(0.02)
    assert await owner.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    return int(pid)


async def append(store: EventStore, n: int, tag: str) -> None:
    for i in range(n):
        event = NewEvent("ThingHappened", {"i": i}, Metadata(actor="drill"))
        await store.append(f"{tag}-{i}", NO_STREAM, [event])


async def test_a_sealer_killed_mid_batch_is_continued_without_gap_or_duplicate(
    db: Db, store: EventStore, owner_conn: asyncpg.Connection
) -> None:
    first = Sealer(db.app_url, poll_interval=0.02)
    async with running(first) as task:
        await append(store, 5, "before")
        await first.wait_sealed(5)
        async with held_in(owner_conn, "ledger"):
            await append(store, 20, "during")  # the next batch is held, then killed
            await kill_the_held_session(owner_conn)
            await stop(task)  # its process is gone with the session
            assert (await ledger_status(store.pool)).head_position == 5, "nothing of it stays"
    # The next leader takes over.
    second = Sealer(db.app_url, poll_interval=0.02)
    async with running(second):
        await append(store, 5, "after")
        await second.wait_sealed(30)
    positions = [e.position for e in await read_ledger(store.pool, 0, 100)]
    assert positions == list(range(1, 31))
    seqs = await owner_conn.fetchval("SELECT count(DISTINCT seq) FROM ledger")
    assert seqs == 30 and second.skipped == []
    report = await verify_ledger(owner_conn)
    assert report.ok and report.sealed == 30 and report.unsealed == 0, report.summary()


async def test_a_checkpointer_killed_mid_signing_leaves_no_size_unsigned_or_signed_twice(
    db: Db, store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    await append(store, 7, "a")
    await sealer.wait_sealed(7)
    first = Checkpointer(db.app_url, KEY, interval=0.1, poll_interval=0.02, retry_interval=0.1)
    async with running(first) as task:
        async with held_in(owner_conn, "log_checkpoints"):
            await kill_the_held_session(owner_conn)  # its first checkpoint, held and killed
            await stop(task)
            assert await latest_checkpoint(store.pool) is None
            assert await owner_conn.fetchval("SELECT count(*) FROM merkle_nodes") == 0
    second = Checkpointer(db.app_url, KEY, interval=0.1, poll_interval=0.02)
    async with running(second):
        await append(store, 6, "b")
        await sealer.wait_sealed(13)
        async with asyncio.timeout(20):
            while (c := await latest_checkpoint(store.pool)) is None or c.tree_size < 13:
                await asyncio.sleep(0.05)
    sizes = [
        r["tree_size"] for r in await owner_conn.fetch("SELECT tree_size FROM log_checkpoints")
    ]
    assert len(sizes) == len(set(sizes)), f"a size signed twice: {sizes}"
    leaves = [ref.leaf(e.content_hash) for e in await read_ledger(store.pool, 0, 100)]
    for size in sizes:
        checkpoint = await checkpoint_at(store.pool, size)
        assert checkpoint is not None and checkpoint.verify(KEY.public_key())
        assert checkpoint.root_hash == ref.mth(leaves[:size])
    assert max(sizes) == 13
