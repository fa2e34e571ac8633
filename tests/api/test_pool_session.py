"""A pooled connection goes back to the pool without asyncpg's reset query (spotcheck.db.pool):
after the API's queries and mutations, no connection of the pool keeps session state that the
query (``pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``) would have undone."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
from starlette.applications import Starlette

from spotcheck.api.schema import build_schema
from spotcheck.auth.tokens import mint
from spotcheck.db.pool import create_pool
from tests.api.conftest import GQL, TOKENS, People
from tests.api.schema_walk import root_queries
from tests.api.test_subjects import REGISTER, UPDATE, enterprise_input
from tests.conftest import Db

TIMEOUT = 120.0


async def leftovers(conn: asyncpg.Connection) -> list[str]:
    """What this session holds that the reset query would undo, as readable lines.  A setting
    counts when RESET would change it (asyncpg itself sets ``jit`` for a session while it reads
    a type, then sets it back to the value it had)."""
    found: list[str] = []
    row = await conn.fetchrow(
        """
        SELECT ARRAY(SELECT objid::text FROM pg_locks
                      WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks,
               ARRAY(SELECT pg_listening_channels()) AS channels,
               ARRAY(SELECT name FROM pg_cursors WHERE is_holdable) AS cursors,
               ARRAY(SELECT name FROM pg_settings
                      WHERE source = 'session' AND setting IS DISTINCT FROM reset_val) AS settings
        """
    )
    assert row is not None
    for kind in ("locks", "channels", "cursors", "settings"):
        if row[kind]:
            found.append(f"{kind}: {row[kind]}")
    if conn.is_in_transaction():
        found.append("an open transaction")
    return found


async def every_connection(pool: asyncpg.Pool) -> list[list[str]]:
    """``leftovers`` of every connection of an idle pool (acquiring all it may hold; those it
    opens for that are fresh)."""
    conns = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        assert len({id(c) for c in conns}) == len(conns)
        return [await leftovers(c) for c in conns]
    finally:
        for c in conns:
            await pool.release(c)


async def test_the_check_sees_session_state(db: Db) -> None:
    """The check can fail: a SET, a LISTEN and an advisory lock survive a release without the
    reset query, and are seen."""
    pool = await create_pool(db.app_url, min_size=1, max_size=1)
    try:
        async with asyncio.timeout(TIMEOUT):
            async with pool.acquire() as conn:
                await conn.execute("SET statement_timeout = 5000")
                await conn.execute("LISTEN bench_channel")
                await conn.execute("SELECT pg_advisory_lock(42)")
            [found] = await every_connection(pool)
            assert [line.split(":")[0] for line in found] == ["locks", "channels", "settings"]
            assert "statement_timeout" in found[2]
    finally:
        await pool.close()

    full = await create_pool(db.app_url, min_size=1, max_size=1, reset="full")
    try:
        async with asyncio.timeout(TIMEOUT):
            async with full.acquire() as conn:
                await conn.execute("SET statement_timeout = 5000")
                await conn.execute("SELECT pg_advisory_lock(42)")
            assert await every_connection(full) == [[]]
    finally:
        await full.close()


async def test_requests_leave_no_session_state(
    app: Starlette, client: httpx.AsyncClient, gql: GQL, people: People
) -> None:
    """Every root query (as a system admin and as the public) and writes through mutations (the
    event store's transaction-scoped advisory locks and ``SET LOCAL``), then every connection
    of the server's pool is as fresh as asyncpg's reset would leave it."""
    schema = build_schema()._schema
    async with asyncio.timeout(TIMEOUT):
        r = await gql(REGISTER, as_user=people.scjg_admin, input=enterprise_input(items=[]))
        assert r["data"]["registerSubject"]["errors"] == [], r
        key = r["data"]["registerSubject"]["subject"]["key"]
        r = await gql(
            UPDATE,
            as_user=people.scjg_admin,
            input={"key": key, "name": "新名称", "reason": "更名"},
        )
        assert r["data"]["updateSubject"]["errors"] == [], r
        answered: list[int] = []
        for query in root_queries(schema, {}).values():
            for user in (people.admin, None):
                headers = {"authorization": f"Bearer {mint(user, TOKENS)}"} if user else {}
                sent = await client.post("/graphql", json={"query": query}, headers=headers)
                answered.append(sent.status_code)
        # Most answer (some are over the public's cost budget: 400 before any database work).
        assert answered.count(200) > len(answered) * 3 // 4, answered
        pool: asyncpg.Pool = app.state.pool
        assert await every_connection(pool) == [[]] * pool.get_max_size()
