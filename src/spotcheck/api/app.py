"""The Starlette application; its lifespan owns the asyncpg pool and the sealer."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from spotcheck.api import ide
from spotcheck.api.auth import actor_for
from spotcheck.api.context import Context
from spotcheck.api.evidence import default_storage, max_bytes_from_env
from spotcheck.api.evidence import routes as evidence_routes
from spotcheck.api.schema import build_schema
from spotcheck.auth.tokens import TokenSettings
from spotcheck.db.pool import create_pool
from spotcheck.domain.regions import Regions
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.evidence.storage import EvidenceStorage
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner
from spotcheck.transparency.checkpointer import Checkpointer
from spotcheck.transparency.routes import log_key_route, resolve_log_key


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
    evidence: EvidenceStorage | None = None,
    evidence_max_bytes: int | None = None,
    log_key: Ed25519PrivateKey | None = None,
) -> Starlette:
    """The server; ``app_database_url`` connects as the server's role (spotcheck_app).

    ``evidence``: where evidence files are stored (default ``SPOTCHECK_HOME/evidence``);
    ``evidence_max_bytes``: their size limit (default ``SPOTCHECK_EVIDENCE_MAX_BYTES`` or 50 MB).
    """
    region_list = regions or Regions.load()
    # With the sealer runs the checkpointer, signing with ``log_key`` or the configured key
    # (spotcheck.transparency.keys): a startup error in production without one.
    signing_key = resolve_log_key(log_key, production=production) if run_sealer else log_key

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await create_pool(app_database_url)
        store = EventStore(pool, registry or event_registry())
        sealer = Sealer(app_database_url)
        store.on_commit(sealer.wake)
        app.state.pool, app.state.store, app.state.sealer = pool, store, sealer
        app.state.runner = CommandRunner(store, projections())
        app.state.tokens, app.state.regions = tokens, region_list
        tasks = []
        if run_sealer:
            assert signing_key is not None
            app.state.checkpointer = Checkpointer(app_database_url, signing_key)
            tasks.append(asyncio.create_task(sealer.run()))
            tasks.append(asyncio.create_task(app.state.checkpointer.run()))
        try:
            yield
        finally:
            for task in tasks:
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
        log_key_route(signing_key),
        *evidence_routes(),
    ]
    if not production:
        routes.append(ide.static_route())
    application = Starlette(routes=routes, lifespan=lifespan)
    application.state.evidence = evidence or default_storage()
    application.state.evidence_max_bytes = evidence_max_bytes or max_bytes_from_env()
    return application
