"""Canonical JSON (RFC 8785) of event envelopes, and the content and chain hashes.

The store accepts a restricted JSON value domain: objects with ASCII string keys, arrays,
strings (no NUL, valid Unicode), integers within ±(2**53 - 1), booleans and null.  No floats:
decimals travel as strings.  Over that domain ``orjson.dumps(..., OPT_SORT_KEYS)`` writes the
same bytes as RFC 8785 (tests/eventstore/test_canonical.py proves it with a property test against
the ``rfc8785`` package) at about 25x its speed, so hashing never caps a bulk load.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

from spotcheck.eventstore.errors import InvalidEvent

MAX_SAFE_INTEGER = 2**53 - 1
MAX_DEPTH = 32
GENESIS_HASH = bytes(32)


def check_json_value(value: Any, field: str, depth: int = 0) -> None:
    """Raise :class:`InvalidEvent` naming the first place ``value`` leaves the value domain."""
    if depth > MAX_DEPTH:
        raise InvalidEvent(field, f"nested deeper than {MAX_DEPTH} levels")
    if value is None or value is True or value is False:
        return
    t = type(value)
    if t is str:
        if "\x00" in value:
            raise InvalidEvent(field, "strings may not contain the NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidEvent(
                field, "strings must be valid Unicode (no lone surrogates)"
            ) from None
        return
    if t is int:
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise InvalidEvent(
                field, "integers must lie within ±(2**53 - 1); send larger ones as strings"
            )
        return
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not k.isascii() or not k:
                raise InvalidEvent(field, f"object keys must be non-empty ASCII strings, not {k!r}")
            check_json_value(v, f"{field}.{k}", depth + 1)
        return
    if t is list or t is tuple:
        for i, v in enumerate(value):
            check_json_value(v, f"{field}[{i}]", depth + 1)
        return
    if t is float:
        raise InvalidEvent(
            field, "floating-point numbers are not accepted; send decimals as strings"
        )
    raise InvalidEvent(field, f"{t.__name__} is not a JSON value")


def _fast_ok(value: Any, depth: int) -> bool:
    """True if ``value`` (a dict or list) is inside the domain, lone surrogates aside.

    Scalars are checked inline, so a typical event costs one call per container, not per value.
    """
    if depth > MAX_DEPTH:
        return False
    if type(value) is dict:
        for k in value:
            if type(k) is not str or not k or not k.isascii():
                return False
        items = value.values()
    else:
        items = value
    for v in items:
        t = type(v)
        if t is str:
            if "\x00" in v:
                return False
        elif t is int:
            if not -MAX_SAFE_INTEGER <= v <= MAX_SAFE_INTEGER:
                return False
        elif t is dict or t is list or t is tuple:
            if not _fast_ok(v, depth + 1):
                return False
        elif v is not None and t is not bool:
            return False
    return True


def checked_canonical_json(value: dict[str, Any], field: str) -> bytes:
    """RFC 8785 bytes of a JSON object, or :class:`InvalidEvent` naming the first fault.

    The fast check plus orjson (which refuses lone surrogates) accept exactly what
    :func:`check_json_value` accepts; only a refusal takes the slow path, for its message.
    """
    if type(value) is dict and _fast_ok(value, 1):
        try:
            return canonical_json(value)
        except orjson.JSONEncodeError:
            pass
    check_json_value(value, field)
    raise InvalidEvent(field, "is not a JSON value the store accepts")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 bytes of a value already inside the domain (see :func:`check_json_value`)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


@functools.lru_cache(maxsize=256)
def format_instant(instant: datetime) -> str:
    """An instant as RFC 3339 UTC with microseconds: ``2026-11-26T09:30:00.123456Z``.

    Cached: the events of one transaction share their ``recorded_at``, and the sealer formats
    one per event.  Equal instants are equal (and hash equal) whatever their zone."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def envelope(
    *,
    event_id: str,
    stream_id: str,
    stream_version: int,
    event_type: str,
    schema_version: int,
    data: dict[str, Any],
    metadata: dict[str, Any],
    recorded_at: datetime,
) -> dict[str, Any]:
    """The JSON object whose canonical form is hashed (docs/event-store.md lists its fields)."""
    return {
        "event_id": event_id,
        "stream_id": stream_id,
        "stream_version": stream_version,
        "event_type": event_type,
        "schema_version": schema_version,
        "data": data,
        "metadata": metadata,
        "recorded_at": format_instant(recorded_at),
    }


# The canonical JSON of an envelope, written from pieces already canonical: RFC 8785 orders the
# members by key (data, event_id, event_type, metadata, recorded_at, schema_version, stream_id,
# stream_version) and adds no whitespace.  ``data`` and ``metadata`` are canonical JSON objects,
# ``event_type`` and ``stream_id`` JSON strings (``json_string``), the event id the UUID's
# hyphenated lower-case form, ``recorded_at`` as :func:`format_instant` writes it, the versions
# decimal integers.  An appender that holds these pieces hashes its events without building and
# dumping the envelope again (tests/eventstore/test_envelope_pieces.py proves the equality).
ENVELOPE_HEAD = b'{"data":%s,"event_id":"%s","event_type":%s,"metadata":%s,"recorded_at":"'
"""The envelope's canonical JSON up to its ``recorded_at`` value (``%`` the first four pieces)."""
ENVELOPE_TAIL = b'","schema_version":%d,"stream_id":%s,"stream_version":%d}'
"""The rest, after the ``recorded_at`` value (``%`` the last three pieces)."""
ENVELOPE = ENVELOPE_HEAD + b"%s" + ENVELOPE_TAIL
"""The whole envelope: ``%`` the eight pieces in key order (one formatting, not three)."""


def json_string(value: str) -> bytes:
    """A string as canonical JSON (the store's value domain: no lone surrogates, no NUL)."""
    return orjson.dumps(value)


def content_hash(canonical: bytes) -> bytes:
    """The content hash of an envelope: SHA-256 of its canonical JSON."""
    return hashlib.sha256(canonical).digest()


def chain_hash(previous: bytes, content: bytes) -> bytes:
    """SHA-256(previous chain hash ‖ content hash)."""
    return hashlib.sha256(previous + content).digest()
