"""The event tables refuse change, for the server's role and (by trigger) for their owner."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest

from spotcheck.eventstore import NO_STREAM, EventStore, Metadata, NewEvent
from spotcheck.eventstore.sealer import Sealer
from spotcheck.eventstore.verify import verify_ledger

CHANGES = [
    "UPDATE {t} SET {col} = {col}",
    "DELETE FROM {t}",
    "TRUNCATE {t}",
]
COLUMN = {"events": "event_type", "ledger": "sealed_at"}


async def sealed_events(store: EventStore, sealer: Sealer, n: int) -> None:
    for i in range(n):
        await store.append(f"s{i}", NO_STREAM, [NewEvent("ThingHappened", {"i": i}, Metadata())])
    await sealer.wait_sealed(n)


@pytest.mark.parametrize("table", ["events", "ledger"])
@pytest.mark.parametrize("sql", CHANGES)
async def test_server_role_cannot_change(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection, table: str, sql: str
) -> None:
    await sealed_events(store, sealer, 2)
    async with store.pool.acquire() as conn:
        assert await conn.fetchval("SELECT current_user") == "spotcheck_app"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(sql.format(t=table, col=COLUMN[table]))
    # The owner is stopped by the triggers.
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await owner_conn.execute(sql.format(t=table, col=COLUMN[table]))
    assert await owner_conn.fetchval(f"SELECT count(*) FROM {table}") == 2


async def test_server_role_owns_nothing(owner_conn: asyncpg.Connection) -> None:
    owners = await owner_conn.fetch(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
    )
    assert owners and all(r["tableowner"] != "spotcheck_app" for r in owners)
    privs = await owner_conn.fetch(
        """SELECT table_name, privilege_type FROM information_schema.role_table_grants
            WHERE grantee = 'spotcheck_app' AND table_name IN ('events', 'ledger')"""
    )
    assert {(r["table_name"], r["privilege_type"]) for r in privs} == {
        ("events", "SELECT"),
        ("events", "INSERT"),
        ("ledger", "SELECT"),
        ("ledger", "INSERT"),
    }


async def tamper(owner: asyncpg.Connection, sql: str, *args: object) -> None:
    await owner.execute("ALTER TABLE events DISABLE TRIGGER USER")
    await owner.execute("ALTER TABLE ledger DISABLE TRIGGER USER")
    try:
        await owner.execute(sql, *args)
    finally:
        await owner.execute("ALTER TABLE events ENABLE TRIGGER USER")
        await owner.execute("ALTER TABLE ledger ENABLE TRIGGER USER")


def cli_verify(owner_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": owner_url}
    return subprocess.run(
        [sys.executable, "-m", "spotcheck.cli.main", "ledger", "verify"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


async def test_verify_passes_then_catches_a_tampered_event(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection, db: object
) -> None:
    await sealed_events(store, sealer, 5)
    ok = cli_verify(db.owner_url)  # type: ignore[attr-defined]
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("ledger OK: 5 events sealed")
    await tamper(
        owner_conn,
        """UPDATE events SET data = '{"i": 99}'
            WHERE seq = (SELECT seq FROM ledger WHERE position = 3)""",
    )
    report = await verify_ledger(owner_conn)
    assert not report.ok and report.first_bad_position == 3
    bad = cli_verify(db.owner_url)  # type: ignore[attr-defined]
    assert bad.returncode == 1
    assert "BROKEN at position 3" in bad.stdout
    assert len(bad.stdout.strip().splitlines()) == 1


async def test_verify_catches_deleted_ledger_row_and_swapped_events(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    await sealed_events(store, sealer, 6)
    await tamper(
        owner_conn,
        """UPDATE events e SET data = o.data FROM events o
            WHERE (e.seq, o.seq) IN (SELECT a.seq, b.seq FROM ledger a, ledger b
                                      WHERE (a.position, b.position) IN ((2, 4), (4, 2)))""",
    )
    report = await verify_ledger(owner_conn)
    assert not report.ok and report.first_bad_position == 2
    await tamper(owner_conn, "DELETE FROM ledger WHERE position = 1")
    report = await verify_ledger(owner_conn)
    assert not report.ok and report.first_bad_position == 1


async def test_verify_catches_an_unsealed_event_below_the_head(
    store: EventStore, sealer: Sealer, owner_conn: asyncpg.Connection
) -> None:
    await sealed_events(store, sealer, 4)
    await tamper(owner_conn, "DELETE FROM ledger WHERE position = 4")
    await tamper(
        owner_conn,
        "UPDATE ledger SET position = 3, chain_hash = chain_hash WHERE position = 3",
    )
    # Remove position 2 and renumber: seq of position 2 is now never sealed.
    rows = await owner_conn.fetch(
        "SELECT position, seq, content_hash FROM ledger ORDER BY position"
    )
    from spotcheck.eventstore.canonical import GENESIS_HASH, chain_hash

    await tamper(owner_conn, "DELETE FROM ledger")
    prev = GENESIS_HASH
    for new_pos, r in enumerate([rows[0], rows[2]], start=1):
        prev = chain_hash(prev, bytes(r["content_hash"]))
        await tamper(
            owner_conn,
            "INSERT INTO ledger (position, seq, content_hash, chain_hash) VALUES ($1, $2, $3, $4)",
            new_pos,
            r["seq"],
            r["content_hash"],
            prev,
        )
    report = await verify_ledger(owner_conn)
    assert not report.ok
    assert report.first_bad_position == 2
    assert "never sealed" in (report.problem or "")
