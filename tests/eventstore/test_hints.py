"""Content-hash hints: the appender hands the in-process sealer each committed bulk event's hash.

Whatever the path, the sealed hash must be the stored row's (``verify_ledger`` recomputes every
one from the row), and a hint is used only for the row its own transaction committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from spotcheck.db.pool import create_pool
from spotcheck.eventstore import (
    ANY,
    NO_STREAM,
    EventStore,
    InvalidEvent,
    Metadata,
    NewEvent,
    StreamAppend,
)
from spotcheck.eventstore.hints import HintBook
from spotcheck.eventstore.prepared import EncodedStreams, EventEncoder, append_encoded
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import COPY_THRESHOLD
from spotcheck.eventstore.verify import row_content_hash
from tests.conftest import Db, make_registry
from tests.eventstore.test_hasher import TIMEOUT, all_sealed, verified

N = COPY_THRESHOLD * 2
META = Metadata(actor="丰台\\区", role="SYSTEM_ADMIN", reason='tab\t"quote"\u2028😀')
TRICKY = [
    "丰台区",
    "😀🎉𝄞",
    'q"b\\s/',
    "\\n literal",
    "\u2028\u2029",
    "\x01\x1f\x7f\t\n\r",
    "",
]


def ev(i: int, **extra: Any) -> NewEvent:
    data = {"i": i, "s": TRICKY[i % len(TRICKY)], "l": [i, None, True, {"k": TRICKY}]}
    return NewEvent("ThingHappened", {**data, **extra}, META)


def bulk(prefix: str, n: int = N) -> list[StreamAppend]:
    return [StreamAppend(f"{prefix}-{i}", NO_STREAM, [ev(i)]) for i in range(n)]


@contextlib.asynccontextmanager
async def held(sealer: Sealer) -> AsyncIterator[None]:
    """The leading sealer held before its next read until the block ends.  Without this, a
    sealer that reads the events after their commit but before the appender hands the hints
    over (the moment between the two) hashes them from the rows: right, but not what these
    tests count."""
    go, parked = asyncio.Event(), asyncio.Event()
    seal_once = sealer.seal_once

    async def wait_then_seal(conn: asyncpg.Connection) -> int:
        parked.set()
        await go.wait()
        return await seal_once(conn)

    sealer.seal_once = wait_then_seal  # type: ignore[method-assign]
    try:
        async with asyncio.timeout(TIMEOUT):
            await parked.wait()
        assert sealer.is_leader
        yield
    finally:
        go.set()


@contextlib.asynccontextmanager
async def other_process(db: Db) -> AsyncIterator[EventStore]:
    """A store on a pool of its own and no sealer: as another server process appends."""
    pool = await create_pool(db.app_url, min_size=1, max_size=4)
    try:
        yield EventStore(pool, make_registry())
    finally:
        await pool.close()


async def test_bulk_events_are_sealed_from_their_hints(
    db: Db, store: EventStore, sealer: Sealer
) -> None:
    async with held(sealer):
        await store.append_many(bulk("a"))
        await store.append_many(bulk("b", N + 7))
    await all_sealed(store)
    assert sealer.hashed_from_hints == 2 * N + 7, "some events were read back and hashed"
    assert sealer.hashed_by_child == 0
    assert sealer.hints.count == 0, "hints of sealed events are kept"
    await verified(db, 2 * N + 7)


async def test_hinted_and_unhinted_events_interleaved(
    db: Db, store: EventStore, sealer: Sealer
) -> None:
    """Bulk appends here (hinted), bulk and single appends from another pool (no hints), and
    single appends here (not hinted), all at once: each sealed once with its row's hash."""
    async with held(sealer), other_process(db) as other:

        async def ours(k: int) -> None:
            await store.append_many(bulk(f"ours{k}"))
            await store.append(f"one{k}", NO_STREAM, [ev(k)])

        async def theirs(k: int) -> None:
            await other.append_many(bulk(f"theirs{k}"))
            await other.append("shared", ANY, [ev(k)])

        async with asyncio.timeout(TIMEOUT):
            await asyncio.gather(*(f(k) for k in range(4) for f in (ours, theirs)))
    total = 4 * (2 * N + 2)
    await all_sealed(store)
    assert sealer.hashed_from_hints == 4 * N
    await verified(db, total)


async def test_a_failed_or_rolled_back_bulk_append_hands_over_no_hints(
    db: Db, store: EventStore, sealer: Sealer
) -> None:
    seen: list[tuple[int, list[int], list[bytes]]] = []
    store.on_hints(lambda xid, ids, hashes: seen.append((xid, ids, hashes)))
    bad = bulk("bad")
    bad[-3] = StreamAppend("bad-x", NO_STREAM, [NewEvent("ThingHappened", {"f": 1.5})])

    class Undo(Exception):
        pass

    async with held(sealer):
        with pytest.raises(InvalidEvent):
            await store.append_many(bad)
        with pytest.raises(Undo):
            async with store.unit_of_work() as uow:
                await uow.append_many(bulk("undone"))
                raise Undo
        assert seen == [] and sealer.hints.count == 0
        await store.append_many(bulk("kept"))  # the listener does hear a commit
        assert len(seen) == 1 and len(seen[0][1]) == N
    await all_sealed(store)
    assert sealer.hashed_from_hints == N
    await verified(db, N)


