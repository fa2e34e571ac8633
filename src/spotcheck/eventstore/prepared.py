r"""Appending the events of new streams that another process already checked and encoded.

The bulk importer's workers decide most rows as new streams (importer.workers).  Each such
stream's events are checked there exactly as :meth:`UnitOfWork.append_many` checks them (the
stream id, the event type and schema version against the registry, the data in the store's
JSON value domain and under its size limit, the metadata) and written as lines of COPY's text
format: event id (a version 7 UUID: ``uuid7_start``), stream id, version (1, 2, ...), type,
schema version, data and metadata as their canonical JSON.  The importing process then
appends a whole batch of them with one COPY (:func:`append_encoded`), without decoding,
checking or encoding any event again.

What the store keeps holds here too: the stream is expected not to exist (``NO_STREAM``),
which the unique index on (stream, version) enforces as it does for the store's own COPY, so a
race with another writer is a :class:`ConcurrencyError`; ``seq`` and ``recorded_at`` come from
the column defaults (``next_event_seq()`` takes the transaction id first, ``now()`` is the
transaction's time); the events commit with the caller's transaction and wake the sealer as
an append does.  Projections are fed by the caller from what it knows of each stream (the
``streams`` projection's ``apply_new``, a state table's ``apply_new``), not from
``RecordedEvent`` objects.

Content-hash hints: with each stream's lines the encoder also writes each event's canonical
envelope as two pieces, before and after its ``recorded_at`` value, which only the
transaction knows.  When a sealer runs in the importing process, :func:`append_encoded` reads
the transaction's ``now()`` once, hashes every envelope and hands the hashes to the unit of
work, which gives them to the sealer once committed (docs/event-store.md).

COPY text format: fields separated by tabs, rows by newlines; a backslash, tab, newline or
carriage return in a value is written ``\\``, ``\t``, ``\n``, ``\r``.  Canonical JSON holds no
raw control character, so only its backslashes are doubled.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from spotcheck.eventstore.canonical import (
    ENVELOPE_HEAD,
    ENVELOPE_TAIL,
    checked_canonical_json,
    format_instant,
    json_string,
)
from spotcheck.eventstore.envelope import NO_STREAM, Metadata
from spotcheck.eventstore.errors import ConcurrencyError, InvalidEvent, PayloadTooLarge
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.eventstore.rows import (
    COPY_COLUMNS,
    MAX_DATA_BYTES,
    _check_stream_id,
    _stream_in_detail,
    uuid_text,
)
from spotcheck.eventstore.store import NOW_AND_XID, UnitOfWork

_LINE = b"%032x\t%s\t%d\t%s\t%d\t%s\t%s\n"
_UNIX_MS_MAX = (1 << 48) - 1


def copy_text(value: str) -> bytes:
    """A text value as a field of COPY's text format."""
    raw = value.encode()
    if b"\\" in raw or b"\t" in raw or b"\n" in raw or b"\r" in raw:
        raw = (
            raw.replace(b"\\", b"\\\\")
            .replace(b"\t", b"\\t")
            .replace(b"\n", b"\\n")
            .replace(b"\r", b"\\r")
        )
    return raw


Envelope = tuple[int, bytes, bytes]
"""An event's id (as an integer) and its canonical envelope before and after ``recorded_at``."""
EncodedStream = tuple[bytes, tuple[Envelope, ...]]
"""A new stream's COPY lines and its events' envelopes: plain tuples, because the importer's
workers send a million of them through a pipe (a ``bytes`` subclass carrying the envelopes as
an attribute cost 14.6 us a row to unpickle, against 1.6 for these tuples)."""


