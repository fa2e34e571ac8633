"""A pool with ``reset="full"`` (the benchmarks' baseline) resets session state on release, as
asyncpg does by default; the default pool runs no reset query (tests/api/test_pool_session.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from spotcheck.db.pool import create_pool
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


async def test_full_reset_undoes_session_settings(one_pool: asyncpg.Pool) -> None:
    before = await _application_name(one_pool)
    async with one_pool.acquire() as conn:
        await conn.execute("SET application_name = 'leaked'")
    assert await _application_name(one_pool) == before  # RESET ALL on release


async def test_release_rolls_back_an_open_transaction(one_pool: asyncpg.Pool) -> None:
    async with one_pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE pool_reset_probe (x int)")
    async with one_pool.acquire() as conn:
        exists = await conn.fetchval("SELECT to_regclass('pool_reset_probe') IS NOT NULL")
        in_tx = conn.is_in_transaction()
    assert not exists and not in_tx
