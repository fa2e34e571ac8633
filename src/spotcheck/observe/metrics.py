"""Prometheus metrics (``prometheus-client``), one ``CollectorRegistry`` per application.

Served on a port of their own (``SPOTCHECK_METRICS_PORT``, on ``SPOTCHECK_METRICS_HOST``,
127.0.0.1 by default), never on the API's: a reverse proxy that publishes the API publishes
nothing of this, with no path rule to get right; scrapes are not rate-limited, not logged and
not counted as API requests.  Unset: no metrics listener at all.  See docs/operations.md.

Series (all prefixed ``spotcheck_``):

- ``requests_total`` and ``request_duration_seconds`` by ``route``, ``operation`` and
  ``outcome``.  ``operation`` is the GraphQL operation name; a client chooses it, so the
  label's values are bounded: ``anonymous`` (no name), ``invalid`` (not a GraphQL name),
  ``other`` (once ``MAX_OPERATIONS`` distinct names have been seen), ``none`` outside
  ``/graphql``;
- ``errors_total`` by ``code`` (each distinct code once per request; ``OTHER`` past
  ``MAX_CODES``);
- ``draw_execute_duration_seconds`` and ``import_duration_seconds`` (by ``registry``), observed
  where a draw executes and an import runs in this process (``CommandRunner.timed``);
- ``evidence_uploaded_bytes_total``;
- at scrape time: ``database_up``, ``db_pool_connections`` / ``db_pool_in_use`` /
  ``db_pool_max``, ``ledger_head_position``, ``ledger_unsealed_events``,
  ``sealer_lag_seconds``, ``sealer_leader``, ``checkpoint_tree_size``,
  ``checkpoint_age_seconds``, ``checkpoint_lag_seconds`` (see ``spotcheck.observe.health``).
  A database that does not answer within the timeout gives ``database_up 0`` and NaN ledger
  figures (no stale values).
"""

from __future__ import annotations

import asyncio
import math
import re
from typing import Any

import asyncpg
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from spotcheck.observe.health import ledger_health

# No ``*_created`` series beside every counter and histogram: Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]

MAX_OPERATIONS = 100
MAX_CODES = 100
SCRAPE_DB_TIMEOUT_S = 2.0

_OPERATION = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,59}")
_ROUTES = (
    ("/graphql", "/graphql"),
    ("/evidence/", "/evidence/{sha256}"),
    ("/evidence", "/evidence"),
    ("/healthz", "/healthz"),
    ("/readyz", "/readyz"),
    ("/.well-known/spotcheck-log-key", "/.well-known/spotcheck-log-key"),
    ("/graphiql/", "/graphiql/static"),
)
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_LONG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0)


def route_label(path: str) -> str:
    for prefix, label in _ROUTES:
        if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
            return label
    return "other"


