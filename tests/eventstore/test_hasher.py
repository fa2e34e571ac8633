"""The sealer's hasher: content hashes computed in a child process, the same ledger."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest

from spotcheck.eventstore import ANY, NO_STREAM, EventStore, Metadata, NewEvent, StreamAppend
from spotcheck.eventstore.hasher import Hasher
from spotcheck.eventstore.ledger import ledger_status, read_ledger
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.verify import verify_ledger
from tests.conftest import Db

TIMEOUT = 30.0


def ev(**data: object) -> NewEvent:
    return NewEvent("ThingHappened", dict(data) or {"n": 1}, Metadata(actor="tester"))


class Rollback(Exception):
    pass


@contextlib.asynccontextmanager
async def running(sealer: Sealer, store: EventStore) -> AsyncIterator[Sealer]:
    store.on_commit(sealer.wake)
    task = asyncio.create_task(sealer.run())
    try:
        yield sealer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def all_sealed(store: EventStore) -> None:
    async with asyncio.timeout(TIMEOUT):
        while (await ledger_status(store.pool)).unsealed_count:
            await asyncio.sleep(0.02)


async def child_ready(sealer: Sealer) -> Hasher:
    async with asyncio.timeout(TIMEOUT):
        while (hasher := await sealer._running_hasher()) is None:
            await asyncio.sleep(0.02)
    return hasher


async def verified(db: Db, events: int) -> None:
    conn = await asyncpg.connect(db.owner_url)
    try:
        report = await verify_ledger(conn)
    finally:
        await conn.close()
    assert report.ok, report.summary()
    assert report.sealed == events and report.unsealed == 0


async def test_a_full_batch_starts_the_child_and_the_ledger_verifies(
    db: Db, store: EventStore
) -> None:
    sealer = Sealer(db.app_url, batch_size=50, poll_interval=0.02)
    async with running(sealer, store):
        for r in range(6):
            await store.append_many(
                [StreamAppend(f"bulk-{r}-{i}", NO_STREAM, [ev(r=r, i=i)]) for i in range(200)]
            )
            await store.append(f"one-{r}", NO_STREAM, [ev(r=r, text="检查 \u2028 \\u0000")])
            if r == 0:
                await all_sealed(store)
                assert sealer.hashed_by_child == 0, "the first full batch is hashed in-process"
                await child_ready(sealer)
        await all_sealed(store)
        assert sealer.hashed_by_child == 5 * 201
    await verified(db, 6 * 201)


async def test_gaps_and_rollbacks_with_the_child_hashing(db: Db, store: EventStore) -> None:
    """The mixed workload of test_sealer, with every batch after the start read by the child."""
    sealer = Sealer(db.app_url, batch_size=8, poll_interval=0.02, hasher="always")
    rng = random.Random(20261204)
    committed: set[object] = set()

    async def writer(w: int) -> None:
        for i in range(25):
            try:
                async with store.unit_of_work() as uow:
                    recs = await uow.append(f"w{w}-{i % 5}", ANY, [ev(w=w, i=i), ev(w=w)])
                    if rng.random() < 0.15:
                        await asyncio.sleep(rng.uniform(0, 0.05))
                        raise Rollback
                    if rng.random() < 0.1:
                        await asyncio.sleep(rng.uniform(0.02, 0.2))
                committed.update(r.event_id for r in recs)
            except Rollback:
                pass

    async with running(sealer, store):
        await child_ready(sealer)
        await asyncio.gather(*(writer(w) for w in range(8)))
        await all_sealed(store)
        assert sealer.skipped, "rolled-back numbers should have been skipped"
        assert sealer.hashed_by_child == len(committed)
    ledger = await read_ledger(store.pool, 0, 10_000)
    assert {e.event_id for e in ledger} == committed
    assert [e.position for e in ledger] == list(range(1, len(ledger) + 1))
    await verified(db, len(committed))


async def test_a_dead_child_leaves_the_hashing_to_the_sealer(
    db: Db, store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    sealer = Sealer(db.app_url, batch_size=20, poll_interval=0.02, hasher="always")
    async with running(sealer, store):
        hasher = await child_ready(sealer)
        await store.append_many([StreamAppend(f"a-{i}", NO_STREAM, [ev(i=i)]) for i in range(100)])
        await all_sealed(store)
        by_child = sealer.hashed_by_child
        assert by_child == 100
        hasher._proc.kill()
        await hasher._proc.wait()
        with caplog.at_level(logging.WARNING, logger="spotcheck.eventstore.sealer"):
            await store.append_many(
                [StreamAppend(f"b-{i}", NO_STREAM, [ev(i=i)]) for i in range(100)]
            )
            await all_sealed(store)
        assert sealer.hashed_by_child == by_child, "a dead child hashed events"
        assert any("the hasher failed" in r.getMessage() for r in caplog.records)
    await verified(db, 200)


async def test_the_child_ends_with_the_sealer(db: Db, store: EventStore) -> None:
    sealer = Sealer(db.app_url, poll_interval=0.02, hasher="always")
    async with running(sealer, store):
        hasher = await child_ready(sealer)
    async with asyncio.timeout(TIMEOUT):
        assert await hasher._proc.wait() == 0


async def test_an_answer_read_ahead_for_other_numbers_is_dropped(db: Db, store: EventStore) -> None:
    recorded = await store.append_many(
        [StreamAppend(f"r-{i}", NO_STREAM, [ev(i=i)]) for i in range(70)]
    )
    seqs = [r["seq"] for r in await store.pool.fetch("SELECT seq FROM events ORDER BY seq")]
    hasher = await Hasher.start(db.app_url)
    try:
        hasher.read_ahead(0, 5)
        got, hashes = await hasher.read(seqs[9], 5)  # not what was read ahead
        assert got == seqs[10:15]
        hasher.read_ahead(seqs[14], 5)
        got, hashes = await hasher.read(seqs[14], 5)  # what was read ahead
        assert got == seqs[15:20]
        by_seq = dict(zip(seqs, recorded, strict=True))
        assert hashes == b"".join(by_seq[s].content_hash for s in got)
    finally:
        await hasher.close()
