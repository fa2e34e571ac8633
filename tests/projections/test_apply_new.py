"""``apply_new`` of the streams table and of a state table: rows of new streams, inserted as
given, at the transaction's time; a row that is already there is refused, not updated (the
importer calls it only for streams whose first events it appended in the same transaction)."""

from __future__ import annotations

import asyncpg
import orjson
import pytest

from spotcheck.domain import subject as s
from spotcheck.projections import state_tables
from spotcheck.projections.state_table import StateTableProjection, new_state_row
from spotcheck.projections.streams import StreamsProjection, new_stream_row

STATE = {"key": "K1", "name": "天汇", "tags": ["a\\b"], "items": []}


async def test_apply_new_inserts_rows_at_the_transaction_time(pool: asyncpg.Pool) -> None:
    streams, subjects = StreamsProjection(), StateTableProjection(s.SPEC, state_tables.SUBJECTS)
    async with pool.acquire() as conn, conn.transaction():
        now = await conn.fetchval("SELECT now()")
        await streams.apply_new(conn, [new_stream_row("subject-K1", 2, "SubjectChanged")])
        await subjects.apply_new(conn, [new_state_row("K1", 2, orjson.dumps(STATE))])
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM streams WHERE stream_id = 'subject-K1'")
        state = await conn.fetchrow("SELECT * FROM subjects WHERE id = 'K1'")
    assert dict(row) == {
        "stream_id": "subject-K1",
        "version": 2,
        "event_count": 2,
        "last_event_type": "SubjectChanged",
        "first_recorded_at": now,
        "last_recorded_at": now,
    }
    assert (state["version"], state["state"]) == (2, STATE)
    assert state["created_at"] == state["updated_at"] == now


async def test_apply_new_refuses_a_row_that_exists(pool: asyncpg.Pool) -> None:
    streams, subjects = StreamsProjection(), StateTableProjection(s.SPEC, state_tables.SUBJECTS)
    async with pool.acquire() as conn:
        await streams.apply_new(conn, [new_stream_row("subject-K2", 1, "SubjectRegistered")])
        await subjects.apply_new(conn, [new_state_row("K2", 1, orjson.dumps(STATE))])
        with pytest.raises(asyncpg.UniqueViolationError):
            await streams.apply_new(conn, [new_stream_row("subject-K2", 1, "SubjectRegistered")])
        with pytest.raises(asyncpg.UniqueViolationError):
            await subjects.apply_new(conn, [new_state_row("K2", 1, orjson.dumps(STATE))])
        assert await conn.fetchval("SELECT count(*) FROM subjects WHERE id = 'K2'") == 1
