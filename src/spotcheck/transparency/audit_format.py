"""The audit export's records (docs/audit-format.md): shared by the writer and the verifier.

Pure: no I/O.  Every line of the file is one JSON object written in RFC 8785 canonical form
(so an entry's ``envelope`` text is exactly the bytes its content hash covers).
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec

from spotcheck.domain import draw as d
from spotcheck.domain.aggregate import Event
from spotcheck.eventstore.canonical import canonical_json
from spotcheck.merkle.note import ORIGIN, Checkpoint
from spotcheck.merkle.tree import NodeId

FORMAT = "spotcheck-audit-export"
VERSION = 1


def line(record: dict[str, Any]) -> bytes:
    """One record: canonical JSON and LF."""
    return canonical_json(record) + b"\n"


def header(
    first: int, last: int, previous_chain_hash: bytes, prefix: list[tuple[NodeId, bytes]]
) -> dict[str, Any]:
    return {
        "record": "header",
        "format": FORMAT,
        "version": VERSION,
        "origin": ORIGIN,
        "from": first,
        "to": last,
        "previous_chain_hash": previous_chain_hash.hex(),
        "prefix": nodes_json(prefix),
    }


def nodes_json(nodes: list[tuple[NodeId, bytes]]) -> list[dict[str, Any]]:
    return [{"level": lv, "index": i, "hash": h.hex()} for (lv, i), h in nodes]


def checkpoint_json(c: Checkpoint, suffix: list[tuple[NodeId, bytes]]) -> dict[str, Any]:
    return {
        "record": "checkpoint",
        "tree_size": c.tree_size,
        "root_hash": c.root_hash.hex(),
        "signed_at": c.signed_at,
        "signature": base64.b64encode(c.signature).decode("ascii"),
        "key_id": c.key_id,
        "body": c.body().decode(),
        "suffix": nodes_json(suffix),
    }


def entry(
    position: int, content_hash: bytes, chain_hash: bytes, envelope: dict[str, Any]
) -> dict[str, Any]:
    return {
        "record": "entry",
        "position": position,
        "content_hash": content_hash.hex(),
        "chain_hash": chain_hash.hex(),
        "envelope": envelope,
    }


def blob(digest: str, content: bytes) -> dict[str, Any]:
    return {"record": "blob", "digest": digest, "content": base64.b64encode(content).decode()}


def end(entries: int, blobs: int) -> dict[str, Any]:
    return {"record": "end", "entries": entries, "blobs": blobs}


def draw_event(
    stream_id: str, event_type: str, schema_version: object, data: dict[str, Any]
) -> Event | None:
    """The draw event, decoded (lifted by the draw upcasters from its stored schema version:
    the hashes are over the stored form, never this one); None for other events.  Raises
    ValueError if it does not decode (an altered event)."""
    if not d.SPEC.owns(stream_id):
        return None
    if not isinstance(schema_version, int) or isinstance(schema_version, bool):
        raise ValueError(f"a draw event whose schema version is not a number: {schema_version!r}")
    try:
        return d.SPEC.decode(event_type, schema_version, data)
    except (msgspec.MsgspecError, ValueError, TypeError) as e:
        raise ValueError(f"a draw event that does not decode: {e}") from None


def named_blobs(event: Event | None) -> list[str]:
    """The draw blobs an event names by digest (populations, candidates, transcript, outcome)."""
    if isinstance(event, d.DrawCommitted):
        return [s.digest for s in event.commit.strata] + [event.commit.candidates_digest]
    if isinstance(event, d.DrawExecuted):
        return [event.transcript_digest, event.outcome_digest]
    if isinstance(event, d.InspectorReplaced):
        return [event.transcript_digest]
    return []
