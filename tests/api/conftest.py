"""The server over httpx's ASGI transport, with signed-in clients per role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.auth.tokens import TokenSettings, mint
from spotcheck.domain import account as a
from spotcheck.domain import department as d
from spotcheck.domain.actor import SYSTEM, Role
from spotcheck.domain.values import Liaison
from spotcheck.services import accounts, departments
from spotcheck.services.runner import Caller, CommandRunner
from tests.conftest import Db

TOKENS = TokenSettings(
    algorithm="HS256", secret=b"t" * 32, public_key=None, issuer=None, audience=None
)


@pytest.fixture
async def app(db: Db) -> AsyncIterator[Starlette]:
    application = create_app(db.app_url, tokens=TOKENS)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck.test") as c:
        yield c


GQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GQL:
    """``await gql(query, as_user="admin", **variables)`` → the response's JSON."""

    async def run(query: str, as_user: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {mint(as_user, TOKENS)}"} if as_user else {}
        r = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    return run


@dataclass(frozen=True)
class People:
    """User ids of the seeded accounts, one per role (departments SCJG and STHJ)."""

    admin: str = "admin"
    scjg_admin: str = "scjg-admin"
    sthj_admin: str = "sthj-admin"
    inspector: str = "inspector"
    auditor: str = "auditor"
    liaison: str = "liaison-scjg"
    nobody: str = "no-account"


SEED = Caller(actor=SYSTEM, request_id="test-seed")


async def seed_people(runner: CommandRunner) -> People:
    for code, name, liaison in (
        ("SCJG", "北京市丰台区市场监督管理局", "liaison-scjg"),
        ("STHJ", "北京市丰台区生态环境局", "liaison-sthj"),
    ):
        await departments.handle(
            runner,
            SEED,
            d.RegisterDepartment(
                code=code,
                name=name,
                liaison=Liaison(
                    name="联络员" + code,
                    phone="010-63800000",
                    email=f"{code}@example.gov.cn",
                    user_id=liaison,
                ),
            ),
        )
    for user, dept, roles in (
        ("admin", "SCJG", [Role.SYSTEM_ADMIN]),
        ("scjg-admin", "SCJG", [Role.DEPARTMENT_ADMIN]),
        ("sthj-admin", "STHJ", [Role.DEPARTMENT_ADMIN]),
        ("inspector", "SCJG", [Role.INSPECTOR]),
        ("auditor", "SCJG", [Role.AUDITOR]),
        ("liaison-scjg", "SCJG", []),
    ):
        await accounts.handle(
            runner,
            SEED,
            a.CreateAccount(user_id=user, display_name=user, department=dept, roles=roles),
        )
    return People()


@pytest.fixture
async def people(app: Starlette) -> People:
    return await seed_people(app.state.runner)
