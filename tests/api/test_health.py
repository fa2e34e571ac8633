"""``/healthz`` and ``/readyz`` through the real app, and the refusal of a database migrated
past the code (in ``migrate``, so ``serve`` refuses to start: tested with a real process)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.db.migrate import (
    SchemaNewerThanCode,
    check_not_newer,
    shipped_versions,
    unknown_versions,
)
from spotcheck.db.pool import connect
from spotcheck.eventstore.sealer import Sealer, read_head
from spotcheck.observe.health import ReadyThresholds
from tests.api.conftest import TOKENS
from tests.conftest import Db

NEWER = "29991231000000"
ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def served(
    db: Db, ready: ReadyThresholds, *, run_sealer: bool = True
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(db.app_url, tokens=TOKENS, ready=ready, run_sealer=run_sealer)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield app, client


async def ready(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    r = await client.get("/readyz")
    body: dict[str, Any] = r.json()
    return r.status_code, body


async def test_ready_names_every_check(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    status, body = await ready(client)
    assert status == 200, body
    assert body["status"] == "ready" and body["failing"] == []
    checks = body["checks"]
    assert set(checks) == {"database", "migrations", "sealer", "checkpoint"}
    assert all(c["ok"] is True for c in checks.values())
    assert checks["migrations"]["version"] == max(shipped_versions())
    assert checks["sealer"]["role"] in ("leader", "standby")
    assert checks["sealer"]["unsealed"] == 0


class SilentServer:
    """Accepts TCP connections and never answers: a database that hangs."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> int:
        async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.append(writer)

        self.server = await asyncio.start_server(hold, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        for w in self.writers:
            w.close()
        self.server.close()


async def test_a_database_that_hangs_or_is_gone_fails_readiness_fast(db: Db) -> None:
    async with served(db, ReadyThresholds(database_timeout_s=0.5)) as (app, client):
        real = app.state.pool
        async with SilentServer() as port:
            for url in (
                f"postgresql://nobody@127.0.0.1:{port}/nothing",  # accepts, never answers
                "postgresql://nobody@127.0.0.1:1/nothing",  # connection refused
            ):
                app.state.pool = await asyncpg.create_pool(url, min_size=0, timeout=30)
                try:
                    started = time.monotonic()
                    status, body = await ready(client)
                    assert time.monotonic() - started < 2.0
                    assert status == 503
                    assert body["status"] == "unavailable"
                    assert body["failing"] == ["database"]
                    assert body["checks"]["database"]["ok"] is False
                    assert "did not answer" in body["checks"]["database"]["reason"]
                    assert body["checks"]["sealer"]["ok"] is None  # not checked
                    # The process itself is alive: /healthz never asks the database.
                    assert (await client.get("/healthz")).status_code == 200
                finally:
                    app.state.pool.terminate()
                    app.state.pool = real
        assert (await ready(client))[0] == 200


async def test_migrations_must_match_the_code(db: Db) -> None:
    newest = max(shipped_versions())
    owner = await connect(db.owner_url)
    try:
        async with served(db, ReadyThresholds()) as (_, client):
            await owner.execute("DELETE FROM schema_migrations WHERE version = $1", newest)
            status, body = await ready(client)
            assert (status, body["failing"]) == (503, ["migrations"])
            assert body["checks"]["migrations"]["pending"] == [newest]
            assert "not applied yet" in body["checks"]["migrations"]["reason"]

            await owner.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1), ($2)", newest, NEWER
            )
            status, body = await ready(client)
            assert (status, body["failing"]) == (503, ["migrations"])
            assert body["checks"]["migrations"]["unknown"] == [NEWER]
            assert "newer spotcheck" in body["checks"]["migrations"]["reason"]
    finally:
        await owner.close()

    assert await unknown_versions(db.owner_url) == [NEWER]
    with pytest.raises(SchemaNewerThanCode) as refused:
        check_not_newer(db.owner_url)  # what migrate(), and so every command, runs first
    assert NEWER in str(refused.value)


async def test_serve_refuses_a_database_migrated_by_newer_code(db: Db, tmp_path: Path) -> None:
    owner = await connect(db.owner_url)
    try:
        await owner.execute("INSERT INTO schema_migrations (version) VALUES ($1)", NEWER)
        before = await owner.fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        await owner.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SPOTCHECK_")},
        "DATABASE_URL": db.owner_url,
        "SPOTCHECK_APP_DATABASE_URL": db.app_url,
        "SPOTCHECK_HOME": str(tmp_path / "home"),
        "SPOTCHECK_PORT": "0",
        "PYTHONPATH": str(ROOT / "src"),
    }
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "spotcheck.cli.main", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "cannot start" in done.stderr
    assert f"migration {NEWER}" in done.stderr
    assert "newer spotcheck" in done.stderr
    owner = await connect(db.owner_url)
    try:  # nothing was applied or undone
        assert await owner.fetchval("SELECT count(*) FROM schema_migrations") == before
    finally:
        await owner.close()


async def _insert_event(conn: asyncpg.Connection, minutes_ago: int) -> None:
    await conn.execute(
        "INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version,"
        " data, metadata, recorded_at)"
        " VALUES ($1, 'thing-1', 1, 'ThingHappened', 1, '{}', '{}',"
        "         now() - make_interval(mins => $2))",
        uuid.uuid4(),
        minutes_ago,
    )


async def test_sealer_lag_and_unsigned_entries_fail_readiness(db: Db) -> None:
    thresholds = ReadyThresholds(max_sealer_lag_s=60, max_checkpoint_lag_s=60)
    owner = await connect(db.owner_url)
    try:
        async with served(db, thresholds, run_sealer=False) as (_, client):
            await _insert_event(owner, minutes_ago=10)  # committed, and no sealer runs
            status, body = await ready(client)
            assert (status, body["failing"]) == (503, ["sealer"]), body
            sealer = body["checks"]["sealer"]
            assert sealer["unsealed"] == 1 and sealer["lagSeconds"] >= 600
            assert "over 60 s" in sealer["reason"]

            # Sealed now: the sealer is fine, and the entry waits for a checkpoint.
            conn = await connect(db.app_url)
            try:
                s = Sealer(db.app_url)
                s.head = await read_head(conn)
                assert await s.seal_once(conn) == 1
            finally:
                await conn.close()
            assert (await ready(client))[0] == 200
        async with served(db, ReadyThresholds(max_checkpoint_lag_s=0.05), run_sealer=False) as (
            _,
            client,
        ):
            await asyncio.sleep(0.1)
            status, body = await ready(client)
            assert (status, body["failing"]) == (503, ["checkpoint"]), body
            checkpoint = body["checks"]["checkpoint"]
            assert checkpoint["treeSize"] == 0 and checkpoint["ageSeconds"] is None
            assert checkpoint["lagSeconds"] >= 0.05
    finally:
        await owner.close()


def test_thresholds_from_the_environment() -> None:
    t = ReadyThresholds.from_env(
        {
            "SPOTCHECK_READY_MAX_SEALER_LAG_S": "30",
            "SPOTCHECK_READY_MAX_CHECKPOINT_LAG_S": "90.5",
            "SPOTCHECK_READY_DB_TIMEOUT_S": "1",
        }
    )
    assert t == ReadyThresholds(30, 90.5, 1)
    assert ReadyThresholds.from_env({}) == ReadyThresholds(60, 60, 2)
    for bad in ("soon", "0", "-1"):
        with pytest.raises(ValueError, match="SPOTCHECK_READY_MAX_SEALER_LAG_S"):
            ReadyThresholds.from_env({"SPOTCHECK_READY_MAX_SEALER_LAG_S": bad})
