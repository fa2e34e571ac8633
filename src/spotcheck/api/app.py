"""The Starlette application; its lifespan owns the asyncpg pool and the sealer."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from spotcheck.api import ide
from spotcheck.api.auth import actor_for
from spotcheck.api.context import Context
from spotcheck.api.schema import build_schema
from spotcheck.auth.tokens import TokenSettings
from spotcheck.db.pool import create_pool
from spotcheck.domain.regions import Regions
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class GraphQLApp(GraphQL[Context, None]):
    """strawberry's ASGI view with orjson and our context.

    In development a browser's GET gets GraphiQL, but our page from ``ide`` rather than
    strawberry's, whose scripts come from public CDNs that government networks do not reach.
    In production there is no IDE (strawberry answers such a GET with 404).
    """

    def __init__(self, production: bool) -> None:
        schema = build_schema(production=production)
        super().__init__(schema, graphql_ide=None if production else "graphiql")

    async def render_graphql_ide(self, request: Request) -> Response:
        return HTMLResponse(ide.PAGE)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        assert isinstance(request, Request)
        state = request.app.state
        return Context(
            request=request,
            pool=state.pool,
            store=state.store,
            runner=state.runner,
            actor=await actor_for(request, state.pool, state.tokens),
            regions=state.regions,
            request_id=request.headers.get("x-request-id") or str(uuid.uuid4()),
        )


def create_app(
    app_database_url: str,
    *,
    tokens: TokenSettings,
    registry: EventTypeRegistry | None = None,
    production: bool = False,
    run_sealer: bool = True,
    regions: Regions | None = None,
) -> Starlette:
    """The server; ``app_database_url`` connects as the server's role (spotcheck_app)."""
    region_list = regions or Regions.load()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await create_pool(app_database_url)
        store = EventStore(pool, registry or event_registry())
        sealer = Sealer(app_database_url)
        store.on_commit(sealer.wake)
        app.state.pool, app.state.store, app.state.sealer = pool, store, sealer
        app.state.runner = CommandRunner(store, projections())
        app.state.tokens, app.state.regions = tokens, region_list
        task = asyncio.create_task(sealer.run()) if run_sealer else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await pool.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        state = request.app.state
        try:
            migrated = await state.pool.fetchval("SELECT to_regclass('public.ledger') IS NOT NULL")
        except Exception as exc:  # any database failure means not ready
            return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
        if not migrated:
            return JSONResponse({"status": "unavailable", "database": "not migrated"}, 503)
        role = "leader" if state.sealer.is_leader else "standby"
        return JSONResponse({"status": "ready", "sealer": role})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/graphql", GraphQLApp(production), methods=["GET", "POST"]),
    ]
    if not production:
        routes.append(ide.static_route())
    return Starlette(routes=routes, lifespan=lifespan)
