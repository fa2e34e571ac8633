"""Catch-up subscriptions resume from their checkpoint without missing or repeating events."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import asyncpg

from spotcheck.eventstore import NO_STREAM, EventStore, Metadata, NewEvent, RecordedEvent
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.subscription import (
    CatchUpSubscription,
    NamedSubscription,
    load_checkpoint,
)


async def append_n(store: EventStore, prefix: str, n: int) -> None:
    for i in range(n):
        await store.append(
            f"{prefix}-{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i}, Metadata())]
        )


async def test_stop_and_restart_neither_misses_nor_repeats(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection, db: object
) -> None:
    await owner_conn.execute("CREATE TABLE sink (position bigint, event_id uuid)")
    await owner_conn.execute("GRANT SELECT, INSERT ON sink TO spotcheck_app")
    url = db.app_url  # type: ignore[attr-defined]
    await append_n(store, "a", 25)
    await sealer.wait_sealed(25)

    seen_batches = 0
    crash_once = True
    stop_after: int | None = 3

    async def handler(conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        nonlocal seen_batches, crash_once, stop_after
        await conn.executemany(
            "INSERT INTO sink VALUES ($1, $2)", [(e.position, e.event_id) for e in events]
        )
        seen_batches += 1
        if seen_batches == 2 and crash_once:
            crash_once = False
            raise RuntimeError("consumer crashed mid-batch")  # this batch must come again
        if seen_batches == stop_after:
            sub.stop()

    sub = NamedSubscription(url, "test-feed", handler, batch_size=7, poll_interval=0.05)
    try:
        await sub.run()
    except RuntimeError:
        pass
    assert await load_checkpoint(owner_conn, "test-feed") == 7
    await sub.run()  # resumes at 7: the crashed batch again, then it stops
    checkpoint = await load_checkpoint(owner_conn, "test-feed")
    assert checkpoint == 14

    await append_n(store, "b", 10)  # written while no consumer runs
    await sealer.wait_sealed(35)
    stop_after = None
    runner = asyncio.create_task(sub.run())
    async with asyncio.timeout(10):
        while await load_checkpoint(owner_conn, "test-feed") < 35:
            await asyncio.sleep(0.02)
    await append_n(store, "c", 5)  # arrives while it waits (LISTEN wake-up or poll)
    async with asyncio.timeout(10):
        while await load_checkpoint(owner_conn, "test-feed") < 40:
            await asyncio.sleep(0.02)
    sub.stop()
    await asyncio.wait_for(runner, 5)
    rows = await owner_conn.fetch("SELECT position FROM sink ORDER BY position")
    assert [r["position"] for r in rows] == list(range(1, 41))


async def test_catch_up_iterator_yields_in_order(
    store: EventStore, sealer: Sealer, db: object
) -> None:
    await append_n(store, "x", 12)
    await sealer.wait_sealed(12)
    sub = CatchUpSubscription(db.app_url, after_position=5, batch_size=4, poll_interval=0.05)  # type: ignore[attr-defined]
    got: list[int] = []
    async for e in sub.events():
        got.append(e.position or 0)
        if len(got) == 7:
            sub.stop()
    assert got == list(range(6, 13))
