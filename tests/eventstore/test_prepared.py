"""Events encoded elsewhere (eventstore.prepared, the bulk importer's workers) are stored as the
store's own append stores them: the same columns and metadata, sealed in order, verified, and
a stream that exists already is a concurrency error that writes nothing."""

from __future__ import annotations

import asyncio
import uuid

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
    StreamAppend,
    UnknownEventType,
)
from spotcheck.eventstore.ledger import ledger_status
from spotcheck.eventstore.prepared import (
    EncodedStreams,
    EventEncoder,
    append_encoded,
    uuid7_start,
)
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.verify import verify_ledger

META = Metadata(actor="importer", role="SYSTEM_ADMIN", reason="tab\there, back\\slash")
UNIX_MS = 1_796_000_000_123  # 2026-11-30T00:53:20.123Z: the instant the encoded ids carry
DATA = [
    {"i": 1, "name": "丰台区", "l": [1, "二", None, True], "path": "a\\b\tc\nd\re"},
    {"i": 2, "quote": '"', "empty": {}, "nested": {"z": [], "a": -(2**53 - 1)}},
]

_COLUMNS = "stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at"


async def stored(pool: asyncpg.Pool, prefix: str) -> list[tuple[object, ...]]:
    rows = await pool.fetch(
        f"SELECT {_COLUMNS} FROM events WHERE stream_id LIKE $1 ORDER BY stream_id, stream_version",
        prefix + "%",
    )
    return [(r["stream_id"].removeprefix(prefix), *tuple(r)[1:-1]) for r in rows]


async def test_encoded_events_are_stored_as_appended_ones(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    encoder = EventEncoder(store.registry, META, UNIX_MS)
    streams = EncodedStreams()
    for s in ("one", "two"):
        lines = encoder.new_stream(f"enc-{s}", [("ThingHappened", d) for d in DATA])
        streams.add(f"enc-{s}", lines, len(DATA))
    async with store.unit_of_work() as uow:
        assert await append_encoded(uow, streams) == 4
        now = await uow.conn.fetchval("SELECT now()")
    await store.append_many(
        [
            StreamAppend(f"app-{s}", NO_STREAM, [NewEvent("ThingHappened", d, META) for d in DATA])
            for s in ("one", "two")
        ]
    )
    assert await stored(store.pool, "enc-") == await stored(store.pool, "app-")
    times = await store.pool.fetch("SELECT recorded_at FROM events WHERE stream_id LIKE 'enc-%'")
    assert {r["recorded_at"] for r in times} == {now}  # the transaction's time, as the default
    ids = await store.pool.fetch(
        "SELECT event_id FROM events WHERE stream_id LIKE 'enc-%' ORDER BY seq"
    )
    assert all(r["event_id"].version == 7 and r["event_id"].int >> 80 == UNIX_MS for r in ids)
    # one encoder: its ids count up, in the order it encoded the events
    assert [r["event_id"].int - ids[0]["event_id"].int for r in ids] == [0, 1, 2, 3]
    async with asyncio.timeout(20):  # woken by the commit, like an append
        while (await ledger_status(store.pool)).unsealed_count:
            await asyncio.sleep(0.02)
    report = await verify_ledger(owner_conn)
    assert report.ok and report.sealed == 8, report.summary()


async def test_an_existing_stream_is_a_concurrency_error(store: EventStore) -> None:
    await store.append("enc-taken", NO_STREAM, [NewEvent("ThingHappened", {"i": 0})])
    encoder = EventEncoder(store.registry, META, UNIX_MS)
    streams = EncodedStreams()
    streams.add("enc-free", encoder.new_stream("enc-free", [("ThingHappened", {})]), 1)
    streams.add("enc-taken", encoder.new_stream("enc-taken", [("ThingHappened", {})]), 1)
    with pytest.raises(ConcurrencyError) as caught:
        async with store.unit_of_work() as uow:
            await append_encoded(uow, streams)
    assert caught.value.stream_id == "enc-taken" and caught.value.actual == 1
    assert await store.pool.fetchval("SELECT count(*) FROM events") == 1


@pytest.mark.parametrize(
    ("stream_id", "event_type", "data", "error"),
    [
        ("s", "ThingHappened", {"a": 1.5}, InvalidEvent),
        ("s", "ThingHappened", ["not", "an", "object"], InvalidEvent),
        ("s", "NoSuchThing", {"a": 1}, UnknownEventType),
        ("s", "ThingHappened", {"a": "x" * (1024 * 1024)}, PayloadTooLarge),
        ("", "ThingHappened", {"a": 1}, InvalidEvent),
        ("s" * 201, "ThingHappened", {"a": 1}, InvalidEvent),
    ],
)
def test_the_encoder_refuses_what_the_store_refuses(
    store: EventStore, stream_id: str, event_type: str, data: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        EventEncoder(store.registry, META, UNIX_MS).new_stream(stream_id, [(event_type, data)])


@pytest.mark.parametrize("unix_ms", [0, 1, UNIX_MS, 2**48 - 1])
def test_encoded_event_ids_are_version_7_runs(unix_ms: int) -> None:
    """A run of ids from one start stays version 7 with the same timestamp for far longer
    than any batch: the counter starts with its top bit clear."""
    starts = [uuid7_start(unix_ms) for _ in range(1000)]
    assert len(set(starts)) == len(starts)
    for start in starts:
        for n in (0, 1, 10**6, 2**40):
            u = uuid.UUID(int=start + n)
            assert u.version == 7 and u.variant == uuid.RFC_4122 and u.int >> 80 == unix_ms


@pytest.mark.parametrize("unix_ms", [-1, 2**48])
def test_a_uuid7_timestamp_has_48_bits(unix_ms: int) -> None:
    with pytest.raises(ValueError, match="UUIDv7 timestamp"):
        uuid7_start(unix_ms)
