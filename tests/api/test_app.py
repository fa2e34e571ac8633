"""The server through its real ASGI transport (httpx), with its lifespan running."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.api.schema import schema_sdl
from tests.api.conftest import TOKENS, seed_people
from tests.conftest import Db

STATUS = "{ ledgerStatus { headPosition headHash unsealedCount sealerLagMs } }"


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
    await seed_people(app.state.runner)  # 2 departments and 6 accounts: 8 events
    await app.state.sealer.wait_sealed(8)
    data = (await client.post("/graphql", json={"query": STATUS})).json()["data"]["ledgerStatus"]
    assert data["headPosition"] == 8
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
    application = create_app(db.app_url, tokens=TOKENS, production=True, run_sealer=False)
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
