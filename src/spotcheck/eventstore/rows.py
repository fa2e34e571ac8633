"""Checking an append and laying out its rows, as the store inserts or copies them.

Every event is checked while its row is made (typed errors name the field): the stream id, the
event type and schema version against the registry, the data in the store's JSON value domain
and under its size limit, the metadata.  A bulk append hands the rows to COPY as they are made.

Content-hash hints (docs/event-store.md): when the sealer runs in this process, a bulk append
also computes each event's content hash, from the canonical JSON pieces it holds anyway
(``canonical.ENVELOPE_HEAD`` and ``ENVELOPE_TAIL`` around the transaction's ``now()``), so the
sealer need not read the stored row back and hash it again.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from spotcheck.eventstore.canonical import (
    ENVELOPE,
    check_json_value,
    checked_canonical_json,
    json_string,
)
from spotcheck.eventstore.envelope import (
    ANY,
    NO_STREAM,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from spotcheck.eventstore.errors import InvalidEvent, PayloadTooLarge
from spotcheck.eventstore.registry import EventTypeRegistry

MAX_DATA_BYTES = 1024 * 1024
_UUID = b"%08x-%04x-%04x-%04x-%012x"


def uuid_text(i: int) -> bytes:
    """A UUID given as an integer, as ``str(uuid.UUID(int=i))`` writes it."""
    return _UUID % (
        i >> 96,
        i >> 80 & 0xFFFF,
        i >> 64 & 0xFFFF,
        i >> 48 & 0xFFFF,
        i & 0xFFFFFFFFFFFF,
    )


COPY_COLUMNS = (
    "event_id",
    "stream_id",
    "stream_version",
    "event_type",
    "schema_version",
    "data",
    "metadata",
)


def _as_uuid(value: Any) -> UUID:
    """An event id given otherwise than as a ``uuid.UUID`` (its text, as asyncpg's codec would
    take it for the INSERT path), as one."""
    try:
        return UUID(value if type(value) is str else str(value))
    except ValueError:
        raise InvalidEvent("event_id", "must be a UUID") from None


def _check_stream_id(stream_id: str) -> None:
    if not isinstance(stream_id, str) or not 1 <= len(stream_id) <= 200:
        raise InvalidEvent("stream_id", "must be a string of 1 to 200 characters")
    check_json_value(stream_id, "stream_id")


def _stream_in_detail(detail: str) -> str | None:
    """The stream id in ``Key (stream_id, stream_version)=(ID, N) already exists.``"""
    start = detail.find("=(")
    end = detail.rfind(")")
    if start < 0 or end < start:
        return None
    return detail[start + 2 : end].rsplit(", ", 1)[0]


@dataclass
class _Prepared:
    """An append checked and encoded, ready for one INSERT or COPY."""

    appends: Sequence[StreamAppend]
    base: list[int]  # the version each stream is expected at (0: no stream)
    rows: list[tuple[Any, ...]]
    """(event_id, stream, version, type, schema, data, metadata); empty for COPY (``records``)."""
    metadata: list[dict[str, Any]]
    hashes: list[bytes] | None = None
    """With a list here and ``stamp`` set before the rows are made: each event's content hash."""
    stamp: bytes = b""
    """The ``recorded_at`` the rows will have, as the envelope writes it."""
    xid: int = 0
    """The transaction's id (``xid``, as the rows' ``xmin``), for the hints."""
    ids: list[int] = field(default_factory=list)
    """With ``hashes``: the event ids (as integers), in the same order."""
    recorded_at: datetime | None = None
    """For COPY: the rows' ``recorded_at``, set before COPY takes the first row."""
    records: list[RecordedEvent] = field(default_factory=list)
    """For COPY: the recorded events, in order (``rows`` and ``metadata`` stay empty)."""


# COPY's binary format: a header, then each row as its field count and each field as its length
# and bytes (uuid: 16 bytes; bigint, int: big-endian; text: UTF-8; jsonb: version 1 and the
# JSON text), then -1.  The server then parses only the JSON, as it would from an INSERT.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"
_ROW = b"\x00\x07\x00\x00\x00\x10"
"""A row's field count (7) and the event id's length (16 bytes)."""
_INT = struct.Struct(">i")
_VERSION = struct.Struct(">iq")
_JSONB = struct.Struct(">ib")
COPY_CHUNK = 1000
"""Rows per piece of COPY data a bulk append hands asyncpg (about 400 kB for small events)."""


def _field(raw: bytes) -> bytes:
    return _INT.pack(len(raw)) + raw


def _jsonb_field(canonical: bytes) -> bytes:
    return _JSONB.pack(len(canonical) + 1, 1) + canonical


def _known_type(
    registry: EventTypeRegistry,
    known: dict[tuple[str, int | None], tuple[int, bytes, bytes]],
    key: tuple[str, int | None],
) -> tuple[int, bytes, bytes]:
    """Check an event type and the schema version asked (None: the current one) against the
    registry; remember the version, the type as a JSON string, and the COPY fields of the type
    and the version."""
    event_type, asked = key
    sv = asked or registry.current_version(event_type)
    registry.check(event_type, sv)
    fields = _field(event_type.encode()) + _INT.pack(4) + _INT.pack(sv)
    known[key] = (sv, json_string(event_type), fields)
    return known[key]


