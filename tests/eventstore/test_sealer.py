"""The sealer: every committed event sealed once, in an order that respects reads."""

from __future__ import annotations

import asyncio
import random

import asyncpg

from spotcheck.eventstore import ANY, NO_STREAM, EventStore, Metadata, NewEvent
from spotcheck.eventstore.ledger import ledger_status, read_ledger
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import UnitOfWork
from spotcheck.eventstore.verify import VerifyReport, verify_ledger
from spotcheck.projections.rebuilder import differences, replay_into_schema
from spotcheck.projections.streams import StreamsProjection


def ev(**data: object) -> NewEvent:
    return NewEvent("ThingHappened", dict(data) or {"n": 1}, Metadata(actor="tester"))


class Rollback(Exception):
    pass


async def wait_all_sealed(store: EventStore, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while (await ledger_status(store.pool)).unsealed_count:
            await asyncio.sleep(0.02)


async def verify_at(url: str) -> VerifyReport:
    conn = await asyncpg.connect(url)
    try:
        return await verify_ledger(conn)
    finally:
        await conn.close()


async def positions_by_id(pool: asyncpg.Pool) -> dict[object, int]:
    rows = await pool.fetch("SELECT e.event_id, l.position FROM ledger l JOIN events e USING (seq)")
    return {r["event_id"]: r["position"] for r in rows}


async def test_slow_transaction_holds_back_later_events(store: EventStore, sealer: Sealer) -> None:
    await store.append("warm", NO_STREAM, [ev()])
    await sealer.wait_sealed(1)
    async with store.unit_of_work() as slow:
        [a] = await slow.append("slow", NO_STREAM, [ev()])
        [b] = await store.append("fast", NO_STREAM, [ev()])
        await asyncio.sleep(0.4)
        status = await ledger_status(store.pool)
        assert status.head_position == 1, "an event after an open transaction's number was sealed"
        assert status.unsealed_count == 1
    await wait_all_sealed(store)
    pos = await positions_by_id(store.pool)
    assert pos[a.event_id] == 2 and pos[b.event_id] == 3


async def test_rolled_back_number_is_skipped_once_settled(
    store: EventStore, sealer: Sealer
) -> None:
    try:
        async with store.unit_of_work() as doomed:
            await doomed.append("doomed", NO_STREAM, [ev()])
            [b] = await store.append("after", NO_STREAM, [ev()])
            await asyncio.sleep(0.2)
            assert (await ledger_status(store.pool)).head_position == 0
            raise Rollback
    except Rollback:
        pass
    await wait_all_sealed(store)
    pos = await positions_by_id(store.pool)
    assert pos == {b.event_id: 1}
    assert sealer.skipped == [1]


async def test_event_appended_after_reading_is_sealed_after(
    store: EventStore, sealer: Sealer
) -> None:
    """T2 takes its transaction id first, then reads T1's committed event, then appends."""
    async with store.unit_of_work() as t2:
        await t2.conn.fetchval("SELECT pg_current_xact_id()")  # an early transaction id
        [a] = await store.append("source", NO_STREAM, [ev(step=1)])  # T1 commits
        seen = await t2.read_stream("source")
        assert [e.event_id for e in seen] == [a.event_id]
        [b] = await t2.append("derived", NO_STREAM, [ev(caused_by=str(a.event_id))])
    await wait_all_sealed(store)
    pos = await positions_by_id(store.pool)
    assert pos[a.event_id] < pos[b.event_id]


async def test_mixed_workload_seals_every_committed_event_once(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    projection = StreamsProjection()
    committed: set[object] = set()
    rolled_back: set[object] = set()
    rng = random.Random(20261126)

    async def writer(w: int) -> None:
        for i in range(40):
            stream = f"w{w}-{i % 7}"
            kind = rng.random()
            try:
                async with store.unit_of_work() as uow:
                    recs = await uow.append(stream, ANY, [ev(w=w, i=i), ev(w=w, i=i, second=True)])
                    await projection.apply(uow.conn, recs)
                    if kind < 0.1:
                        await asyncio.sleep(rng.uniform(0.05, 0.3))  # slow
                    elif kind < 0.2:
                        await asyncio.sleep(rng.uniform(0, 0.05))
                        raise Rollback
                committed.update(r.event_id for r in recs)
            except Rollback:
                rolled_back.update(r.event_id for r in recs)

    await asyncio.gather(*(writer(w) for w in range(12)))
    await wait_all_sealed(store)
    ledger = await read_ledger(store.pool, 0, 10_000)
    assert [e.position for e in ledger] == list(range(1, len(ledger) + 1))
    ids = [e.event_id for e in ledger]
    assert len(ids) == len(set(ids))
    assert set(ids) == committed
    assert not set(ids) & rolled_back
    assert rolled_back, "the workload should have rolled some transactions back"
    assert sealer.skipped, "rolled-back numbers should have been skipped"
    seqs = await store.pool.fetch("SELECT seq FROM ledger ORDER BY position")
    assert [r["seq"] for r in seqs] == sorted(r["seq"] for r in seqs)
    report = await verify_ledger(owner_conn)
    assert report.ok, report.summary()
    assert report.sealed == len(committed)
    await replay_into_schema(owner_conn, projection, "rebuild_check")
    assert await owner_conn.fetchval("SELECT count(*) FROM rebuild_check.streams") > 0
    assert await differences(owner_conn, projection, "rebuild_check") == 0


async def test_second_sealer_stands_by(store: EventStore, sealer: Sealer, db: object) -> None:
    await store.append("one", NO_STREAM, [ev()])
    await sealer.wait_sealed(1)
    standby = Sealer(sealer.url, standby_interval=0.05)
    task = asyncio.create_task(standby.run())
    try:
        await store.append("two", NO_STREAM, [ev()])
        await sealer.wait_sealed(2)
        await asyncio.sleep(0.2)
        assert sealer.is_leader and not standby.is_leader
        report = await verify_at(sealer.url)
        assert report.ok and report.sealed == 2
    finally:
        task.cancel()


async def test_standby_takes_over_when_leader_stops(store: EventStore, db: object) -> None:
    url = db.app_url  # type: ignore[attr-defined]
    leader, standby = (
        Sealer(url, poll_interval=0.02),
        Sealer(url, poll_interval=0.02, standby_interval=0.05),
    )
    store.on_commit(leader.wake)
    store.on_commit(standby.wake)
    t1 = asyncio.create_task(leader.run())
    await asyncio.sleep(0.1)
    t2 = asyncio.create_task(standby.run())
    try:
        await store.append("a", NO_STREAM, [ev()])
        await leader.wait_sealed(1)
        t1.cancel()
        await asyncio.gather(t1, return_exceptions=True)
        await store.append("b", NO_STREAM, [ev()])
        await standby.wait_sealed(2)
        assert standby.is_leader
        await wait_all_sealed(store)
        report = await verify_at(url)
        assert report.ok and report.sealed == 2
    finally:
        t2.cancel()
        await asyncio.gather(t2, return_exceptions=True)


async def test_a_gap_left_by_a_transaction_newer_than_every_commit_is_waited_for(
    store: EventStore, sealer: Sealer
) -> None:
    """``late`` takes its transaction id after ``early`` took its own and after every commit so
    far, draws number n, and ``early`` then draws n + 1 and commits.  A snapshot taken now lists
    no transaction in progress at all: its xmax is one past the newest *completed* transaction,
    and ``late``'s id is not below it.  The sealer must still wait for ``late`` (it used to take
    the empty list for "everyone has ended" and skip n for good, a committed event never sealed;
    seen as a rebuild that lacked rows the live tables had after the demo's concurrent import)."""
    early_conn = await store.pool.acquire()
    late_conn = await store.pool.acquire()
    try:
        early_tx, late_tx = early_conn.transaction(), late_conn.transaction()
        await early_tx.start()
        await early_conn.fetchval("SELECT pg_current_xact_id()")  # the older id
        await late_tx.start()
        [a] = await UnitOfWork(store, late_conn).append("late", NO_STREAM, [ev()])
        [b] = await UnitOfWork(store, early_conn).append("early", NO_STREAM, [ev()])
        await early_tx.commit()
        # Now a snapshot lists no transaction in progress (unless the cluster runs something
        # else, such as an autovacuum ANALYZE, which only makes the old sealer wait for it).
        await asyncio.sleep(0.5)  # many rounds of the sealer, which sees n + 1 but not n
        assert (await ledger_status(store.pool)).head_position == 0
        await late_tx.commit()
    finally:
        await store.pool.release(early_conn)
        await store.pool.release(late_conn)
    await wait_all_sealed(store)
    assert await positions_by_id(store.pool) == {a.event_id: 1, b.event_id: 2}
    assert sealer.skipped == []
