"""A PostgreSQL for the tests: DATABASE_URL when set, else a fresh embedded cluster in /tmp,
run under libfaketime when it is installed so that tests can move its clock (tests/clock.py).

A migrated template database is made once per session; each test that asks for ``db`` gets a
fresh copy (CREATE DATABASE … TEMPLATE), so tests never see each other's events.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.migrate import migrate
from spotcheck.db.urls import APP_ROLE, app_url_from, with_database, with_user
from tests.clock import DbClock, faked_environment, libfaketime, process_offset

TEMPLATE = "spotcheck_test_template"


@dataclass
class Cluster:
    owner_url: str  # any database on the cluster, as a role that may create databases
    embedded: EmbeddedPostgres | None
    clock: DbClock | None = None
    clock_problem: str | None = None
    """Why the cluster's clock cannot be moved, when it cannot."""

    def owner(self, database: str) -> str:
        return with_database(self.owner_url, database)

    def app(self, database: str) -> str:
        url = self.owner(database)
        if self.embedded is not None:
            return with_user(url, APP_ROLE)
        return app_url_from(url)


def start_cluster() -> Cluster:
    url = os.environ.get("DATABASE_URL")
    if url:
        return Cluster(
            owner_url=url,
            embedded=None,
            clock_problem="the tests run on DATABASE_URL, whose clock they cannot move",
        )
    base = Path(tempfile.mkdtemp(prefix="spotcheck-test-"))
    base.chmod(0o755)  # our own folder: the server may run as another user (see embedded.py)
    pg = EmbeddedPostgres.prepare(base / "pg")
    lib, offset = libfaketime(), process_offset()
    if lib is None or offset is None:
        pg.start()
        problem = (
            "libfaketime is not installed (Debian package faketime; tests/run.py installs it)"
            if lib is None
            else "the tests run under a faketime start time: use tests/run.py (an offset)"
        )
        return Cluster(owner_url=pg.url(), embedded=pg, clock_problem=problem)
    clock = DbClock(base / "clock", offset)
    with faked_environment(lib, clock.path):
        pg.start()
    return Cluster(owner_url=pg.url(), embedded=pg, clock=clock)


async def make_template(cluster: Cluster) -> None:
    conn = await asyncpg.connect(cluster.owner("postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
    finally:
        await conn.close()
    migrate(cluster.owner(TEMPLATE))


async def fresh_database(cluster: Cluster) -> str:
    name = "t_" + uuid.uuid4().hex[:16]
    conn = await asyncpg.connect(cluster.owner("postgres"))
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await conn.close()
    return name


async def drop_database(cluster: Cluster, name: str) -> None:
    conn = await asyncpg.connect(cluster.owner("postgres"))
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()