def uuid7_start(unix_ms: int) -> int:
    """The first of a run of version 7 UUIDs (RFC 9562), as an integer: ``unix_ms`` in the top
    48 bits, the version, 12 random bits, the variant, then 62 bits that count up from a random
    start with its top bit clear (the RFC's method 1, a counter seeded at random): adding 1 for
    each next event cannot reach the variant bits within 2**61 events.

    Why not random (version 4) ids here: the unique index on ``events.event_id`` takes a run of
    consecutive ids into a few adjacent pages, where random ones land each on a page of its
    own; PostgreSQL's CPU per event of a 1M-row import fell by 4.5 us (docs/event-store.md)."""
    if not 0 <= unix_ms <= _UNIX_MS_MAX:
        raise ValueError(f"a UUIDv7 timestamp is 0..2**48-1 milliseconds, not {unix_ms}")
    rand = int.from_bytes(os.urandom(10), "big")  # 80 bits: 12 for rand_a, 61 for the counter
    rand_a, counter = rand >> 68, rand & (2**61 - 1)
    return (unix_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | counter


class EventEncoder:
    """Checks the events of new streams as the store does and writes their COPY lines."""

    def __init__(self, registry: EventTypeRegistry, metadata: Metadata, unix_ms: int) -> None:
        """``unix_ms``: the instant the events' ids carry (version 7 UUIDs, consecutive from a
        random start for each encoder: ``uuid7_start``)."""
        self.registry = registry
        self._next_id = uuid7_start(unix_ms)
        meta = checked_canonical_json(metadata.to_json(), "metadata")
        self._meta_json = meta
        self._meta = meta.replace(b"\\", b"\\\\")
        self._types: dict[str, tuple[int, bytes, bytes]] = {}

    def _type(self, event_type: str) -> tuple[int, bytes, bytes]:
        """The type's current schema version, its COPY field and its JSON string."""
        known = self._types.get(event_type)
        if known is None:
            version = self.registry.current_version(event_type)
            self.registry.check(event_type, version)
            known = (version, copy_text(event_type), json_string(event_type))
            self._types[event_type] = known
        return known

    def new_stream(self, stream_id: str, events: Sequence[tuple[str, Any]]) -> EncodedStream:
        """The COPY lines of ``events`` (type and data each), versions 1, 2, ... of a stream
        that does not exist yet, and their envelopes.  Raises the store's typed errors for
        what it would refuse."""
        if not events:
            raise InvalidEvent("events", "an append needs at least one event per stream")
        _check_stream_id(stream_id)
        sid, sid_json, meta_json = copy_text(stream_id), json_string(stream_id), self._meta_json
        lines = []
        envelopes = []
        for version, (event_type, data) in enumerate(events, start=1):
            schema_version, t, type_json = self._type(event_type)
            if type(data) is not dict:
                raise InvalidEvent("data", "must be a JSON object")
            data_json = checked_canonical_json(data, "data")
            if len(data_json) > MAX_DATA_BYTES:
                raise PayloadTooLarge("data", len(data_json), MAX_DATA_BYTES)
            eid = self._next_id
            self._next_id += 1
            envelopes.append(
                (
                    eid,
                    ENVELOPE_HEAD % (data_json, uuid_text(eid), type_json, meta_json),
                    ENVELOPE_TAIL % (schema_version, sid_json, version),
                )
            )
            if b"\\" in data_json:
                data_json = data_json.replace(b"\\", b"\\\\")
            lines.append(_LINE % (eid, sid, version, t, schema_version, data_json, self._meta))
        return b"".join(lines), tuple(envelopes)


@dataclass
class EncodedStreams:
    """New streams' COPY lines, gathered for one append."""

    lines: list[bytes] = field(default_factory=list)
    stream_ids: list[str] = field(default_factory=list)
    count: int = 0
    _envelopes: list[tuple[Envelope, ...]] = field(default_factory=list)

    def add(self, stream_id: str, stream: EncodedStream, events: int) -> None:
        """A stream's lines and envelopes as ``EventEncoder.new_stream`` gave them."""
        lines, envelopes = stream
        self.lines.append(lines)
        self.stream_ids.append(stream_id)
        self.count += events
        if envelopes:
            self._envelopes.append(envelopes)

    def envelopes(self) -> list[Envelope]:
        """Every envelope added, in the order of the lines."""
        return [e for envelopes in self._envelopes for e in envelopes]


async def append_encoded(uow: UnitOfWork, streams: EncodedStreams) -> int:
    """Append the new streams in the unit of work's transaction (one COPY).  Returns how many
    events were appended.  A stream that exists already raises :class:`ConcurrencyError`."""
    if not streams.lines:
        return 0
    if len(set(streams.stream_ids)) != len(streams.stream_ids):
        raise InvalidEvent("stream_id", "each stream may appear once in one append")
    envelopes = streams.envelopes() if uow.hints is not None else []
    if envelopes:
        now, xid = await uow.conn.fetchrow(NOW_AND_XID)  # the rows' recorded_at and xmin
    data = memoryview(b"".join(streams.lines))  # bytes would be taken for a file's path
    try:
        await uow.conn.copy_to_table("events", source=data, columns=COPY_COLUMNS, format="text")
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "events_stream_version_key":
            raced = _stream_in_detail(str(exc.detail or "")) or streams.stream_ids[0]
            raise ConcurrencyError(raced, NO_STREAM, None) from None
        raise
    uow.encoded += streams.count
    if envelopes and uow.hints is not None:
        stamp, sha256 = format_instant(now).encode(), hashlib.sha256
        hashes = [sha256(head + stamp + tail).digest() for _, head, tail in envelopes]
        uow.hints.append((xid, [e[0] for e in envelopes], hashes))
    return streams.count
