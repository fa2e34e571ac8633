"""The canonical envelope written from canonical pieces (content-hash hints) is byte for byte the
one ``canonical_json(envelope(...))`` writes, and so hashes the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from spotcheck.eventstore import Metadata, NewEvent, StreamAppend
from spotcheck.eventstore.canonical import (
    ENVELOPE_HEAD,
    ENVELOPE_TAIL,
    MAX_SAFE_INTEGER,
    canonical_json,
    content_hash,
    envelope,
    format_instant,
    json_string,
)
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.prepared import EncodedStreams, EventEncoder
from spotcheck.eventstore.rows import _prepare_rows, _Prepared, uuid_text
from tests.conftest import make_registry


def envelope_json(
    *,
    event_id: str,
    stream_id: str,
    stream_version: int,
    event_type: str,
    schema_version: int,
    data_json: bytes,
    metadata_json: bytes,
    recorded_at: datetime,
) -> bytes:
    """``canonical_json(envelope(...))`` from the canonical JSON of ``data`` and ``metadata``."""
    head = ENVELOPE_HEAD % (data_json, event_id.encode(), json_string(event_type), metadata_json)
    tail = ENVELOPE_TAIL % (schema_version, json_string(stream_id), stream_version)
    return head + format_instant(recorded_at).encode() + tail


TRICKY = [
    "丰台区",
    "emoji 😀🎉 and 𝄞",
    'quote " and backslash \\ and slash /',
    "escapes \\n \\t \\u0041 literal",
    "line\u2028sep\u2029para",
    "controls \x01\x07\x08\t\n\x0b\x0c\r\x1f\x7f",
    "\ufeffbom and \uffff",
    "",
]

# The store's value domain: no NUL, no lone surrogates, integers within ±(2**53 - 1), no floats.
texts = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
keys = st.text(alphabet=st.characters(max_codepoint=127, exclude_characters="\x00"), min_size=1)
scalars = (
    texts
    | st.sampled_from(TRICKY)
    | st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    | st.booleans()
    | st.none()
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
objects = st.dictionaries(keys, values, max_size=6)
stream_ids = (texts | st.sampled_from(TRICKY)).filter(lambda s: 1 <= len(s) <= 200) | st.just(
    "长" * 200
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
) | st.just(datetime(2026, 12, 4, 16, 0, tzinfo=timezone(timedelta(hours=8))))


@settings(max_examples=300, deadline=None)
@given(
    data=objects,
    metadata=st.dictionaries(keys, texts | st.sampled_from(TRICKY), max_size=4),
    stream_id=stream_ids,
    event_type=texts | st.sampled_from(TRICKY),
    stream_version=st.integers(1, 2**62),
    schema_version=st.integers(1, 2**31 - 1),
    recorded_at=instants,
    event_id=st.uuids(),
)
@example(
    data={"s": '\u2028\\"😀\x1f', "n": [-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER, None, True]},
    metadata={"actor": "丰台\\区", "reason": "tab\there"},
    stream_id='s"\\\n\u2028' + "😀" * 100,
    event_type="Thing\u2029",
    stream_version=1,
    schema_version=1,
    recorded_at=datetime(2026, 1, 1, tzinfo=UTC),
    event_id=uuid.UUID(int=0),
)
def test_pieces_equal_the_dumped_envelope(
    data: dict[str, Any],
    metadata: dict[str, str],
    stream_id: str,
    event_type: str,
    stream_version: int,
    schema_version: int,
    recorded_at: datetime,
    event_id: uuid.UUID,
) -> None:
    fields: dict[str, Any] = {
        "event_id": str(event_id),
        "stream_id": stream_id,
        "stream_version": stream_version,
        "event_type": event_type,
        "schema_version": schema_version,
        "recorded_at": recorded_at,
    }
    expected = canonical_json(envelope(data=data, metadata=metadata, **fields))
    got = envelope_json(
        data_json=canonical_json(data), metadata_json=canonical_json(metadata), **fields
    )
    assert got == expected
    assert uuid_text(event_id.int) == str(event_id).encode()


@settings(max_examples=60, deadline=None)
@given(
    datas=st.lists(objects, min_size=1, max_size=5),
    stream_id=stream_ids,
    reason=texts | st.sampled_from(TRICKY),
    recorded_at=instants,
)
def test_bulk_rows_and_encoder_hash_as_the_recorded_event(
    datas: list[dict[str, Any]], stream_id: str, reason: str, recorded_at: datetime
) -> None:
    """The hashes a bulk append computes (``_prepare_rows``) and the envelopes the importer's
    encoder writes both give ``RecordedEvent.content_hash``, which the sealer computes from a
    stored row (tests/eventstore/test_hints.py checks that against PostgreSQL)."""
    registry = make_registry()
    meta = Metadata(actor="丰台\\区", reason=reason)
    events = [NewEvent("ThingHappened", d, meta) for d in datas]
    prepared = _Prepared([StreamAppend(stream_id, 0, events)], [3], [], [], hashes=[])
    prepared.stamp = format_instant(recorded_at).encode()
    rows = list(_prepare_rows(registry, prepared))
    assert prepared.hashes is not None and len(prepared.hashes) == len(rows)
    for row, e, h, eid in zip(rows, events, prepared.hashes, prepared.ids, strict=True):
        rec = RecordedEvent(e.event_id, stream_id, row[2], row[3], row[4], e.data,
                            meta.to_json(), recorded_at)  # fmt: skip
        assert h == rec.content_hash and eid == e.event_id.int

    encoded = EventEncoder(registry, meta, 1_796_000_000_000).new_stream(
        stream_id, [("ThingHappened", d) for d in datas]
    )
    lines, envelopes = encoded
    assert type(lines) is bytes and len(envelopes) == len(datas)
    stamp = format_instant(recorded_at).encode()
    for version, (eid, head, tail) in enumerate(envelopes, start=1):
        rec = RecordedEvent(uuid.UUID(int=eid), stream_id, version, "ThingHappened", 1,
                            datas[version - 1], meta.to_json(), recorded_at)  # fmt: skip
        assert content_hash(head + stamp + tail) == rec.content_hash
    streams = EncodedStreams()
    streams.add("plain", (b"", ()), 0)  # lines without envelopes (not from the encoder) add none
    streams.add(stream_id, encoded, len(datas))
    assert streams.envelopes() == list(envelopes)
