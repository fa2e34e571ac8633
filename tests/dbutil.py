"""A PostgreSQL for the tests: DATABASE_URL when set, else a fresh embedded cluster in /tmp.

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

TEMPLATE = "spotcheck_test_template"


@dataclass
class Cluster:
    owner_url: str  # any database on the cluster, as a role that may create databases
    embedded: EmbeddedPostgres | None

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
        return Cluster(owner_url=url, embedded=None)
    base = Path(tempfile.mkdtemp(prefix="spotcheck-test-"))
    base.chmod(0o755)  # our own folder: the server may run as another user (see embedded.py)
    pg = EmbeddedPostgres.prepare(base / "pg")
    pg.start()
    return Cluster(owner_url=pg.url(), embedded=pg)


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
