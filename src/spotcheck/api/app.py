"""The Starlette application; its lifespan owns the asyncpg pool and the sealer.

Besides ``/graphql`` and ``/evidence``: ``/healthz`` (the process answers; no database) and
``/readyz`` (``spotcheck.observe.health``: 200 when every check passes, else 503 naming each
failing one).  ``app.state.metrics_app`` serves ``/metrics`` for this app's own registry; ``serve``
puts it on the metrics port (``spotcheck.observe.metrics``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, Literal

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from spotcheck.api import ide
from spotcheck.api.cost import Budgets
from spotcheck.api.draws.download import inline_max_from_env
from spotcheck.api.draws.download import routes as transcript_routes
from spotcheck.api.evidence import default_storage, max_bytes_from_env
from spotcheck.api.evidence import routes as evidence_routes
from spotcheck.api.http import (
    BodyLimit,
    RateLimit,
    RateLimiter,
    SecurityHeaders,
    cors_origins_from_env,
    database_unavailable_response,
    max_body_from_env,
)
from spotcheck.api.replicas import (
    MIN_POSITION_HEADER,
    POSITION_HEADER,
    ReadYourWrites,
    Replicas,
    max_wait_from_env,
    replica_urls_from_env,
)
from spotcheck.api.view import GraphQLApp, request_id
from spotcheck.auth.tokens import TokenSettings
from spotcheck.db.availability import UNAVAILABLE, database_unavailable
from spotcheck.db.pool import PoolReset, create_pool
from spotcheck.domain.regions import Regions
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.store import EventStore
from spotcheck.evidence.storage import EvidenceStorage
from spotcheck.observe.health import ReadyThresholds, readiness, shipped_versions
from spotcheck.observe.metrics import AppMetrics, metrics_app
from spotcheck.observe.requests import RequestObserver
from spotcheck.services import annual as annual_service
from spotcheck.services import creditrisk as creditrisk_service
from spotcheck.services import evidence as evidence_service
from spotcheck.services import objections as objections_service
from spotcheck.services.catalog import event_registry, projections
from spotcheck.services.runner import CommandRunner
from spotcheck.site.routes import routes as site_routes
from spotcheck.transparency.checkpointer import Checkpointer
from spotcheck.transparency.routes import log_key_route, resolve_log_key

log = logging.getLogger("spotcheck.api")


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


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
    evidence_quota_bytes: int | None = None,
    evidence_unattached_ttl: timedelta | None = None,
    collect_evidence: bool = True,
    log_key: Ed25519PrivateKey | None = None,
    max_body_bytes: int | None = None,
    cors_origins: list[str] | None = None,
    cost_budgets: Budgets | None = None,
    rate_limit: RateLimit | Literal["env"] | None = "env",
    transcript_inline_max_bytes: int | None = None,
    pseudonym_key: bytes | None = None,
    ready: ReadyThresholds | None = None,
    pool_reset: PoolReset = "transaction",
    freeze_gc: bool = True,
    replica_urls: list[str] | None = None,
    replica_max_wait: float | None = None,
) -> Starlette:
    """The server; ``app_database_url`` connects as the server's role (spotcheck_app).

    ``evidence``: where evidence files are stored (default ``SPOTCHECK_HOME/evidence``);
    ``evidence_max_bytes``: their size limit (default ``SPOTCHECK_EVIDENCE_MAX_BYTES`` or 50 MB);
    ``evidence_quota_bytes``: an account's unattached bytes (``SPOTCHECK_EVIDENCE_QUOTA_BYTES``
    or 500 MB); ``evidence_unattached_ttl``: how long an upload may stay unattached
    (``SPOTCHECK_EVIDENCE_UNATTACHED_TTL`` or 7 days); ``collect_evidence``: run the periodic
    collection of unattached uploads (hourly) in the server.
    ``max_body_bytes``: the largest ``/graphql`` body (default ``SPOTCHECK_MAX_BODY_BYTES`` or
    1 MB); ``cost_budgets``: what a query may cost (default ``Budgets.from_env()``);
    ``rate_limit``: requests per client (default ``SPOTCHECK_RATE_LIMIT``; None: no limit);
    ``cors_origins``: the origins a browser may call from (default
    ``SPOTCHECK_CORS_ORIGINS``, comma-separated; none: no CORS);
    ``transcript_inline_max_bytes``: the largest transcript ``drawTranscript`` returns as one
    string (default ``SPOTCHECK_TRANSCRIPT_INLINE_MAX_BYTES`` or 1 MB; larger ones are
    downloaded from ``/draws/{taskId}/{number}/transcript.json``). ``ready``: what ``/readyz``
    tolerates (default ``ReadyThresholds.from_env()``). ``pseudonym_key``: names inspectors in
    public transcripts (default: ``SPOTCHECK_PSEUDONYM_KEY_FILE``, read on first use;
    spotcheck.transparency.pseudonym_key). ``pool_reset``: what a pooled connection runs when
    released (spotcheck.db.pool; "full" only for the benchmark's baseline). ``freeze_gc``: at
    start, move every object then alive out of the garbage collector's reach (``gc.freeze``;
    off only for the benchmark's variants).
    ``replica_urls``: read replicas for queries (default
    ``SPOTCHECK_REPLICA_URLS``), ``replica_max_wait``: seconds a query waits for one to reach
    ``X-Spotcheck-Min-Position`` (default ``SPOTCHECK_REPLICA_MAX_WAIT_MS``;
    spotcheck.api.replicas).
    """
    region_list = regions or Regions.load()
    # Settings read when a command runs are checked now: a bad one stops the start (serve says
    # "cannot start: …") instead of failing every publication or objection with INTERNAL.
    creditrisk_service.rule_from_env()
    objections_service.answer_working_days()
    annual_service.filing_month_day()
    # With the sealer runs the checkpointer, signing with ``log_key`` or the configured key
    # (spotcheck.transparency.keys): a startup error in production without one.
    signing_key = resolve_log_key(log_key, production=production) if run_sealer else log_key
    replicas = Replicas(
        replica_urls if replica_urls is not None else replica_urls_from_env(),
        replica_max_wait if replica_max_wait is not None else max_wait_from_env(),
    )
    thresholds = ready or ReadyThresholds.from_env()
    shipped = shipped_versions()
    metrics = AppMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await create_pool(app_database_url, reset=pool_reset)
        store = EventStore(pool, registry or event_registry())
        sealer = Sealer(app_database_url)
        sealer.follow(store)
        app.state.pool, app.state.store, app.state.sealer = pool, store, sealer
        app.state.runner = CommandRunner(store, projections())
        app.state.runner.durations = metrics.observe_duration
        app.state.tokens, app.state.regions = tokens, region_list
        if replicas.urls:
            await replicas.open()
            app.state.replicas = replicas
        # What exists now (the schema, its caches, the modules) lives as long as the process:
        # moved out of the collector's reach, full collections stop walking it on every request
        # burst, which showed as the tail of the latency (issue 17).
        if freeze_gc:
            gc.collect()
            gc.freeze()
        tasks = []
        if run_sealer:
            assert signing_key is not None
            app.state.checkpointer = Checkpointer(app_database_url, signing_key)
            tasks.append(asyncio.create_task(sealer.run()))
            tasks.append(asyncio.create_task(app.state.checkpointer.run()))
        if collect_evidence:
            tasks.append(
                asyncio.create_task(
                    evidence_service.collect_periodically(
                        app.state.runner, app.state.evidence, app.state.evidence_unattached_ttl
                    )
                )
            )
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await replicas.close()
            await pool.close()

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        state = request.app.state
        role = "leader" if state.sealer.is_leader else "standby"
        checkpointer = getattr(state, "checkpointer", None)
        signer = None if checkpointer is None else "leader" if checkpointer.is_leader else "standby"
        result = await readiness(
            state.pool, shipped, thresholds, sealer_role=role, checkpointer_role=signer
        )
        if not result.ready:
            log.warning(
                "not ready: %s",
                ", ".join(result.failing),
                extra={"failing": result.failing, "checks": result.checks},
            )
        return JSONResponse(result.body(), status_code=200 if result.ready else 503)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route(
            "/graphql",
            ReadYourWrites(GraphQLApp(production, cost_budgets)),
            methods=["GET", "POST"],
        ),
        log_key_route(signing_key),
        *evidence_routes(),
        *transcript_routes(),
        *site_routes(),  # 一公开: the public pages under / (spotcheck.site)
    ]
    if not production:
        routes.append(ide.static_route())
    origins = cors_origins if cors_origins is not None else cors_origins_from_env()
    middleware = [
        Middleware(RequestObserver, metrics=metrics),
        Middleware(SecurityHeaders),
        *(
            [
                Middleware(
                    CORSMiddleware,
                    allow_origins=origins,
                    allow_methods=["GET", "POST"],
                    allow_headers=[
                        "Authorization",
                        "Content-Type",
                        "X-Request-Id",
                        MIN_POSITION_HEADER,
                    ],
                    expose_headers=[POSITION_HEADER],
                    max_age=600,
                )
            ]
            if origins
            else []
        ),
        Middleware(BodyLimit, max_bytes=max_body_bytes or max_body_from_env()),
    ]
    limit = RateLimit.from_env() if rate_limit == "env" else rate_limit
    if limit is not None:
        middleware.insert(2, Middleware(RateLimiter, limit=limit))

    async def unavailable(request: Request, exc: Exception) -> Response:
        """The routes outside /graphql (evidence, the log key): 503 when the database is gone."""
        if not database_unavailable(exc):
            raise exc  # a disk error, say: the 500 it is
        log.warning("database unavailable (%s %s): %r", request.method, request.url.path, exc)
        return database_unavailable_response(request_id(request))

    application = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=middleware,
        exception_handlers={kind: unavailable for kind in (*UNAVAILABLE, OSError, TimeoutError)},
    )
    application.state.evidence = evidence or default_storage()
    application.state.evidence_max_bytes = evidence_max_bytes or max_bytes_from_env()
    application.state.transcript_inline_max_bytes = (
        transcript_inline_max_bytes or inline_max_from_env()
    )
    application.state.evidence_quota_bytes = (
        evidence_quota_bytes or evidence_service.quota_from_env()
    )
    application.state.evidence_unattached_ttl = (
        evidence_unattached_ttl or evidence_service.ttl_from_env()
    )
    application.state.pseudonym_key = pseudonym_key
    application.state.production = production
    application.state.metrics = metrics
    application.state.metrics_app = metrics_app(application)
    return application
