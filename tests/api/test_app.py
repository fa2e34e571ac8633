"""The server through its real ASGI transport (httpx), with its lifespan running."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.api.schema import schema_sdl
from spotcheck.eventstore import NO_STREAM, Metadata, NewEvent
from tests.conftest import Db, make_registry

STATUS = "{ ledgerStatus { headPosition headHash unsealedCount sealerLagMs } }"


@pytest.fixture
async def app(db: Db) -> AsyncIterator[Starlette]:
    application = create_app(db.app_url, registry=make_registry())
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck.test") as c:
        yield c


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


async def test_ledger_status_follows_appends(client: httpx.AsyncClient, app: Starlette) -> None:
    r = await client.post("/graphql", json={"query": STATUS})
    assert r.status_code == 200
    assert r.json() == {
        "data": {
            "ledgerStatus": {
                "headPosition": 0,
                "headHash": None,
                "unsealedCount": 0,
                "sealerLagMs": 0.0,
            }
        }
    }
    store = app.state.store
    for i in range(3):
        await store.append(f"s{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i}, Metadata())])
    await app.state.sealer.wait_sealed(3)
    data = (await client.post("/graphql", json={"query": STATUS})).json()["data"]["ledgerStatus"]
    assert data["headPosition"] == 3
    assert len(data["headHash"]) == 64
    assert data["unsealedCount"] == 0


async def test_query_limits(client: httpx.AsyncClient) -> None:
    aliases = " ".join(f"a{i}: ledgerStatus {{ headPosition }}" for i in range(40))
    r = (await client.post("/graphql", json={"query": "{" + aliases + "}"})).json()
    assert "data" not in r or r.get("data") is None
    assert "aliases" in r["errors"][0]["message"]


async def test_no_ide_page_that_needs_the_internet(client: httpx.AsyncClient) -> None:
    r = await client.get("/graphql", headers={"accept": "text/html"})
    assert not r.headers.get("content-type", "").startswith("text/html")
    assert "https://" not in r.text


async def test_introspection_off_in_production(db: Db) -> None:
    application = create_app(db.app_url, production=True, run_sealer=False)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t"
        ) as c:
            r = (await c.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
    assert r.get("errors")


def test_schema_file_equals_built_schema() -> None:
    path = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
    assert path.read_text(encoding="utf-8") == schema_sdl(), (
        "schema/schema.graphql is stale: run `spotcheck schema export`"
    )
