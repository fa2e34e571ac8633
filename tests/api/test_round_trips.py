"""Database round trips per request (issue 17): a page of subjects with their region and
maintaining department costs two statements, the caller's account and the page with the
departments, where it cost six (with a department batch and asyncpg's reset after each)."""

from __future__ import annotations

import asyncio

import asyncpg
from starlette.applications import Starlette

from spotcheck.cli.bench.api_load import QUERY
from tests.api.conftest import GQL, People
from tests.api.test_subjects import business, seed

TIMEOUT = 60.0


async def test_a_page_of_subjects_is_two_statements(
    app: Starlette, gql: GQL, people: People
) -> None:
    for n in range(6):
        await seed(app, business(n, maintaining_department=("SCJG", "STHJ")[n % 2]))
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
        r = await gql(QUERY.replace("first: 50", "first: 4"), as_user=people.inspector)
    assert "errors" not in r, r
    nodes = r["data"]["subjects"]["nodes"]
    assert [n["maintainingDepartment"]["code"] for n in nodes] == ["SCJG", "STHJ"] * 2
    assert {n["maintainingDepartment"]["name"] for n in nodes} == {
        "北京市丰台区市场监督管理局",
        "北京市丰台区生态环境局",
    }
    assert nodes[0]["region"] == {"code": "fangzhuang", "name": "方庄街道"}
    assert len(logged) == 2, logged
    assert "JOIN accounts" in logged[0] and "JOIN departments" in logged[1], logged
