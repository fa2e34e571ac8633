"""The server through its real ASGI transport (httpx), with its lifespan running."""

from __future__ import annotations

import re
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


async def test_graphiql_page_loads_only_local_files(client: httpx.AsyncClient) -> None:
    r = await client.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<title>spotcheck GraphQL</title>" in page
    assert "GraphiQL.createFetcher({ url: '/graphql' })" in page
    assert "spotcheck token --user admin" in page
    assert "http://" not in page and "https://" not in page and "//" not in page
    urls = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert len(urls) == 4, urls  # the stylesheet, React, React-DOM and GraphiQL
    for url in urls:
        assert url.startswith("/graphiql/static/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 10_000, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert asset.headers["content-type"].startswith(kind), url
        assert "max-age" in asset.headers["cache-control"]
        again = await client.get(url, headers={"if-none-match": asset.headers["etag"]})
        assert again.status_code == 304
    # Only the page's assets are served: no other file of the package, no way out of its folder.
    for url in (
        "/graphiql/static/views.py",
        "/graphiql/static/graphql-ws.min.js",
        "/graphiql/static/..%2F..%2F__init__.py",
        "/graphiql/static/../views.py",
    ):
        assert (await client.get(url)).status_code == 404, url
    # A query over GET still runs as GraphQL, not as the page.
    r = await client.get("/graphql", params={"query": "{ ledgerStatus { headPosition } }"})
    assert r.json() == {"data": {"ledgerStatus": {"headPosition": 0}}}


async def test_no_ide_and_no_introspection_in_production(db: Db) -> None:
    application = create_app(db.app_url, tokens=TOKENS, production=True, run_sealer=False)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://t"
        ) as c:
            page = await c.get("/graphql", headers={"accept": "text/html"})
            asset = await c.get("/graphiql/static/graphiql.min.js")
            r = (await c.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
    assert page.status_code == 404
    assert not page.headers.get("content-type", "").startswith("text/html")
    assert asset.status_code == 404
    assert r.get("errors")


def test_schema_file_equals_built_schema() -> None:
    path = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"
    assert path.read_text(encoding="utf-8") == schema_sdl(), (
        "schema/schema.graphql is stale: run `spotcheck schema export`"
    )


async def test_repeated_queries_hit_the_validation_cache(client: httpx.AsyncClient) -> None:
    """The limiters' rules are part of the cache key: built per request, they never hit.  (A
    query the compiled path does not cover, which validates once per document itself.)"""
    from strawberry.extensions.validation_cache import _get_validate_cache

    query = "{ regions { code } }"
    await client.post("/graphql", json={"query": query})
    before = _get_validate_cache(512).cache_info()
    for _ in range(3):
        await client.post("/graphql", json={"query": query})
    after = _get_validate_cache(512).cache_info()
    assert after.hits - before.hits == 3
    assert after.misses == before.misses


async def test_depth_and_token_limits(client: httpx.AsyncClient) -> None:
    # The depth rule counts nesting whether or not the fields exist: 13 levels here.
    deep = "{ viewer { " + "account { department { " * 6 + "code" + " } }" * 6 + " } }"
    r = (await client.post("/graphql", json={"query": deep})).json()
    assert r.get("data") is None
    assert any("exceeds maximum operation depth" in e["message"] for e in r["errors"])
    many = "{ " + " ".join(["ledgerStatus { headPosition }"] * 1700) + " }"
    r = (await client.post("/graphql", json={"query": many})).json()
    assert r.get("data") is None and "token" in r["errors"][0]["message"].lower()
