"""审计 The event log as auditors read it: the sealed ledger joined to the events, filtered;
an entity's history; an entity's state as of a ledger position.

Everything here reads ``ledger`` and ``events`` (and, for draws, the content-addressed
``draw_blobs`` their events name), never a read table: what an auditor sees is the record
itself, not what a projection made of it.  Only sealed events appear (they have a position and
a chain hash); an event committed a moment ago appears once the sealer has sealed it.

What each filter matches (all given filters must hold):

* ``stream``: the events of that one stream.  ``stream_prefix``: of every stream whose id starts
  with it (``subject-`` is every subject: an aggregate).
* ``subject`` (key K): (1) the subject's own stream ``subject-K``; (2) every event whose data
  names K in a top-level ``subject`` or ``subject_key`` field (a conflict of interest declared
  for K, an inspector replaced on K's inspection, an inspection opened for K, …); (3) every
  event of an inspection stream (``inspection-…``) one of whose events names K so (so the
  results, approval and publication of K's inspections, whose own data does not repeat K);
  (4) each ``DrawExecuted`` whose outcome (in ``draw_blobs``, by the digest the event names)
  assigns K, i.e. the draw that selected K.  A draw whose population held K but did not select
  it is not included (the population is a list of every key, not a fact about K).
* ``task`` (id T): the streams ``task-T`` and ``draw-T`` and every inspection stream of T
  (``inspection-T/…``).
* ``inspector`` (staff id S): the inspector's own stream ``inspector-S``; every event whose
  data names S, at any depth, in a field that holds a staff id (``STAFF_KEYS``: ``staff_id``,
  ``lead``, ``replacement``, ``submitted_by``; or an element of ``officers`` or ``experts``):
  a replacement, a case inspection's team, results submitted by S; each ``DrawExecuted``
  whose outcome assigns S as lead, officer or expert.  (Not any string equal to S: an item
  code or a subject identifier may look like a staff id.)
* ``event_type``, ``actor`` (metadata ``actor``, the user id), ``department`` (metadata
  ``department``: the acting user's department).
* ``recorded_from``/``recorded_before`` (the event's ``recorded_at``), ``sealed_from``/
  ``sealed_before`` (the ledger's ``sealed_at``): half-open ranges [from, before).
* ``from_position``/``to_position``: inclusive.

Pages are keyset on the ledger position.  Without an index on the data (which every append
would pay for) the data filters scan the ledger in position order and stop after a page; the
own-stream parts use the ``(stream_id, stream_version)`` index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from spotcheck.domain import draw, inspection, inspector, subject, task
from spotcheck.domain.aggregate import AggregateSpec

INSPECTION_PREFIX = inspection.SPEC.stream_prefix
SUBJECT_PREFIX = subject.SPEC.stream_prefix
TASK_PREFIX = task.SPEC.stream_prefix
DRAW_PREFIX = draw.SPEC.stream_prefix
INSPECTOR_PREFIX = inspector.SPEC.stream_prefix
_OUTCOME = (
    "(SELECT convert_from(b.content, 'UTF8')::jsonb FROM draw_blobs b"
    " WHERE b.digest = e.data->>'outcome_digest')"
)
# Fields that hold a staff id (工号), at any depth of an event's data.
STAFF_KEYS = ("staff_id", "lead", "replacement", "submitted_by")
STAFF_LISTS = ("officers", "experts")
STAFF_FIELDS = " || ".join(
    [f"@.{k} == $s" for k in STAFF_KEYS] + [f"@.{k}[*] == $s" for k in STAFF_LISTS]
)
_COLUMNS = """l.position, l.content_hash, l.chain_hash, l.sealed_at, e.event_id, e.stream_id,
       e.stream_version, e.event_type, e.schema_version, e.data, e.metadata, e.recorded_at"""


@dataclass(frozen=True)
class LogFilter:
    stream: str | None = None
    stream_prefix: str | None = None
    subject: str | None = None
    task: str | None = None
    inspector: str | None = None
    event_type: str | None = None
    actor: str | None = None
    department: str | None = None
    recorded_from: datetime | None = None
    recorded_before: datetime | None = None
    sealed_from: datetime | None = None
    sealed_before: datetime | None = None
    from_position: int | None = None
    to_position: int | None = None


@dataclass(frozen=True)
class LogEntry:
    position: int
    event_id: str
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    sealed_at: datetime
    content_hash: bytes
    chain_hash: bytes


def _entry(r: asyncpg.Record) -> LogEntry:
    return LogEntry(
        position=r["position"],
        event_id=str(r["event_id"]),
        stream_id=r["stream_id"],
        stream_version=r["stream_version"],
        event_type=r["event_type"],
        schema_version=r["schema_version"],
        data=r["data"],
        metadata=r["metadata"],
        recorded_at=r["recorded_at"],
        sealed_at=r["sealed_at"],
        content_hash=bytes(r["content_hash"]),
        chain_hash=bytes(r["chain_hash"]),
    )


class _Query:
    def __init__(self) -> None:
        self.args: list[Any] = []
        self.conditions: list[str] = []

    def arg(self, value: Any, cast: str) -> str:
        self.args.append(value)
        return f"${len(self.args)}::{cast}"


def _jsonpath_string(value: str) -> str:
    """``value`` as a jsonpath string literal (JSON string syntax)."""
    return orjson.dumps(value).decode()


def _conditions(q: _Query, f: LogFilter) -> None:
    if f.stream is not None:
        q.conditions.append(f"e.stream_id = {q.arg(f.stream, 'text')}")
    if f.stream_prefix is not None:
        q.conditions.append(f"starts_with(e.stream_id, {q.arg(f.stream_prefix, 'text')})")
    if f.subject is not None:
        k = q.arg(f.subject, "text")
        names = (
            f"(x.data @> jsonb_build_object('subject', {k})"
            f" OR x.data @> jsonb_build_object('subject_key', {k}))"
        )
        q.conditions.append(
            f"""(e.stream_id = '{SUBJECT_PREFIX}' || {k}
            OR {names.replace("x.", "e.")}
            OR e.stream_id IN (SELECT x.stream_id FROM events x
                                WHERE starts_with(x.stream_id, '{INSPECTION_PREFIX}') AND {names})
            OR (e.event_type = 'DrawExecuted' AND jsonb_path_exists({_OUTCOME},
                '$.assignments[*] ? (@.subject == $k)', jsonb_build_object('k', {k}))))"""
        )
    if f.task is not None:
        t = q.arg(f.task, "text")
        q.conditions.append(
            f"(e.stream_id IN ('{TASK_PREFIX}' || {t}, '{DRAW_PREFIX}' || {t})"
            f" OR starts_with(e.stream_id, '{INSPECTION_PREFIX}' || {t} || '/'))"
        )
    if f.inspector is not None:
        s = q.arg(f.inspector, "text")
        q.conditions.append(
            f"""(e.stream_id = '{INSPECTOR_PREFIX}' || {s}
            OR jsonb_path_exists(e.data, '$.** ? ({STAFF_FIELDS})', jsonb_build_object('s', {s}))
            OR (e.event_type = 'DrawExecuted' AND jsonb_path_exists({_OUTCOME},
                '$.assignments[*] ? (@.lead == $s || @.officers[*] == $s || @.experts[*] == $s)',
                jsonb_build_object('s', {s}))))"""
        )
    if f.event_type is not None:
        q.conditions.append(f"e.event_type = {q.arg(f.event_type, 'text')}")
    if f.actor is not None:
        q.conditions.append(f"e.metadata->>'actor' = {q.arg(f.actor, 'text')}")
    if f.department is not None:
        q.conditions.append(f"e.metadata->>'department' = {q.arg(f.department, 'text')}")
    for value, sql in (
        (f.recorded_from, "e.recorded_at >= {}"),
        (f.recorded_before, "e.recorded_at < {}"),
        (f.sealed_from, "l.sealed_at >= {}"),
        (f.sealed_before, "l.sealed_at < {}"),
    ):
        if value is not None:
            q.conditions.append(sql.format(q.arg(value, "timestamptz")))
    if f.from_position is not None:
        q.conditions.append(f"l.position >= {q.arg(f.from_position, 'bigint')}")
    if f.to_position is not None:
        q.conditions.append(f"l.position <= {q.arg(f.to_position, 'bigint')}")


async def read_log(
    conn: asyncpg.Connection | asyncpg.Pool, f: LogFilter, after: int, limit: int
) -> list[LogEntry]:
    """Up to ``limit`` sealed events matching ``f`` with positions after ``after``, in ledger
    order."""
    q = _Query()
    q.conditions.append(f"l.position > {q.arg(after, 'bigint')}")
    _conditions(q, f)
    sql = (
        f"SELECT {_COLUMNS} FROM ledger l JOIN events e ON e.seq = l.seq"
        f" WHERE {' AND '.join(q.conditions)} ORDER BY l.position"
        f" LIMIT {q.arg(limit, 'bigint')}"
    )
    return [_entry(r) for r in await conn.fetch(sql, *q.args)]


@dataclass(frozen=True)
class StateAsOf:
    """An entity's state folded from its events up to a ledger position."""

    stream_id: str
    aggregate: str
    state: dict[str, Any] | None
    version: int
    position: int | None
    """The position of the last event applied; None when the stream had no event by then."""
    recorded_at: datetime | None


