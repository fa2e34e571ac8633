from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import pytest

from spotcheck.db.pool import connect, create_pool
from spotcheck.eventstore import EventStore, EventTypeRegistry
from spotcheck.eventstore.sealer import Sealer
from tests.clock import DbClock
from tests.dbutil import Cluster, drop_database, fresh_database, make_template, start_cluster

pytest_plugins = ["tests.watchdog"]

# Rate limits stay off in the tests (a test that needs one builds it: test_http_edge.py), also
# for the servers they start as subprocesses.
os.environ.setdefault("SPOTCHECK_RATE_LIMIT", "off")


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    c = start_cluster()
    asyncio.run(make_template(c))
    yield c
    if c.embedded is not None:
        c.embedded.stop()


@dataclass
class Db:
    name: str
    owner_url: str
    app_url: str


@pytest.fixture
async def db(cluster: Cluster) -> AsyncIterator[Db]:
    name = await fresh_database(cluster)
    yield Db(name, cluster.owner(name), cluster.app(name))
    await drop_database(cluster, name)


@pytest.fixture
def db_clock(cluster: Cluster) -> Iterator[DbClock]:
    """The database's clock, to move with ``travel_to``; put back after the test."""
    if cluster.clock is None:
        assert cluster.clock_problem is not None
        if cluster.embedded is None:
            pytest.skip(cluster.clock_problem)
        pytest.fail(f"this test moves the database clock, but {cluster.clock_problem}")
    yield cluster.clock
    cluster.clock.reset()


def make_registry() -> EventTypeRegistry:
    reg = EventTypeRegistry()
    for t in ("ThingHappened", "ThingChanged", "CounterIncremented"):
        reg.register(t)
    reg.register("ThingRenamed", 2)
    return reg


@pytest.fixture
async def pool(db: Db) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db.app_url, min_size=2, max_size=60)
    yield p
    await p.close()


@pytest.fixture
async def store(pool: asyncpg.Pool) -> EventStore:
    return EventStore(pool, make_registry())


@pytest.fixture
async def owner_conn(db: Db) -> AsyncIterator[asyncpg.Connection]:
    conn = await connect(db.owner_url)
    yield conn
    await conn.close()


@pytest.fixture
async def sealer(db: Db, store: EventStore) -> AsyncIterator[Sealer]:
    s = Sealer(db.app_url, poll_interval=0.02)
    s.follow(store)
    task = asyncio.create_task(s.run())
    yield s
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
