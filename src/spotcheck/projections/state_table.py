"""A read table holding each aggregate's current state: the fold of its events.

One generic projection for every registry aggregate: the rows of the streams a batch touches
are loaded, the batch's events are folded onto them with the aggregate's own ``evolve``, and
the new states are upserted in one statement.  The table's generated columns (see the
migrations) index the JSON state for filtering and sorting.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import asyncpg
import orjson

from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.eventstore.envelope import RecordedEvent

S = TypeVar("S")

_UPSERT = """
INSERT INTO {table} AS t (id, version, state, created_at, updated_at)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[], $4::timestamptz[],
                     $5::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    version = excluded.version, state = excluded.state, updated_at = excluded.updated_at
"""


# New streams only (``apply_new``): a plain INSERT, as for the ``streams`` table (see
# projections.streams): the streams' first events, appended in this transaction, make sure no
# other transaction has a row for them; ON CONFLICT cost about 15% of this statement.
_INSERT_NEW = """
INSERT INTO {table} (id, version, state, created_at, updated_at)
SELECT x.i, x.v, x.s, now(), now()
  FROM jsonb_to_recordset($1::jsonb) AS x(i text, v bigint, s jsonb)
"""


def new_state_row(key: str, version: int, state_json: bytes) -> bytes:
    """One row for :meth:`StateTableProjection.apply_new`."""
    return b'{"i":%s,"v":%d,"s":%s}' % (orjson.dumps(key), version, state_json)


_heads: tuple[Sequence[RecordedEvent], dict[str, list[RecordedEvent]]] | None = None


def _by_head(events: Sequence[RecordedEvent]) -> dict[str, list[RecordedEvent]]:
    """The batch's events by the part of their stream id before the first ``-``, computed once
    per batch for all the state tables (each used to scan the whole batch for its prefix).
    The batch is held, so its identity cannot be reused while it is cached."""
    global _heads
    cached = _heads
    if cached is not None and cached[0] is events:
        return cached[1]
    heads: dict[str, list[RecordedEvent]] = {}
    for e in events:
        head = e.stream_id.partition("-")[0]
        bucket = heads.get(head)
        if bucket is None:
            heads[head] = [e]
        else:
            bucket.append(e)
    _heads = (events, heads)
    return heads


class StateTableProjection(Generic[S]):
    def __init__(self, spec: AggregateSpec[S], table: str) -> None:
        self.spec = spec
        self.name = table
        self.tables: tuple[str, ...] = (table,)
        self._upsert = _UPSERT.format(table=table)
        self._insert_new = _INSERT_NEW.format(table=table)
        self._select = f"SELECT id, state, created_at FROM {table} WHERE id = ANY($1::text[])"

    def owned(self, events: Sequence[RecordedEvent]) -> list[RecordedEvent]:
        prefix = self.spec.stream_prefix
        candidates = _by_head(events).get(prefix.partition("-")[0], ())
        return [e for e in candidates if e.stream_id.startswith(prefix)]

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        mine = self.owned(events)
        if not mine:
            return
        keys = list(dict.fromkeys(self.spec.key_of(e.stream_id) for e in mine))
        current: dict[str, tuple[Any, datetime]] = {}
        if any(e.stream_version > 1 for e in mine):
            for r in await conn.fetch(self._select, keys):
                current[r["id"]] = (self.spec.state_from_data(r["state"]), r["created_at"])
        rows: dict[str, list[Any]] = {}
        for e in mine:
            key = self.spec.key_of(e.stream_id)
            state, created = current.get(key, (None, e.recorded_at))
            event = self.spec.decode(e.event_type, e.schema_version, e.data)
            state = self.spec.evolve(state, event)
            current[key] = (state, created)
            rows[key] = [e.stream_version, e.recorded_at]
        ids = list(rows)
        await conn.execute(
            self._upsert,
            ids,
            [rows[k][0] for k in ids],
            [orjson.Fragment(self.spec.state_json(current[k][0])) for k in ids],
            [current[k][1] for k in ids],
            [rows[k][1] for k in ids],
        )

    async def apply_states(
        self, conn: asyncpg.Connection, rows: Sequence[tuple[str, int, bytes, datetime]]
    ) -> None:
        """Upsert states already folded by the writer: ``(key, version, state JSON, recorded
        at)`` for streams whose every event is in this batch (so ``created_at`` is the time
        they were recorded).  The bulk importer's fast path: it holds the state its decision
        produced, so it need not decode its events and fold them again."""
        if not rows:
            return
        await conn.execute(
            self._upsert,
            [r[0] for r in rows],
            [r[1] for r in rows],
            [orjson.Fragment(r[2]) for r in rows],
            [r[3] for r in rows],
            [r[3] for r in rows],
        )

    async def apply_new(self, conn: asyncpg.Connection, rows: list[bytes]) -> None:
        """Insert the states of new streams whose every event was recorded in this transaction
        (so at its ``now()``), folded by the writer, as JSON objects ``{"i": key, "v":
        version, "s": state}`` (:func:`new_state_row`): ``apply_states`` in one JSON parameter
        (eventstore.prepared; the driver encodes each element of an array on its own).  The
        streams must be new: a row already there is a unique violation, not an update."""
        if rows:
            await conn.execute(self._insert_new, orjson.Fragment(b"[" + b",".join(rows) + b"]"))
