"""A pool with ``reset="full"`` resets session state on release, except after
``acquire_untouched`` (the store's single-statement append), which skips the reset round trip
and nothing else.  (The default pool runs no reset query at all: tests/api/test_pool_session.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from spotcheck.db.pool import acquire_untouched, create_pool
from tests.conftest import Db


@pytest.fixture
async def one_pool(db: Db) -> AsyncIterator[asyncpg.Pool]:
    """One connection, so every acquire gets the same session."""
    p = await create_pool(db.app_url, min_size=1, max_size=1, reset="full")
    yield p
    await p.close()


async def _application_name(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return str(await conn.fetchval("SHOW application_name"))


async def test_plain_acquire_resets_and_untouched_skips(one_pool: asyncpg.Pool) -> None:
    before = await _application_name(one_pool)
    async with one_pool.acquire() as conn:
        await conn.execute("SET application_name = 'leaked'")
    assert await _application_name(one_pool) == before  # RESET ALL on release
    # acquire_untouched promises no session change; break the promise to see the skipped reset.
    async with acquire_untouched(one_pool) as conn:
        await conn.execute("SET application_name = 'kept'")
    assert await _application_name(one_pool) == "kept"
    # The marker ends with the block: that plain release above reset it again.
    assert await _application_name(one_pool) == before


async def test_untouched_release_still_rolls_back(one_pool: asyncpg.Pool) -> None:
    async with acquire_untouched(one_pool) as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE pool_reset_probe (x int)")
    async with one_pool.acquire() as conn:
        exists = await conn.fetchval("SELECT to_regclass('pool_reset_probe') IS NOT NULL")
        in_tx = conn.is_in_transaction()
    assert not exists and not in_tx