async def test_a_hint_only_matches_the_row_its_transaction_inserted(
    db: Db, store: EventStore, sealer: Sealer
) -> None:
    """Events appended in a savepoint that is rolled back get hints at the outer commit (the
    unit of work cannot tell); another process then appends the same event ids with other
    content.  The rows' ``xmin`` is not the hinting transaction's id: the hints go unused, and
    each row is sealed with its own hash."""
    appends = bulk("sp")
    same_ids = [
        StreamAppend(a.stream_id, NO_STREAM, [NewEvent(e.event_type, {"o": 1}, META, e.event_id)])
        for a in appends
        for e in a.events
    ]
    async with held(sealer):
        async with store.unit_of_work() as uow:
            with contextlib.suppress(RuntimeError):
                async with uow.conn.transaction():
                    await uow.append_many(appends)
                    raise RuntimeError("roll the savepoint back")
            await uow.append_many(bulk("outer"))
        assert sealer.hints.count == 2 * N  # both hinted: the unit of work cannot tell
        async with other_process(db) as other:
            await other.append_many(same_ids)
    await all_sealed(store)
    # "outer" is no better off: after ROLLBACK TO SAVEPOINT the savepoint stays, so its rows
    # were inserted by a subtransaction too.  Unused, both transactions' hints were dropped.
    assert sealer.hashed_from_hints == 0 and sealer.hints.count == 0
    await verified(db, 2 * N)


async def test_a_standby_keeps_no_hints_and_the_leader_keeps_a_bounded_number(
    db: Db, store: EventStore, sealer: Sealer
) -> None:
    sealer.hints.limit = N + 10
    standby = Sealer(db.app_url, standby_interval=0.05)
    standby.follow(store)
    async with held(sealer):  # the fixture's sealer leads
        task = asyncio.create_task(standby.run())
        try:
            async with asyncio.timeout(TIMEOUT):  # until the standby is connected
                while await store.pool.fetchval(_SEALERS) < 2:
                    await asyncio.sleep(0.02)
            await store.append_many(bulk("big", N + 11))  # more than the bound: not kept
            await store.append_many(bulk("small"))
            assert standby.hints.count == 0 and not standby.is_leader
            only_standby = EventStore(store.pool, store.registry)
            standby.follow(only_standby)
            assert store.wants_hints() and not only_standby.wants_hints(), (
                "hashes computed for a standby that takes none"
            )
            assert sealer.hints.count == N
        except BaseException:
            task.cancel()
            raise
    try:
        await all_sealed(store)
        assert sealer.hashed_from_hints == N
        await verified(db, 2 * N + 11)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


_SEALERS = """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database()
                 AND application_name LIKE 'spotcheck sealer %'
                 AND application_name NOT LIKE '%hasher%'"""


def test_the_hint_book_drops_the_oldest_transactions_first() -> None:
    def rows(*keys: tuple[int, int]) -> list[tuple[int, uuid.UUID, int]]:
        return [(0, uuid.UUID(int=eid), xid) for xid, eid in keys]

    book = HintBook(limit=100)
    for xid in range(1, 4):
        book.add(xid, list(range(xid * 1000, xid * 1000 + 40)), [bytes([xid]) * 32] * 40)
    assert book.count == 80  # the first transaction's 40 went
    book.add(9, list(range(101)), [b"x" * 32] * 101)  # larger than the bound: ignored
    assert book.count == 80
    got, hits = book.take(rows((1, 1000), (3, 3000), (2, 3001), (2, 2000), (2, 2001)))
    assert got == [None, bytes([3]) * 32, None, bytes([2]) * 32, bytes([2]) * 32]
    assert hits == 3 and book.count == 77, "a hint is for its transaction's row only"
    assert book.take(rows((3, 3000))) == ([None], 0), "a hint is taken once"
    generation = book.generation
    book.add(4, [1], [b"y" * 32])
    book.drop_stale(generation)  # everything hinted before a read that was not a full batch
    assert book.count == 1 and book.take(rows((4, 1))) == ([b"y" * 32], 1)
    book.give_back(rows((4, 1), (4, 2)), [b"y" * 32, None])  # not sealed after all (a gap)
    assert book.count == 1 and book.take(rows((4, 2), (4, 1))) == ([None, b"y" * 32], 1)
    book.add(5, [7], [b"z" * 32])
    book.clear()
    assert not book and book.count == 0


async def test_encoded_events_hint_their_stored_rows_hash(db: Db, store: EventStore) -> None:
    """The hashes ``append_encoded`` hands over are ``row_content_hash`` of the rows stored."""
    seen: list[tuple[int, list[int], list[bytes]]] = []
    store.on_hints(lambda xid, ids, hashes: seen.append((xid, ids, hashes)))
    encoder = EventEncoder(store.registry, META, 1_796_000_000_000)
    streams = EncodedStreams()
    for i in range(5):
        datas = [ev(i * 3 + k).data for k in range(1 + i % 3)]
        sid = f"enc-{TRICKY[i]}-{i}"
        streams.add(sid, encoder.new_stream(sid, [("ThingHappened", d) for d in datas]), len(datas))
    async with store.unit_of_work() as uow:
        count = await append_encoded(uow, streams)
        assert seen == [], "hints before the commit"
    [(xid, ids, hashes)] = seen
    assert len(ids) == len(hashes) == count == 9
    rows = await store.pool.fetch(
        """SELECT event_id, stream_id, stream_version, event_type, schema_version,
                  data::text AS data, metadata::text AS metadata, recorded_at, xmin
             FROM events ORDER BY seq"""
    )
    assert {r["event_id"].int: row_content_hash(r) for r in rows} == dict(
        zip(ids, hashes, strict=True)
    )
    assert {r["xmin"] for r in rows} == {xid}
