"""Read replicas (PostgreSQL streaming replication) and read-your-writes across them.

``SPOTCHECK_REPLICA_URLS`` (comma-separated, each as the server's role ``spotcheck_app``, which a
physical standby has like every role of its primary): a GraphQL **query** runs on a replica;
mutations, batches, subscriptions, the account lookup that signs a caller in, the sealer, the
checkpointer and every other route stay on the primary.

The position.  Every mutation's response carries ``X-Spotcheck-Position``: the primary's WAL
position (``pg_current_wal_lsn()``, as PostgreSQL writes it, ``16/B374D848``) read after the
mutation committed.  Its commit record ends at or before that position, so a standby whose
``pg_last_wal_replay_lsn()`` has reached it shows the mutation to every new snapshot.  Why not
the ledger position: the sealer assigns that after the commit, asynchronously, so it is not
known when the mutation answers, and a reader's read tables are written in the mutation's own
transaction anyway.  A client that sends the highest position it was given back as
``X-Spotcheck-Min-Position`` reads its own writes: the query waits until a replica has replayed
that far, at most ``SPOTCHECK_REPLICA_MAX_WAIT_MS`` (default 200 ms), then runs on the primary.
Without the header a query is served by any replica that answers, however far behind.

A query a replica could not answer is run again on the primary, once, before anything is sent:
cancelled by a recovery conflict (replay had to remove row versions or take a lock the query
held: SQLSTATE 40001 or 40P01, "conflict with recovery"), or cut off because the replica went
away (the replica is then skipped as below).  A query only reads, so running it twice writes
nothing; ``Replicas.retried_on_primary`` counts these.

A replica that fails to answer (down, refusing, not a standby any more) is skipped for
``DOWN_SECONDS``; its state is read again at most every ``RECHECK_SECONDS`` (one small query),
and each time a waiting query polls it (every ``POLL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import asyncpg
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spotcheck.api.http import error_response
from spotcheck.db.availability import database_unavailable
from spotcheck.db.pool import create_pool

if TYPE_CHECKING:
    from spotcheck.api.context import Context

log = logging.getLogger(__name__)

REPLICA_URLS_ENV = "SPOTCHECK_REPLICA_URLS"
MAX_WAIT_ENV = "SPOTCHECK_REPLICA_MAX_WAIT_MS"
DEFAULT_MAX_WAIT_MS = 200
POSITION_HEADER = "X-Spotcheck-Position"
MIN_POSITION_HEADER = "X-Spotcheck-Min-Position"

RECHECK_SECONDS = 1.0
CHECK_SECONDS = 0.1
"""The least time given to a replica to say how far it has replayed (also with a wait of 0)."""
DOWN_SECONDS = 1.0
POLL_SECONDS = 0.002
POOL_MAX = 20

_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")
_REPLAYED = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"
_CURRENT = "SELECT pg_current_wal_lsn()::text"
_CONFLICT_SQLSTATES = frozenset({"40001", "40P01"})
"""What a standby's recovery conflict raises: serialization_failure (snapshot, lock, buffer pin,
tablespace) or deadlock_detected (a buffer-pin deadlock with the startup process)."""


def parse_position(text: str) -> int | None:
    """``16/B374D848`` as a number (bytes of WAL); None if it is not a WAL position."""
    m = _LSN.fullmatch(text.strip())
    return None if m is None else (int(m[1], 16) << 32) | int(m[2], 16)


def format_position(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


def recovery_conflict(exc: BaseException | None) -> bool:
    """True when ``exc``, or an exception it was raised from, is a standby cancelling a query
    (or its session) because replay conflicted with it."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, asyncpg.PostgresError) and exc.sqlstate in _CONFLICT_SQLSTATES:
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def replica_failure(errors: Sequence[BaseException | None]) -> BaseException | None:
    """Among a query's errors (their original exceptions), the first one the primary would not
    meet: a recovery conflict or the replica unavailable; None when there is none."""
    return next(
        (e for e in errors if e is not None and (recovery_conflict(e) or database_unavailable(e))),
        None,
    )


def replica_urls_from_env(env: Mapping[str, str] = os.environ) -> list[str]:
    return [u.strip() for u in env.get(REPLICA_URLS_ENV, "").split(",") if u.strip()]


def max_wait_from_env(env: Mapping[str, str] = os.environ) -> float:
    """Seconds a query with a minimum position waits for a replica (0 to 10,000 ms)."""
    raw = env.get(MAX_WAIT_ENV, "").strip() or str(DEFAULT_MAX_WAIT_MS)
    if not raw.isdigit() or int(raw) > 10_000:
        raise ValueError(f"{MAX_WAIT_ENV} must be a whole number of milliseconds, 0 to 10000")
    return int(raw) / 1000


@dataclass(eq=False)
class Replica:
    url: str
    pool: asyncpg.Pool
    replayed: int | None = None
    """The WAL position last seen replayed (None: not read yet, or not a standby)."""
    checked_at: float = float("-inf")
    down_until: float = float("-inf")
    reads: int = 0
    """Queries routed here (tests and ``bench scale`` read it)."""


