"""A bulk append (COPY) stores the same rows as the one-statement INSERT path, whatever the
characters (against real PostgreSQL), and the ledger verifies over them."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from spotcheck.eventstore import NO_STREAM, EventStore, Metadata, NewEvent, StreamAppend
from spotcheck.eventstore.errors import InvalidEvent
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import COPY_THRESHOLD
from spotcheck.eventstore.verify import verify_ledger

# Characters COPY's text format would treat specially, JSON escapes, and non-ASCII text.
AWKWARD = [
    "plain",
    "back\\slash",
    "\\.",
    "\\N",
    "tab\there",
    "new\nline",
    "carriage\rreturn",
    'quote"d',
    '\\"\\\\n',
    "丰台区 🙂 é",
    "\x01\x0b\x1f\x7f",
    "\u2028\u2029",
    "",
]


def awkward_event(i: int) -> NewEvent:
    text = AWKWARD[i % len(AWKWARD)]
    return NewEvent(
        "ThingHappened",
        {
            "text": text,
            "k\\e\ty": [text, None, True, False, -(2**53 - 1), 2**53 - 1, {"n": None}],
            "i": i,
            "nothing": None,
        },
        Metadata(actor=f"a{text}", reason=text or None, request_id=f"r-{i}"),
    )


def streams(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{AWKWARD[i % len(AWKWARD)]}-{i}" for i in range(count)]


_ROWS = """
SELECT substr(stream_id, 3) AS stream, stream_version, event_type, schema_version,
       data::text AS data, metadata::text AS metadata, data AS data_jsonb
  FROM events WHERE stream_id LIKE $1 || '%' ORDER BY seq
"""


async def test_copy_rows_equal_insert_rows(store: EventStore, pool: asyncpg.Pool) -> None:
    n = COPY_THRESHOLD * 2
    events = [awkward_event(i) for i in range(n)]
    # The same events twice: as one bulk (COPY), and one stream at a time (INSERT).
    bulk = [StreamAppend(s, NO_STREAM, [e]) for s, e in zip(streams("c:", n), events, strict=True)]
    recorded = await store.append_many(bulk)
    for s, e in zip(streams("i:", n), events, strict=True):
        copy = NewEvent(e.event_type, e.data, e.metadata)  # a new event id
        await store.append(s, NO_STREAM, [copy])

    by_copy = await pool.fetch(_ROWS, "c:")
    by_insert = await pool.fetch(_ROWS, "i:")
    assert len(by_copy) == len(by_insert) == n
    assert [tuple(r) for r in by_copy] == [tuple(r) for r in by_insert]
    # And what was stored is what was given (the text columns unescaped exactly).
    assert [r["stream"] for r in by_copy] == [s[2:] for s in streams("c:", n)]
    assert [r["data_jsonb"] for r in by_copy] == [e.data for e in events]
    stored = await pool.fetch(
        "SELECT event_id, metadata FROM events WHERE stream_id LIKE 'c:%' ORDER BY seq"
    )
    assert [r["event_id"] for r in stored] == [e.event_id for e in events]
    assert [r["metadata"] for r in stored] == [e.metadata.to_json() for e in events]
    assert [r.stream_id for r in recorded] == streams("c:", n)


async def test_ledger_verifies_over_copied_rows(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    n = COPY_THRESHOLD + 1
    appends = [
        StreamAppend(s, NO_STREAM, [awkward_event(i), awkward_event(i + 1)])
        for i, s in enumerate(streams("v:", n))
    ]
    recorded = await store.append_many(appends)
    await sealer.wait_sealed(2 * n, timeout=30)
    report = await verify_ledger(owner_conn)
    assert report.ok and report.sealed == 2 * n, report.summary()
    # The hashes the store computes from what it returned are the sealer's, from the rows.
    sealed = await owner_conn.fetch(
        "SELECT e.event_id, l.content_hash FROM ledger l JOIN events e USING (seq)"
    )
    hashes = {r["event_id"]: bytes(r["content_hash"]) for r in sealed}
    assert all(hashes[r.event_id] == r.content_hash for r in recorded)


async def test_event_id_given_as_text(store: EventStore, pool: asyncpg.Pool) -> None:
    ids = [uuid.uuid4() for _ in range(COPY_THRESHOLD)]
    appends = [
        StreamAppend(f"t-{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i}, event_id=e)])
        for i, e in enumerate(ids)
    ]
    appends[0].events[0] = NewEvent(
        "ThingHappened",
        {"i": 0},
        event_id=str(ids[0]).upper(),  # type: ignore[arg-type]
    )
    await store.append_many(appends)
    stored = await pool.fetch("SELECT event_id FROM events ORDER BY seq")
    assert [r["event_id"] for r in stored] == ids


async def test_event_id_as_text_with_hints_and_not_a_uuid(
    store: EventStore, sealer: Sealer, pool: asyncpg.Pool
) -> None:
    """With the sealer taking hints, an id given as text is still stored as that UUID (and
    hinted); text that is no UUID is an InvalidEvent naming the field, and nothing is written."""
    await sealer.wait_sealed(timeout=30)  # it leads, so the store computes hints
    ids = [uuid.uuid4() for _ in range(COPY_THRESHOLD)]
    appends = [
        StreamAppend(f"h-{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i}, event_id=e)])
        for i, e in enumerate(ids)
    ]
    appends[0].events[0] = NewEvent("ThingHappened", {"i": 0}, event_id=str(ids[0]))  # type: ignore[arg-type]
    recorded = await store.append_many(appends)
    assert [r.event_id for r in recorded] == ids
    await sealer.wait_sealed(COPY_THRESHOLD, timeout=30)
    assert sealer.hashed_from_hints == COPY_THRESHOLD

    bad = [
        StreamAppend(f"x-{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i})])
        for i in range(COPY_THRESHOLD)
    ]
    bad[-1].events[0] = NewEvent("ThingHappened", {}, event_id="not-a-uuid")  # type: ignore[arg-type]
    with pytest.raises(InvalidEvent) as caught:
        await store.append_many(bad)
    assert caught.value.field == "event_id"
    assert await pool.fetchval("SELECT count(*) FROM events WHERE stream_id LIKE 'x-%'") == 0
