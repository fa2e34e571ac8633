"""What the benchmarks share: a scratch database, the machine's facts, JSON output."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.migrate import migrate
from spotcheck.db.urls import APP_ROLE, app_url_from, with_database, with_user

Results = dict[str, Any]


def logger(bench: str) -> Callable[[str], None]:
    """Progress of ``spotcheck bench {bench}`` on stderr (stdout is kept for ``--json``)."""

    def log(message: str) -> None:
        print(f"[bench {bench}] {message}", file=sys.stderr, flush=True)

    return log


@dataclass(frozen=True)
class Target:
    """A migrated database: the owner's URL and the server role's (spotcheck_app) URL."""

    owner_url: str
    app_url: str


def nproc() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


async def machine_facts(conn: asyncpg.Connection) -> Results:
    return {
        "nproc": nproc(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgres_server_version": await conn.fetchval("SHOW server_version"),
        "postgres_synchronous_commit": await conn.fetchval("SHOW synchronous_commit"),
        "postgres_fsync": await conn.fetchval("SHOW fsync"),
    }


async def _drop_database(server_url: str, name: str) -> None:
    conn = await asyncpg.connect(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()


def _embedded_cluster(log: Callable[[str], None]) -> tuple[Path, EmbeddedPostgres]:
    base = Path(tempfile.mkdtemp(prefix="spotcheck-bench-"))
    base.chmod(0o755)  # our own folder: the server may run as another user (see embedded.py)
    log(f"embedded PostgreSQL in {base}")
    return base, EmbeddedPostgres.prepare(base / "pg")


@asynccontextmanager
async def provisioned_database(
    log: Callable[[str], None],
) -> AsyncIterator[tuple[Target, str]]:
    """A fresh migrated database on DATABASE_URL's server, else on a throwaway embedded one."""
    name = f"spotcheck_bench_{uuid.uuid4().hex[:12]}"
    url = os.environ.get("DATABASE_URL")
    if url:
        owner = with_database(url, name)
        log(f"scratch database {name} on the DATABASE_URL server")
        try:
            await asyncio.to_thread(migrate, owner)
            yield Target(owner, app_url_from(owner)), "DATABASE_URL (scratch database)"
        finally:
            await _drop_database(url, name)
        return
    base, pg = await asyncio.to_thread(_embedded_cluster, log)
    try:
        await asyncio.to_thread(pg.start)
        owner = with_database(pg.url(), name)
        await asyncio.to_thread(migrate, owner)
        yield Target(owner, with_user(owner, APP_ROLE)), "embedded (throwaway cluster)"
    finally:
        await asyncio.to_thread(pg.stop)
        shutil.rmtree(base, ignore_errors=True)


def to_json(results: Results) -> str:
    return orjson.dumps(results, option=orjson.OPT_INDENT_2).decode()


def ratio(ours: float, theirs: float | None) -> float | None:
    return round(ours / theirs, 3) if theirs else None