class AppMetrics:
    """The application's registry and series (see the module docstring)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._operations: set[str] = set()
        self._codes: set[str] = set()
        self.requests = Counter(
            "spotcheck_requests",
            "HTTP requests, by route, GraphQL operation name and outcome",
            ["route", "operation", "outcome"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "spotcheck_request_duration_seconds",
            "Time to answer an HTTP request, by route, GraphQL operation name and outcome",
            ["route", "operation", "outcome"],
            buckets=_REQUEST_BUCKETS,
            registry=r,
        )
        self.errors = Counter(
            "spotcheck_errors",
            "Error codes answered (GraphQL extensions.code, mutation payload errors, HTTP "
            "refusals), each once per request",
            ["code"],
            registry=r,
        )
        self.draw_seconds = Histogram(
            "spotcheck_draw_execute_duration_seconds",
            "Time to execute a draw (executeDraw), by outcome",
            ["outcome"],
            buckets=_LONG_BUCKETS,
            registry=r,
        )
        self.import_seconds = Histogram(
            "spotcheck_import_duration_seconds",
            "Time to import a registry file or row set, by registry and outcome",
            ["registry", "outcome"],
            buckets=_LONG_BUCKETS,
            registry=r,
        )
        self.evidence_bytes = Counter(
            "spotcheck_evidence_uploaded_bytes",
            "Bytes of evidence files accepted by POST /evidence",
            registry=r,
        )
        self.database_up = Gauge(
            "spotcheck_database_up",
            "1 if the database answered the scrape's ledger query in time, else 0",
            registry=r,
        )
        self.pool_size = Gauge(
            "spotcheck_db_pool_connections", "Connections open in the pool", registry=r
        )
        self.pool_in_use = Gauge(
            "spotcheck_db_pool_in_use", "Pool connections lent out to requests", registry=r
        )
        self.pool_max = Gauge("spotcheck_db_pool_max", "The pool's maximum size", registry=r)
        self.head = Gauge(
            "spotcheck_ledger_head_position", "Position of the last sealed event", registry=r
        )
        self.unsealed = Gauge(
            "spotcheck_ledger_unsealed_events", "Committed events not yet sealed", registry=r
        )
        self.sealer_lag = Gauge(
            "spotcheck_sealer_lag_seconds",
            "Age of the oldest committed event not yet sealed (0 when all are sealed)",
            registry=r,
        )
        self.sealer_leader = Gauge(
            "spotcheck_sealer_leader",
            "1 if this process's sealer holds the lock and seals, 0 if it stands by",
            registry=r,
        )
        self.checkpoint_size = Gauge(
            "spotcheck_checkpoint_tree_size",
            "Tree size of the latest signed checkpoint",
            registry=r,
        )
        self.checkpoint_age = Gauge(
            "spotcheck_checkpoint_age_seconds",
            "Since the latest checkpoint was signed (grows on a quiet day: alert on the lag)",
            registry=r,
        )
        self.checkpoint_lag = Gauge(
            "spotcheck_checkpoint_lag_seconds",
            "Since the oldest sealed entry no signed checkpoint covers was sealed (0 if none)",
            registry=r,
        )

    # Labels with bounded values ----------------------------------------------------------------

    def operation_label(self, path: str, name: str | None) -> str:
        if route_label(path) != "/graphql":
            return "none"
        if not name:
            return "anonymous"
        if not _OPERATION.fullmatch(name) or name == "invalid":
            return "invalid"
        if name not in self._operations:
            if len(self._operations) >= MAX_OPERATIONS:
                return "other"
            self._operations.add(name)
        return name

    def code_label(self, code: str) -> str:
        if not _CODE.fullmatch(code):
            return "OTHER"
        if code not in self._codes:
            if len(self._codes) >= MAX_CODES:
                return "OTHER"
            self._codes.add(code)
        return code

    # Observations -------------------------------------------------------------------------------

    def observe_request(
        self, path: str, operation: str | None, outcome: str, seconds: float, codes: list[str]
    ) -> None:
        labels = (route_label(path), self.operation_label(path, operation), outcome)
        self.requests.labels(*labels).inc()
        self.request_seconds.labels(*labels).observe(seconds)
        for code in codes:
            self.errors.labels(self.code_label(code)).inc()

    def observe_duration(self, what: str, seconds: float, outcome: str) -> None:
        """``CommandRunner.timed``'s sink: ``draw_execute`` or ``import:<registry>``."""
        if what == "draw_execute":
            self.draw_seconds.labels(outcome).observe(seconds)
        elif what.startswith("import:"):
            self.import_seconds.labels(what.removeprefix("import:"), outcome).observe(seconds)

    async def refresh(self, state: Any, timeout: float = SCRAPE_DB_TIMEOUT_S) -> None:
        """The scrape-time gauges, from the app's pool and sealer (``app.state``)."""
        pool: asyncpg.Pool | None = getattr(state, "pool", None)
        sealer = getattr(state, "sealer", None)
        self.sealer_leader.set(1 if sealer is not None and sealer.is_leader else 0)
        if pool is None:
            return
        size = pool.get_size()
        self.pool_size.set(size)
        self.pool_in_use.set(size - pool.get_idle_size())
        self.pool_max.set(pool.get_max_size())
        ledger = (self.head, self.unsealed, self.sealer_lag, self.checkpoint_size)
        try:
            async with asyncio.timeout(timeout):
                health = await ledger_health(pool)
        except Exception:  # the database is down, hangs or refuses: say so, keep nothing stale
            self.database_up.set(0)
            for gauge in (*ledger, self.checkpoint_age, self.checkpoint_lag):
                gauge.set(math.nan)
            return
        self.database_up.set(1)
        self.head.set(health.head_position)
        self.unsealed.set(health.unsealed)
        self.sealer_lag.set(health.sealer_lag_s)
        self.checkpoint_size.set(health.checkpoint_size)
        self.checkpoint_age.set(
            math.nan if health.checkpoint_age_s is None else health.checkpoint_age_s
        )
        self.checkpoint_lag.set(health.checkpoint_lag_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def metrics_app(main: Starlette) -> Starlette:
    """``GET /metrics`` for ``main``'s registry, pool and sealer: the app ``serve`` puts on the
    metrics port."""
    metrics: AppMetrics = main.state.metrics

    async def scrape(request: Request) -> Response:
        await metrics.refresh(main.state)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", scrape, methods=["GET"])])


class ByPort:
    """One uvicorn server, two listening sockets: a request that came in on ``metrics_port``
    goes to ``metrics``, any other to ``main`` (which alone gets the lifespan).  The port is
    the socket's own (``scope["server"]``), which no header can change."""

    def __init__(self, main: ASGIApp, metrics: ASGIApp, metrics_port: int) -> None:
        self.main = main
        self.metrics = metrics
        self.metrics_port = metrics_port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") if scope["type"] in ("http", "websocket") else None
        if server is not None and server[1] == self.metrics_port:
            await self.metrics(scope, receive, send)
        else:
            await self.main(scope, receive, send)
