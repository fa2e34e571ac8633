"""Bulk appends (COPY, with rows checked while COPY consumes them) against real PostgreSQL."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import pytest

from spotcheck.eventstore import (
    NO_STREAM,
    ConcurrencyError,
    EventStore,
    InvalidEvent,
    Metadata,
    NewEvent,
    PayloadTooLarge,
    RecordedEvent,
    StreamAppend,
    UnknownEventType,
)
from spotcheck.eventstore.store import COPY_THRESHOLD

N = COPY_THRESHOLD * 3  # over the threshold, so the COPY path


def ev(i: int, meta: Metadata | None = None) -> NewEvent:
    return NewEvent(
        "ThingHappened",
        {"i": i, "name": "丰台区", "l": [i, "二", None, True]},
        meta or Metadata(actor=f"user-{i % 7}", role="SYSTEM_ADMIN"),
    )


async def count_events(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM events"))


async def test_bulk_returns_what_was_stored(store: EventStore) -> None:
    shared = Metadata(actor="importer", role="SYSTEM_ADMIN")
    appends = [
        StreamAppend(f"bulk-{i}", NO_STREAM, [ev(i, shared if i % 2 else None)]) for i in range(N)
    ]
    appends.append(StreamAppend("bulk-many", NO_STREAM, [ev(-1), ev(-2), ev(-3)]))
    recorded = await store.append_many(appends)
    assert len(recorded) == N + 3
    assert [r.stream_version for r in recorded[-3:]] == [1, 2, 3]
    for r in (recorded[0], recorded[1], recorded[N // 2], recorded[-1]):
        [stored] = [s for s in await store.read_stream(r.stream_id) if s.event_id == r.event_id]
        assert stored.data == r.data and stored.metadata == r.metadata
        assert stored.recorded_at == r.recorded_at
        assert stored.content_hash == r.content_hash


def _bad_data() -> NewEvent:
    return NewEvent("ThingHappened", {"a": 1.5})


def _unknown_type() -> NewEvent:
    return NewEvent("NoSuchThing", {"a": 1})


def _too_large() -> NewEvent:
    return NewEvent("ThingHappened", {"a": "x" * (1024 * 1024)})


@pytest.mark.parametrize(
    ("make", "error"),
    [(_bad_data, InvalidEvent), (_unknown_type, UnknownEventType), (_too_large, PayloadTooLarge)],
)
async def test_bad_event_late_in_a_bulk_writes_nothing(
    store: EventStore, make: Callable[[], NewEvent], error: type[Exception]
) -> None:
    appends = [StreamAppend(f"b-{i}", NO_STREAM, [ev(i)]) for i in range(N)]
    appends[N - 5] = StreamAppend("b-bad", NO_STREAM, [make()])
    with pytest.raises(error):
        await store.append_many(appends)
    assert await count_events(store.pool) == 0
    # The pool's connections are fine afterwards: the same bulk, corrected, goes in.
    appends[N - 5] = StreamAppend("b-bad", NO_STREAM, [ev(0)])
    assert len(await store.append_many(appends)) == N
    assert await count_events(store.pool) == N


async def test_bulk_on_a_moved_stream_is_a_conflict(store: EventStore) -> None:
    await store.append("moved", NO_STREAM, [ev(0)])
    await store.append("moved", 1, [ev(1)])
    appends = [StreamAppend(f"c-{i}", NO_STREAM, [ev(i)]) for i in range(N)]
    appends.append(StreamAppend("moved", 1, [ev(2)]))
    with pytest.raises(ConcurrencyError):
        await store.append_many(appends)
    assert await count_events(store.pool) == 2


def test_fast_record_equals_the_constructor() -> None:
    e = ev(3)
    at = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    a = RecordedEvent(e.event_id, "s", 1, e.event_type, 1, e.data, e.metadata.to_json(), at)
    b = RecordedEvent._new(e.event_id, "s", 1, e.event_type, 1, e.data, e.metadata.to_json(), at)
    assert a == b and a.content_hash == b.content_hash and b.position is None


async def test_bulk_leaves_the_garbage_collector_as_it_found_it(store: EventStore) -> None:
    """A bulk append pauses collections while it runs, and only while it runs."""
    seen: list[bool] = []

    class Watching(Metadata):
        def to_json(self) -> dict[str, str]:  # called while the rows are checked
            seen.append(gc.isenabled())
            return super().to_json()

    assert gc.isenabled()
    appends = [
        StreamAppend(f"gc-{i}", NO_STREAM, [ev(i, Watching(actor=str(i)))]) for i in range(N)
    ]
    await store.append_many(appends)
    assert seen == [False] * N
    assert gc.isenabled()
    appends[-1] = StreamAppend("gc-bad", NO_STREAM, [_bad_data()])
    with pytest.raises(InvalidEvent):
        await store.append_many(appends)
    assert gc.isenabled()
    gc.disable()
    try:
        await store.append_many([StreamAppend(f"gc2-{i}", NO_STREAM, [ev(i)]) for i in range(N)])
        assert not gc.isenabled()
    finally:
        gc.enable()