class Replicas:
    """The replica pools of one server process, and the choice of one for a query."""

    def __init__(self, urls: list[str], max_wait: float) -> None:
        self.urls = urls
        self.max_wait = max_wait
        self.replicas: list[Replica] = []
        self.primary_fallbacks = 0
        """Queries that asked for a replica and ran on the primary (none caught up, or down)."""
        self.retried_on_primary = 0
        """Queries a replica started and could not finish (recovery conflict, replica gone),
        then answered by the primary."""
        self._turn = itertools.count()

    async def open(self) -> None:
        # min_size 0: no connection at start, so a replica that is down does not stop the
        # server; the first query connects (bounded by the wait, then the primary answers).
        for url in self.urls:
            self.replicas.append(
                Replica(url, await create_pool(url, min_size=0, max_size=POOL_MAX))
            )

    async def close(self) -> None:
        for r in self.replicas:
            await r.pool.close()

    def mark_down(self, replica: Replica, why: object) -> None:
        loop = asyncio.get_running_loop()
        replica.down_until = loop.time() + DOWN_SECONDS
        replica.replayed = None
        log.warning("replica skipped for %s s: %s", DOWN_SECONDS, why)

    def failed(self, replica: Replica, exc: BaseException) -> None:
        """``replica`` could not finish a query because of ``exc``; it runs on the primary."""
        self.retried_on_primary += 1
        if database_unavailable(exc):
            self.mark_down(replica, repr(exc))
        else:
            log.warning(
                "a query on replica %s was cancelled (%r); the primary answers", replica.url, exc
            )

    async def choose(self, min_position: int | None) -> Replica | None:
        """A replica that has replayed ``min_position`` (any replica that answers when None),
        waiting at most ``max_wait``; None: run on the primary."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.max_wait
        check_deadline = max(deadline, loop.time() + CHECK_SECONDS)
        start = next(self._turn) % len(self.replicas)
        order = self.replicas[start:] + self.replicas[:start]
        while True:
            candidates = [r for r in order if r.down_until <= loop.time()]
            for r in candidates:
                caught_up = r.replayed is not None and (
                    r.replayed >= min_position
                    if min_position is not None
                    else loop.time() - r.checked_at < RECHECK_SECONDS
                )
                if not caught_up and await self._read(r, check_deadline):
                    assert r.replayed is not None
                    caught_up = min_position is None or r.replayed >= min_position
                if caught_up:
                    r.reads += 1
                    return r
            if not candidates or loop.time() + POLL_SECONDS >= deadline:
                self.primary_fallbacks += 1
                return None
            await asyncio.sleep(POLL_SECONDS)

    async def _read(self, r: Replica, deadline: float) -> bool:
        """Read the replica's replay position before ``deadline``; False if it cannot say."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(deadline):
                value = await r.pool.fetchval(_REPLAYED)
        except TimeoutError:
            if r.replayed is None:  # never answered within a whole wait: skip it a while
                self.mark_down(r, f"no answer within {self.max_wait:g} s")
            return False
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self.mark_down(r, repr(exc))
            return False
        if value is None:
            self.mark_down(r, "it is not a standby (pg_last_wal_replay_lsn() is null)")
            return False
        r.replayed = max(int(value), r.replayed or 0)
        r.checked_at = loop.time()
        return True


async def read_context(request: Request, kind: str | None, context: Context) -> Context:
    """The context to execute an operation of ``kind`` (``query``, ``mutation``, …) with: for
    a query, on a replica when one is configured and has caught up with
    ``X-Spotcheck-Min-Position``; else ``context`` as it is (the primary)."""
    request.state.graphql_operation = kind
    replicas: Replicas | None = getattr(request.app.state, "replicas", None)
    if kind != "query" or replicas is None or not replicas.replicas:
        return context
    chosen = await replicas.choose(getattr(request.state, "min_position", None))
    if chosen is None:
        return context
    request.state.replica = chosen
    return dataclasses.replace(context, pool=chosen.pool)


def on_replica(request: Request) -> Replica | None:
    """The replica ``read_context`` chose for this request's query, if any."""
    found: Replica | None = getattr(request.state, "replica", None)
    return found


def replica_failed(request: Request, exc: BaseException) -> None:
    """The replica chosen for this request could not finish its query: note it (skipping the
    replica if it went away) so that the query runs again on the primary."""
    replica = on_replica(request)
    assert replica is not None
    request.state.replica = None
    request.app.state.replicas.failed(replica, exc)


class ReadYourWrites:
    """Around ``/graphql``: reads ``X-Spotcheck-Min-Position`` (400 if it is not a WAL
    position), and adds ``X-Spotcheck-Position`` to a mutation's response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        raw = request.headers.get(MIN_POSITION_HEADER)
        position = None if raw is None else parse_position(raw)
        if raw is not None and position is None:
            response = error_response(
                400,
                f"{MIN_POSITION_HEADER} must be a position from {POSITION_HEADER} "
                "(like 16/B374D848)",
                code="BAD_REQUEST",
                field=MIN_POSITION_HEADER,
            )
            await response(scope, receive, send)
            return
        request.state.min_position = position

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state", {})
                replica = state.get("replica")
                if replica is not None and message["status"] == 503:
                    replicas = request.app.state.replicas
                    replicas.mark_down(replica, "a query on it found the database unavailable")
                if state.get("graphql_operation") == "mutation" and message["status"] == 200:
                    # The mutation has committed and its answer is decided: whatever reading the
                    # position meets (the crash drill met asyncpg's InternalClientError on a
                    # connection cut off by a killed postmaster) drops the header, never the
                    # answer: a 500 here would tell the client a committed write failed.
                    try:
                        lsn = await request.app.state.pool.fetchval(_CURRENT)
                    except Exception as exc:
                        log.warning("no %s: cannot read the WAL position: %r", POSITION_HEADER, exc)
                    else:
                        MutableHeaders(scope=message)[POSITION_HEADER] = lsn
            await send(message)

        await self.app(scope, receive, send_with_position)
