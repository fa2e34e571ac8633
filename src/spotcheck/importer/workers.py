"""Parse, validate and decide rows in worker processes, ahead of the batch's transaction.

A worker turns each row of a batch into one compact result: a reject (the row cannot be read or
parsed: final, whatever the database holds), or the parsed command with the decision it gets if
its key is new (``decide(None, ...)``): the events' types and data, ready to append, and the
state they fold to as JSON, ready for the state table; or the problems that decision raised.
The transaction then reads which keys exist: a row whose key is new and first in its batch
takes the worker's decision as it is; any other row (an existing key, a key repeated in the
batch, or reference data that changed since the workers got their copy) is decided again in the
importing process exactly as without workers.  The events, rejects and read tables are the same
either way (tests/importer/test_workers.py compares them).

The workers are forked: they inherit the import's spec, caller and reference data, so nothing
but rows and results crosses the pipe.  Importing a file (``prepare_chunk``), a worker reads and
parses its batch of the file itself (importer.chunks), and writes each new key's events as the
lines the store's COPY takes (eventstore.prepared): only the results cross the pipe.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import to_data
from spotcheck.domain.errors import DomainError, ErrorCode, Problem
from spotcheck.eventstore.envelope import Metadata
from spotcheck.eventstore.errors import EventStoreError
from spotcheck.eventstore.prepared import EventEncoder
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.importer.chunks import Chunk, Layout, read_chunk
from spotcheck.importer.formats import Row
from spotcheck.projections.state_table import new_state_row
from spotcheck.projections.streams import new_stream_row

# One result per row, by its first item:
#   (REJECT, line, key or None, problems): cannot be read or parsed
#   (NEW, line, key, index, ((event type, data), ...), state JSON): decided as a new key
#   (REFUSED, line, key, index, problems): decide(None, ...) raised these problems
#   (ENCODED, line, key, index, (COPY lines, envelopes), version, streams row, state row):
#       decided as a new key, its events checked and encoded for eventstore.prepared, its rows
#       of the streams projection and of the state table as their ``apply_new`` take them
#       (prepare_chunk)
#   (DECIDE, line, key, index): to be decided in the importing process (the store refused to
#       encode its events: the importing process's append raises the same error)
# ``index`` is the row's place in its batch: a row decided again is parsed again from the
# importing process's own copy, so neither its values nor its command cross the pipe back.
REJECT, NEW, REFUSED, ENCODED, DECIDE = 0, 1, 2, 3, 4
Result = tuple[Any, ...]


@dataclass(frozen=True)
class WorkerContext:
    """What a worker needs to decide a row, inherited at fork."""

    spec: Any  # ImportSpec (not imported here: the engine imports this module)
    actor: Actor
    refs: Any
    reason: str
    registry: EventTypeRegistry | None = None
    metadata: Metadata | None = None
    unix_ms: int | None = None
    """The store's event types, the events' metadata and the instant their ids carry (the
    import's start by the database clock), to encode events (prepare_chunk)."""


_context: WorkerContext | None = None


def _init(context: WorkerContext) -> None:
    global _context
    _context = context


def prepare_rows(rows: Sequence[Row], *, folded: bool = True) -> list[Result]:
    """In a worker: every row of a batch, parsed and decided as if its key were new.  Without
    ``folded``, the state JSON of a stream of one event the aggregate is ``born_as`` is None:
    it is that event's data (``prepare_chunk`` takes it from the encoded event)."""
    ctx = _context
    assert ctx is not None, "prepare_rows runs in a worker started by start_workers"
    spec, agg = ctx.spec, ctx.spec.aggregate
    out: list[Result] = []
    for index, row in enumerate(rows):
        if row.error is not None:
            problem = Problem(ErrorCode.INVALID_FORMAT, None, row.error)
            out.append((REJECT, row.line, None, (problem,)))
            continue
        try:
            command = spec.parse(row.values)
        except DomainError as exc:
            out.append((REJECT, row.line, guess_key(row.values), exc.problems))
            continue
        key = spec.key(command)
        try:
            events = spec.decide(None, command, ctx.actor, ctx.refs, ctx.reason)
        except DomainError as exc:
            out.append((REFUSED, row.line, key, index, exc.problems))
            continue
        encoded = tuple((type(e).__name__, to_data(e)) for e in events)
        if not folded and len(encoded) == 1 and encoded[0][0] in agg.born_as:
            state_json = None
        else:
            state_json = agg.state_json(agg.fold(events, None))
        out.append((NEW, row.line, key, index, encoded, state_json))
    return out


def prepare_chunk(layout: Layout, chunk: Chunk) -> list[Result]:
    """In a worker: the rows of a batch of the file, read here, parsed and decided as if their
    keys were new, each new key's events encoded for the store's COPY."""
    ctx = _context
    assert ctx is not None and ctx.registry is not None and ctx.metadata is not None
    assert ctx.unix_ms is not None
    encoder = EventEncoder(ctx.registry, ctx.metadata, ctx.unix_ms)
    stream_id = ctx.spec.aggregate.stream_id
    out = prepare_rows(read_chunk(layout, chunk), folded=False)
    for i, r in enumerate(out):
        if r[0] != NEW:
            continue
        _, line, key, index, events, state = r
        if not events:  # not a registration: left to the importing process
            out[i] = (DECIDE, line, key, index)
            continue
        try:
            encoded = encoder.new_stream(stream_id(key), events)
        except EventStoreError:
            out[i] = (DECIDE, line, key, index)
            continue
        n, sid = len(events), stream_id(key)
        stream_row = new_stream_row(sid, n, events[-1][0])
        if state is None:  # born of its one event: the state is the event's data
            state = _copy_field(encoded[0], _DATA_FIELD)
        out[i] = (ENCODED, line, key, index, encoded, n, stream_row, new_state_row(key, n, state))
    return out


_DATA_FIELD = 5  # of a COPY line of eventstore.prepared: id, stream, version, type, schema, data


def _copy_field(line: bytes, index: int) -> bytes:
    """Field ``index`` of one line of COPY text format, unescaped, where it holds canonical
    JSON: that has no raw control character, so its only escapes are doubled backslashes (a
    field's tab and newline escapes are a backslash and a letter, never a raw tab)."""
    value = line.split(b"\t", index + 1)[index]
    return value.replace(b"\\\\", b"\\") if b"\\" in value else value


def start_workers(count: int, context: WorkerContext) -> ProcessPoolExecutor:
    """``count`` forked worker processes holding ``context``."""
    return ProcessPoolExecutor(
        max_workers=count,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_init,
        initargs=(context,),
    )


def guess_key(values: dict[str, Any]) -> str | None:
    for name in ("uscc", "identifier", "staff_id"):
        v = values.get(name)
        if v:
            return str(v)
    return None
