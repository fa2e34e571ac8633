"""A small world for the audit tests: people, a registry, an executed draw with a replaced
inspector, all sealed and signed; the app running, its key in a file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.eventstore.canonical import chain_hash
from spotcheck.eventstore.ledger import ledger_status, read_ledger
from spotcheck.eventstore.verify import row_content_hash
from spotcheck.merkle.note import Checkpoint
from spotcheck.services import draws
from spotcheck.transparency.checkpointer import Checkpointer
from tests.api import fixtures_registry as reg
from tests.api.conftest import SEED, TOKENS, seed_people
from tests.conftest import Db
from tests.merkle import rfc6962 as ref

KEY = Ed25519PrivateKey.from_private_bytes(b"w" * 32)


@dataclass
class World:
    app: Starlette
    client: httpx.AsyncClient
    db: Db
    tmp: Path
    key_file: Path
    checkpoint: Checkpoint
    leaves: list[bytes]
    """Leaf hashes of the ledger as signed."""


async def sign_all(app: Starlette) -> Checkpoint:
    pool = app.state.pool
    status = await ledger_status(pool)
    await app.state.sealer.wait_sealed(status.head_position + status.unsealed_count)
    async with pool.acquire() as conn:
        await app.state.checkpointer.checkpoint_now(conn)
    latest = app.state.checkpointer.latest
    assert latest is not None and latest.tree_size == (await ledger_status(pool)).head_position
    return latest


@pytest.fixture
async def world(db: Db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    monkeypatch.setenv("DATABASE_URL", db.owner_url)
    monkeypatch.setenv("SPOTCHECK_APP_DATABASE_URL", db.app_url)
    monkeypatch.setenv("SPOTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SPOTCHECK_ENV", raising=False)

    async def idle(self: Checkpointer) -> None:
        await asyncio.Event().wait()

    # Only the test signs (checkpoint_now), so that what is signed does not depend on timing.
    monkeypatch.setattr(Checkpointer, "run", idle)
    app = create_app(db.app_url, tokens=TOKENS, log_key=KEY)
    async with app.router.lifespan_context(app):
        await seed_people(app.state.runner)
        await reg.seed_planted(app)
        await reg.seed_planted_draw(app)
        lead = await app.state.pool.fetchval(
            "SELECT lead FROM inspections WHERE id = $1", reg.PLANTED_DRAW_INSPECTION
        )
        command = draws.replace_command(reg.PLANTED_DRAW_INSPECTION, lead, "回避")
        assert (await draws.replace(app.state.runner, SEED, command)).events
        checkpoint = await sign_all(app)
        events = await read_ledger(app.state.pool, 0, 10_000)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            key_file = tmp_path / "log-key.pem"
            key_file.write_text((await client.get("/.well-known/spotcheck-log-key")).text)
            yield World(
                app=app,
                client=client,
                db=db,
                tmp=tmp_path,
                key_file=key_file,
                checkpoint=checkpoint,
                leaves=[ref.leaf(e.content_hash) for e in events],
            )


LEDGER_ROW = """
SELECT l.position, e.event_id, e.stream_id, e.stream_version, e.event_type, e.schema_version,
       e.data::text AS data, e.metadata::text AS metadata, e.recorded_at, e.seq
  FROM ledger l JOIN events e ON e.seq = l.seq WHERE l.position = $1
"""
"""The event at a ledger position, as ``row_content_hash`` reads it."""


async def rewrite_chain(db: Db, seq: int, position: int, head: int) -> None:
    """As the database superuser: alter the display name in event ``seq`` (sealed at
    ``position``) and recompute every content and chain hash from there to ``head``, so that
    ``ledger verify`` passes and only the signed Merkle root tells."""
    conn = await asyncpg.connect(db.owner_url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(
                "UPDATE events SET data = jsonb_set(data, '{display_name}', '\"篡改\"')"
                " WHERE seq = $1",
                seq,
            )
            previous = await conn.fetchval(
                "SELECT chain_hash FROM ledger WHERE position = $1", position - 1
            )
            for p in range(position, head + 1):
                content = row_content_hash(await conn.fetchrow(LEDGER_ROW, p))
                previous = chain_hash(bytes(previous), content)
                await conn.execute(
                    "UPDATE ledger SET content_hash = $2, chain_hash = $3 WHERE position = $1",
                    p,
                    content,
                    previous,
                )
    finally:
        await conn.close()


async def as_attacker(db: Db, *statements: str) -> None:
    """Run statements as the database superuser with the append-only triggers off."""
    conn = await asyncpg.connect(db.owner_url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            for sql in statements:
                await conn.execute(sql)
    finally:
        await conn.close()