def _prepare_rows(registry: EventTypeRegistry, p: _Prepared, copy_chunk: int = 0) -> Iterator[Any]:
    """Fill ``p.rows`` and ``p.metadata``, yielding each row as it is checked; or, with
    ``copy_chunk``, yielding the rows as binary COPY data, ``copy_chunk`` rows a piece, filling
    ``p.records`` instead (``p.recorded_at`` set when the first row is taken): a bulk append
    hands this to COPY, so the server stores one piece while the next is encoded here.  With
    ``p.hashes`` and ``p.stamp`` set when the first row is taken, fill those too."""
    rows, metas = p.rows, p.metadata
    hashes = p.hashes if p.stamp else None
    stamp, ids, sha256 = p.stamp, p.ids, hashlib.sha256
    lines: list[bytes] | None = [COPY_HEADER] if copy_chunk > 0 else None
    row_start, version_field, jsonb_field = _ROW, _VERSION.pack, _JSONB.pack
    records, recorded_at, new = p.records, p.recorded_at, RecordedEvent._new
    last_metadata: Metadata | None = None
    meta: dict[str, Any] = {}
    meta_raw = meta_field = b""
    meta_json: Any = None
    # (type, asked) -> checked schema version, the type as a JSON string, COPY type and version
    versions: dict[tuple[str, int | None], tuple[int, bytes, bytes]] = {}
    for a, version in zip(p.appends, p.base, strict=True):
        stream_id = a.stream_id
        sid_json = json_string(stream_id) if hashes is not None else b""
        sid_field = _field(stream_id.encode()) if lines is not None else b""
        for e in a.events:
            key = (e.event_type, e.schema_version)
            known = versions.get(key) or _known_type(registry, versions, key)
            sv = known[0]
            data = e.data
            if type(data) is not dict:
                raise InvalidEvent("data", "must be a JSON object")
            data_json = checked_canonical_json(data, "data")
            if len(data_json) > MAX_DATA_BYTES:
                raise PayloadTooLarge("data", len(data_json), MAX_DATA_BYTES)
            if e.metadata is not last_metadata:  # a batch usually shares one Metadata
                last_metadata = e.metadata
                meta = e.metadata.to_json()
                meta_raw = checked_canonical_json(meta, "metadata")
                meta_json = orjson.Fragment(meta_raw) if lines is None else None
                meta_field = _jsonb_field(meta_raw) if lines is not None else b""
            version += 1
            eid = e.event_id
            if type(eid) is not UUID:
                eid = _as_uuid(eid)
            if hashes is not None:
                i = eid.int
                envelope = ENVELOPE % (
                    data_json,
                    uuid_text(i),
                    known[1],
                    meta_raw,
                    stamp,
                    sv,
                    sid_json,
                    version,
                )
                hashes.append(sha256(envelope).digest())
                ids.append(i)
            if lines is None:
                row = (eid, stream_id, version, e.event_type, sv, orjson.Fragment(data_json),
                       meta_json)  # fmt: skip
                rows.append(row)
                metas.append(meta)
                yield row
                continue
            records.append(new(eid, stream_id, version, e.event_type, sv, data, meta, recorded_at))  # type: ignore[arg-type]
            lines.append(
                b"".join(
                    (
                        row_start,
                        eid.bytes,
                        sid_field,
                        version_field(8, version),
                        known[2],
                        jsonb_field(len(data_json) + 1, 1),
                        data_json,
                        meta_field,
                    )
                )
            )
            if len(lines) >= copy_chunk:
                yield b"".join(lines)
                lines.clear()
    if lines is not None:
        lines.append(COPY_TRAILER)
        yield b"".join(lines)


def _check_shape(appends: Sequence[StreamAppend]) -> None:
    stream_ids = [a.stream_id for a in appends]
    if not appends or any(not a.events for a in appends):
        raise InvalidEvent("events", "an append needs at least one event per stream")
    if len(set(stream_ids)) != len(stream_ids):
        raise InvalidEvent("stream_id", "each stream may appear once in one append")
    for a in appends:
        _check_stream_id(a.stream_id)
        ev = a.expected_version
        if not (ev is ANY or ev is NO_STREAM or (type(ev) is int and ev >= 0)):
            raise InvalidEvent("expected_version", "must be a version >= 0, NO_STREAM or ANY")
    ids = [e.event_id for a in appends for e in a.events]
    if len(set(ids)) != len(ids):
        raise InvalidEvent("event_id", "an event id may appear once in one append")


def _same_event(new: NewEvent, old: RecordedEvent, stream_id: str, schema_version: int) -> bool:
    return (
        old.stream_id == stream_id
        and old.event_type == new.event_type
        and old.schema_version == schema_version
        and old.data == new.data
        and old.metadata == new.metadata.to_json()
    )


def _expected_base(a: StreamAppend) -> int | None:
    ev = a.expected_version
    if ev is NO_STREAM:
        return 0
    if ev is ANY:
        return None
    return int(ev)
