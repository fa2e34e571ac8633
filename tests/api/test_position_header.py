"""``X-Spotcheck-Position`` on a mutation's answer (spotcheck.api.replicas): present when the
WAL position can be read, and when it cannot, the committed mutation still answers 200 without
it.  The crash drill once met asyncpg's InternalClientError there (a pooled connection cut off
by a killed postmaster), and the answer became a 500 for a write that had committed."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from starlette.applications import Starlette

from spotcheck.api.replicas import POSITION_HEADER, parse_position
from spotcheck.auth.tokens import mint
from tests.api.conftest import TOKENS, People

CREATE = """mutation($i: CreateAccountInput!) {
  createAccount(input: $i) { account { userId } errors { code field message } } }"""


class PositionUnreadable:
    """The app's pool, except that reading the WAL position fails as in the drill."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        if "pg_current_wal_lsn" in query:
            raise asyncpg.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            )
        return await self._pool.fetchval(query, *args, **kwargs)


async def _create(client: httpx.AsyncClient, user: str, uid: str) -> httpx.Response:
    variables = {"i": {"userId": uid, "displayName": uid, "department": "SCJG", "roles": []}}
    return await client.post(
        "/graphql",
        json={"query": CREATE, "variables": variables},
        headers={"authorization": f"Bearer {mint(user, TOKENS)}"},
    )


async def test_a_mutation_answers_its_position(client: httpx.AsyncClient, people: People) -> None:
    r = await _create(client, people.admin, "position-read")
    assert r.status_code == 200 and r.json()["data"]["createAccount"]["errors"] == [], r.text
    assert parse_position(r.headers[POSITION_HEADER]) is not None


async def test_an_unreadable_position_drops_the_header_not_the_answer(
    app: Starlette, client: httpx.AsyncClient, people: People
) -> None:
    pool = app.state.pool
    app.state.pool = PositionUnreadable(pool)
    try:
        r = await _create(client, people.admin, "position-lost")
    finally:
        app.state.pool = pool
    assert r.status_code == 200, r.text
    assert r.json()["data"]["createAccount"]["errors"] == [], r.text
    assert POSITION_HEADER not in r.headers
    exists = await pool.fetchval("SELECT count(*) FROM accounts WHERE id = 'position-lost'")
    assert exists == 1
