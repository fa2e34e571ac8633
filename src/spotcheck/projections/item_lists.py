"""The ``item_lists`` read table: one row per published district list (随机抽查事项清单).

Fed from ``ItemListPublished`` events on the ``itemlist-district`` stream; ``published_at`` is
the time the event was recorded.  Rebuilt from the ledger like every projection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import orjson

from spotcheck.domain import item_list
from spotcheck.domain.aggregate import to_data
from spotcheck.eventstore.envelope import RecordedEvent

TABLE = "item_lists"

# Reading
SELECT = f"SELECT number, items, note, published_at FROM {TABLE}"
"""A published list's row, as ``ItemList.from_row`` reads it."""
LATEST_NUMBER = f"SELECT max(number) FROM {TABLE}"

# The items go as JSON text: asyncpg would read a list of lists as a 2-dimensional jsonb array.
_INSERT = """
INSERT INTO item_lists (number, items, note, published_at)
SELECT n, i::jsonb, t, p FROM unnest($1::integer[], $2::text[], $3::text[], $4::timestamptz[])
    AS u(n, i, t, p)
"""


class ItemListsProjection:
    name = TABLE
    tables: tuple[str, ...] = (TABLE,)
    stream_prefixes: tuple[str, ...] = (item_list.SPEC.stream_prefix,)
    reads: tuple[str, ...] = ()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        numbers: list[int] = []
        items: list[str] = []
        notes: list[str | None] = []
        times: list[datetime] = []
        for e in events:
            if not item_list.SPEC.owns(e.stream_id):
                continue
            event = item_list.SPEC.decode(e.event_type, e.schema_version, e.data)
            assert isinstance(event, item_list.ItemListPublished)
            numbers.append(event.number)
            items.append(orjson.dumps([to_data(i) for i in event.items]).decode())
            notes.append(event.note)
            times.append(e.recorded_at)
        if numbers:
            await conn.execute(_INSERT, numbers, items, notes, times)