async def state_as_of(
    conn: asyncpg.Connection | asyncpg.Pool, spec: AggregateSpec[Any], stream_id: str, position: int
) -> StateAsOf:
    rows = await conn.fetch(
        "SELECT e.event_type, e.schema_version, e.data, e.stream_version, e.recorded_at, l.position"
        " FROM events e JOIN ledger l ON l.seq = e.seq"
        " WHERE e.stream_id = $1 AND l.position <= $2 ORDER BY l.position",
        stream_id,
        position,
    )
    state = spec.fold(spec.decode(r["event_type"], r["schema_version"], r["data"]) for r in rows)
    last = rows[-1] if rows else None
    return StateAsOf(
        stream_id=stream_id,
        aggregate=spec.name,
        state=spec.state_data(state) if state is not None else None,
        version=last["stream_version"] if last else 0,
        position=last["position"] if last else None,
        recorded_at=last["recorded_at"] if last else None,
    )


def spec_for_stream(
    specs: Sequence[AggregateSpec[Any]], stream_id: str
) -> AggregateSpec[Any] | None:
    """The aggregate that owns a stream id (the longest matching prefix), or None."""
    owners = [s for s in specs if s.owns(stream_id) and len(stream_id) > len(s.stream_prefix)]
    return max(owners, key=lambda s: len(s.stream_prefix)) if owners else None
