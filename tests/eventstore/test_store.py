"""The store's append contract against real PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from spotcheck.eventstore import (
    ANY,
    NO_STREAM,
    ConcurrencyError,
    EventStore,
    IdempotencyConflict,
    InvalidEvent,
    Metadata,
    NewEvent,
    PayloadTooLarge,
    StreamAppend,
    UnknownEventType,
)


def ev(kind: str = "ThingHappened", **data: object) -> NewEvent:
    return NewEvent(kind, dict(data) or {"n": 1}, Metadata(actor="user-1", role="SYSTEM_ADMIN"))


async def count_events(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def test_fifty_concurrent_appenders_one_winner_per_version(store: EventStore) -> None:
    await store.append("race", NO_STREAM, [ev()])
    for version in (1, 2, 3):
        results = await asyncio.gather(
            *(store.append("race", version, [ev(i=i)]) for i in range(50)),
            return_exceptions=True,
        )
        winners = [r for r in results if not isinstance(r, BaseException)]
        losers = [r for r in results if isinstance(r, BaseException)]
        assert len(winners) == 1
        assert len(losers) == 49
        for err in losers:
            assert isinstance(err, ConcurrencyError)
            assert err.stream_id == "race"
            assert err.expected == version
            assert err.actual == version + 1
    assert await store.stream_version("race") == 4
    assert [e.stream_version for e in await store.read_stream("race")] == [1, 2, 3, 4]


async def test_expectations_no_stream_any_and_wrong_version(store: EventStore) -> None:
    await store.append("s", NO_STREAM, [ev()])
    with pytest.raises(ConcurrencyError) as e:
        await store.append("s", NO_STREAM, [ev()])
    assert (e.value.expected, e.value.actual) == (NO_STREAM, 1)
    with pytest.raises(ConcurrencyError) as e:
        await store.append("s", 5, [ev()])
    assert (e.value.expected, e.value.actual) == (5, 1)
    assert "expected version 5, actual version 1" in str(e.value)
    recs = await store.append("s", ANY, [ev(), ev()])
    assert [r.stream_version for r in recs] == [2, 3]
    results = await asyncio.gather(*(store.append("any-race", ANY, [ev(i=i)]) for i in range(20)))
    assert sorted(r[0].stream_version for r in results) == list(range(1, 21))


async def test_idempotent_reappend_returns_original(store: EventStore) -> None:
    first = ev(x="y")
    original = await store.append("idem", NO_STREAM, [first])
    again = await store.append("idem", NO_STREAM, [first])
    assert again == original
    assert await count_events(store.pool) == 1
    # Concurrent re-appends of the same new id: one write, every caller gets the original.
    same = ev(z=1)
    results = await asyncio.gather(*(store.append("idem2", ANY, [same]) for _ in range(10)))
    assert {r[0].event_id for r in results} == {same.event_id}
    assert {r[0].content_hash for r in results} == {results[0][0].content_hash}
    assert await count_events(store.pool) == 2


async def test_reused_event_id_with_other_content_is_refused(store: EventStore) -> None:
    first = ev(x=1)
    await store.append("idem", NO_STREAM, [first])
    changed = NewEvent(first.event_type, {"x": 2}, first.metadata, event_id=first.event_id)
    with pytest.raises(IdempotencyConflict):
        await store.append("idem", ANY, [changed])
    with pytest.raises(IdempotencyConflict):
        await store.append("idem", ANY, [first, ev()])
    assert await count_events(store.pool) == 1


async def test_multi_stream_append_is_atomic(store: EventStore) -> None:
    await store.append("b", NO_STREAM, [ev()])
    with pytest.raises(ConcurrencyError) as e:
        await store.append_many(
            [StreamAppend("a", NO_STREAM, [ev(), ev()]), StreamAppend("b", NO_STREAM, [ev()])]
        )
    assert e.value.stream_id == "b"
    assert await store.read_stream("a") == []
    assert await count_events(store.pool) == 1
    recs = await store.append_many(
        [StreamAppend("a", NO_STREAM, [ev(), ev()]), StreamAppend("b", 1, [ev()])]
    )
    assert [(r.stream_id, r.stream_version) for r in recs] == [("a", 1), ("a", 2), ("b", 2)]
    assert len({r.recorded_at for r in recs}) == 1


async def test_multi_stream_race_in_second_stream_leaves_nothing(store: EventStore) -> None:
    """The second stream is taken by another transaction between our check and our insert."""
    async with store.unit_of_work() as other:
        await other.append("second", NO_STREAM, [ev()])
        task = asyncio.create_task(
            store.append_many(
                [
                    StreamAppend("first", NO_STREAM, [ev()]),
                    StreamAppend("second", NO_STREAM, [ev()]),
                ]
            )
        )
        await asyncio.sleep(0.2)  # let it pass its check and block on the unique index
    with pytest.raises(ConcurrencyError) as e:
        await task
    assert (e.value.stream_id, e.value.actual) == ("second", 1)
    assert await store.read_stream("first") == []


async def test_projection_runs_in_the_append_transaction(store: EventStore) -> None:
    from spotcheck.projections.streams import StreamsProjection

    proj = StreamsProjection()

    async def failing(conn: asyncpg.Connection, events: object) -> None:
        await proj.apply(conn, events)  # type: ignore[arg-type]
        raise RuntimeError("projection failed")

    with pytest.raises(RuntimeError):
        await store.append("p", NO_STREAM, [ev()], project=failing)
    assert await count_events(store.pool) == 0
    assert await store.pool.fetchval("SELECT count(*) FROM streams") == 0
    await store.append("p", NO_STREAM, [ev(), ev()], project=proj.apply)
    row = await store.pool.fetchrow("SELECT version, event_count FROM streams WHERE stream_id='p'")
    assert (row["version"], row["event_count"]) == (2, 2)


@pytest.mark.parametrize(
    ("make", "error", "field"),
    [
        (lambda: NewEvent("NoSuchThing", {"a": 1}), UnknownEventType, None),
        (lambda: NewEvent("ThingRenamed", {"a": 1}, schema_version=3), UnknownEventType, None),
        (lambda: NewEvent("ThingHappened", [1, 2]), InvalidEvent, "data"),  # type: ignore[arg-type]
        (lambda: NewEvent("ThingHappened", {"a": 1.5}), InvalidEvent, "data.a"),
        (lambda: NewEvent("ThingHappened", {"a": 2**60}), InvalidEvent, "data.a"),
        (lambda: NewEvent("ThingHappened", {"a": "x\x00y"}), InvalidEvent, "data.a"),
        (lambda: NewEvent("ThingHappened", {"a": ["\ud800"]}), InvalidEvent, "data.a[0]"),
        (lambda: NewEvent("ThingHappened", {"名": 1}), InvalidEvent, "data"),
        (lambda: NewEvent("ThingHappened", {"a": "x" * (1024 * 1024)}), PayloadTooLarge, "data"),
    ],
)
async def test_bad_input_is_a_typed_error_and_writes_nothing(
    store: EventStore, make: object, error: type[Exception], field: str | None
) -> None:
    await store.append("bad", NO_STREAM, [ev()])
    with pytest.raises(error) as e:
        await store.append("bad", 1, [ev(), make()])  # type: ignore[operator]
    if field is not None:
        assert e.value.field == field
    assert await count_events(store.pool) == 1


async def test_bad_stream_and_expectation(store: EventStore) -> None:
    with pytest.raises(InvalidEvent) as e:
        await store.append("", NO_STREAM, [ev()])
    assert e.value.field == "stream_id"
    with pytest.raises(InvalidEvent) as e:
        await store.append("x", -1, [ev()])
    assert e.value.field == "expected_version"
    with pytest.raises(InvalidEvent):
        await store.append("x", NO_STREAM, [])
    dup = ev()
    with pytest.raises(InvalidEvent):
        await store.append("x", NO_STREAM, [dup, dup])
    assert await count_events(store.pool) == 0


async def test_read_stream_returns_what_was_written(store: EventStore) -> None:
    e1 = NewEvent(
        "ThingHappened",
        {"名称": "丰台区", "n": -5, "ok": True, "none": None, "l": [1, "二"]},
        Metadata(actor="u", reason="因为"),
    )
    with pytest.raises(InvalidEvent):
        await store.append("r", NO_STREAM, [e1])  # non-ASCII key
    e2 = NewEvent(
        "ThingHappened",
        {"name": "丰台区", "n": -5, "ok": True, "none": None, "l": [1, "二"]},
        Metadata(actor="u", reason="因为"),
        event_id=uuid.uuid4(),
    )
    [rec] = await store.append("r", NO_STREAM, [e2])
    [read] = await store.read_stream("r")
    assert read.data == e2.data
    assert read.metadata == {"actor": "u", "reason": "因为"}
    assert read.content_hash == rec.content_hash
    assert read.recorded_at == rec.recorded_at
