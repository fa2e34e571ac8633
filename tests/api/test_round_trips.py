"""Database round trips per request (issue 17): a page of subjects with their region and
maintaining department costs two statements, where it cost six (with a department batch and
asyncpg's reset after each): the caller's account, then the page with the departments (the
general executor) or the whole compiled answer (spotcheck.api.compiled)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
from starlette.applications import Starlette

from spotcheck.api.view import EXECUTOR_HEADER
from spotcheck.auth.tokens import mint
from spotcheck.cli.bench.api_load import QUERY
from tests.api.conftest import TOKENS, People
from tests.api.test_subjects import business, seed

TIMEOUT = 60.0


async def _statements(
    app: Starlette, client: httpx.AsyncClient, user: str, executor: str
) -> tuple[list[str], dict[str, Any], str | None]:
    """The statements one request of the bench's page ran, its answer, and which executor."""
    pool: asyncpg.Pool = app.state.pool
    logged: list[str] = []

    def log(record: asyncpg.connection.LoggedQuery) -> None:
        logged.append(record.query)

    async with asyncio.timeout(TIMEOUT):
        conns = [await pool.acquire() for _ in range(pool.get_max_size())]
        for conn in conns:
            conn.add_query_logger(log)
        for conn in conns:
            await pool.release(conn)
        logged.clear()
        r = await client.post(
            "/graphql",
            json={"query": QUERY.replace("first: 50", "first: 4"), "variables": {}},
            headers={
                "authorization": f"Bearer {mint(user, TOKENS)}",
                EXECUTOR_HEADER: executor,
            },
        )
    assert r.status_code == 200, r.text
    return logged, r.json(), r.headers.get(EXECUTOR_HEADER)


def _check_page(body: dict[str, Any]) -> None:
    assert "errors" not in body, body
    nodes = body["data"]["subjects"]["nodes"]
    assert [n["maintainingDepartment"]["code"] for n in nodes] == ["SCJG", "STHJ"] * 2
    assert {n["maintainingDepartment"]["name"] for n in nodes} == {
        "北京市丰台区市场监督管理局",
        "北京市丰台区生态环境局",
    }
    assert nodes[0]["region"] == {"code": "fangzhuang", "name": "方庄街道"}


async def test_a_page_of_subjects_is_two_statements(
    app: Starlette, client: httpx.AsyncClient, people: People
) -> None:
    for n in range(6):
        await seed(app, business(n, maintaining_department=("SCJG", "STHJ")[n % 2]))
    general, body, used = await _statements(app, client, people.inspector, "general")
    _check_page(body)
    assert used is None
    assert len(general) == 2, general
    assert "JOIN accounts" in general[0] and "JOIN departments" in general[1], general
    compiled, same, used = await _statements(app, client, people.inspector, "any")
    assert used == "compiled" and same == body
    assert len(compiled) == 2, compiled
    assert "JOIN accounts" in compiled[0] and "json_build_object" in compiled[1], compiled
