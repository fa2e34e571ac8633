r"""The text of a bulk append's COPY: one line per event, built from the canonical JSON bytes.

PostgreSQL's COPY text format: fields separated by tabs, rows by newlines; a backslash, tab,
newline or carriage return inside a value is written as ``\\``, ``\t``, ``\n``, ``\r``.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from spotcheck.eventstore.envelope import RecordedEvent, StreamAppend
from spotcheck.eventstore.errors import InvalidEvent

COPY_CHUNK = 1000
"""Rows per COPY data message: the server stores one chunk while the next is encoded."""


def copy_text(value: str) -> bytes:
    """A text value as a field of COPY's text format (backslash, tab, newline and carriage
    return escaped; UTF-8 never uses those bytes inside a character)."""
    if value.isprintable() and "\\" not in value:
        return value.encode()
    return (
        value.encode()
        .replace(b"\\", b"\\\\")
        .replace(b"\t", b"\\t")
        .replace(b"\n", b"\\n")
        .replace(b"\r", b"\\r")
    )


def _uuid_int(value: Any) -> int:
    """An event id that is not a ``uuid.UUID`` (asyncpg took its text form too)."""
    try:
        return uuid.UUID(str(value)).int
    except ValueError:
        raise InvalidEvent("event_id", "must be a UUID") from None


_LINE = b"%032x\t%s\t%d\t%s\t%d\t%s\t%s\n"


async def copy_text_chunks(
    rows: Iterator[tuple[Any, ...]],
    appends: Sequence[StreamAppend],
    metadata: list[dict[str, Any]],
    recorded_at: datetime,
    records: list[RecordedEvent],
) -> AsyncIterator[bytes]:
    """COPY text of ``rows`` (the store's, columns ``COPY_COLUMNS``; the JSON as canonical
    bytes), ``COPY_CHUNK`` lines at a time, and into ``records`` the events they record.
    ``rows`` yields one row per event of ``appends`` and appends its metadata to ``metadata``
    as it does.

    Written here, not left to asyncpg's ``copy_records_to_table``: that encodes each value of
    each record through its codec (the JSON through ours), where one format per line and one
    join per chunk do, with the canonical JSON bytes as they are (JSON text holds no tab or
    newline; only its backslashes are doubled).  Each chunk is built with the garbage
    collector paused: the objects it makes all live on, so collections would find nothing."""
    new = RecordedEvent._new
    line = _LINE
    metas = metadata
    events = (e for a in appends for e in a.events)
    types: dict[str, bytes] = {}
    i = 0
    while True:
        lines: list[bytes] = []
        collecting = gc.isenabled()
        gc.disable()
        try:
            for (eid, sid, version, etype, sv, data, meta), e in zip(
                islice(rows, COPY_CHUNK),
                events,  # one per row; zip stops at the chunk's end, not taking another
                strict=False,
            ):
                t = types.get(etype)
                if t is None:
                    t = types[etype] = copy_text(etype)
                if b"\\" in data:
                    data = data.replace(b"\\", b"\\\\")
                if b"\\" in meta:
                    meta = meta.replace(b"\\", b"\\\\")
                lines.append(
                    line
                    % (
                        eid.int if type(eid) is uuid.UUID else _uuid_int(eid),
                        copy_text(sid),
                        version,
                        t,
                        sv,
                        data,
                        meta,
                    )
                )
                records.append(new(eid, sid, version, etype, sv, e.data, metas[i], recorded_at))
                i += 1
        finally:
            if collecting:
                gc.enable()
        if not lines:
            return
        yield b"".join(lines)
