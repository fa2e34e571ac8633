"""``spotcheck backup``: one consistent snapshot of the database, the evidence files it records,
and a manifest.

Consistency.  A REPEATABLE READ transaction exports its snapshot (``pg_export_snapshot()``);
``pg_dump --snapshot`` dumps exactly that snapshot, and the manifest's facts (``now()``, ledger
head and chain hash, latest signed checkpoint, row counts, the evidence files recorded) are read
in the same transaction, which stays open until ``pg_dump`` has finished.  So the manifest
describes the dump, not a moment before or after it, while the server goes on writing.

The evidence files are the ones the snapshot's ``EvidenceUploaded`` events record (less those
collected since, ``EVIDENCE_KEPT``); each is copied from ``SPOTCHECK_HOME/evidence`` and hashed as
it is copied: a file that is missing or no longer hashes to its name fails the backup (naming it)
rather than leaving it out.

Everything is written to ``DIR.partial-<pid>`` and renamed to ``DIR`` once the manifest is
written: a folder named ``DIR`` is a finished backup.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from spotcheck import __version__
from spotcheck.backup import pgtools
from spotcheck.backup.manifest import (
    DUMP_DIR,
    EVIDENCE_DIR,
    MANIFEST,
    Manifest,
    copy_hashed,
    list_files,
)
from spotcheck.eventstore.canonical import GENESIS_HASH, format_instant
from spotcheck.evidence.storage import FilesystemEvidenceStorage
from spotcheck.transparency.log import latest_checkpoint


class BackupError(RuntimeError):
    """The backup could not be made; nothing is left at the destination."""


@dataclass(frozen=True)
class SnapshotFacts:
    created_at: str
    migration_version: str
    server_version: str
    server_major: int
    head_position: int
    chain_hash: str
    unsealed: int
    counts: dict[str, int]
    evidence: list[tuple[str, int]]


async def public_table_counts(conn: asyncpg.Connection) -> dict[str, int]:
    tables = await conn.fetch(
        "SELECT quote_ident(relname) AS q, relname FROM pg_class"
        " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')"
        " ORDER BY relname"
    )
    return {
        t["relname"]: int(await conn.fetchval(f"SELECT count(*) FROM public.{t['q']}"))
        for t in tables
    }


EVIDENCE_KEPT = """
SELECT sha256, size FROM (
  SELECT DISTINCT ON (stream_id) event_type, data->>'sha256' AS sha256,
         (data->>'size')::bigint AS size
    FROM events WHERE event_type IN ('EvidenceUploaded', 'EvidenceCollected')
   ORDER BY stream_id, stream_version DESC) last
 WHERE event_type = 'EvidenceUploaded' ORDER BY sha256
"""
"""The evidence files that exist: each file's latest event is an upload.  A file collected
because no result referenced it (EvidenceCollected) has no bytes left to copy, unless it was
uploaded again afterwards."""


async def read_facts(conn: asyncpg.Connection) -> SnapshotFacts:
    """The manifest's facts, in the caller's transaction (its snapshot)."""
    now = await conn.fetchval("SELECT now()")
    head = await conn.fetchrow(
        "SELECT position, chain_hash FROM ledger ORDER BY position DESC LIMIT 1"
    )
    head_position = 0 if head is None else int(head["position"])
    chain = GENESIS_HASH if head is None else bytes(head["chain_hash"])
    unsealed = await conn.fetchval(
        "SELECT count(*) FROM events e"
        " WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.seq = e.seq)"
    )
    evidence = await conn.fetch(EVIDENCE_KEPT)
    return SnapshotFacts(
        created_at=format_instant(now),
        migration_version=str(
            await conn.fetchval("SELECT coalesce(max(version), '') FROM schema_migrations")
        ),
        server_version=str(await conn.fetchval("SHOW server_version")),
        server_major=int(await conn.fetchval("SHOW server_version_num")) // 10000,
        head_position=head_position,
        chain_hash=chain.hex(),
        unsealed=int(unsealed),
        counts=await public_table_counts(conn),
        evidence=[(r["sha256"], int(r["size"])) for r in evidence],
    )


def copy_evidence(evidence_root: Path, files: list[tuple[str, int]], target: Path) -> None:
    """Copy each recorded evidence file, checking its SHA-256 and size as it is copied."""
    source = FilesystemEvidenceStorage(evidence_root)
    dest = FilesystemEvidenceStorage(target)
    for sha, size in files:
        src = source.path(sha)
        if not src.is_file():
            raise BackupError(
                f"evidence file {sha} is recorded in the ledger but missing from {src}"
            )
        digest, copied = copy_hashed(src, dest.path(sha))
        if digest != sha or copied != size:
            raise BackupError(
                f"evidence file {src} no longer holds what was recorded: SHA-256 {digest} "
                f"({copied} bytes), recorded {sha} ({size} bytes)"
            )


def _finish(staging: Path, out: Path, manifest: Manifest) -> None:
    """Write the manifest last, then give the folder its name."""
    with (staging / MANIFEST).open("wb") as f:
        f.write(manifest.to_json())
        f.flush()
        os.fsync(f.fileno())
    with contextlib.suppress(FileNotFoundError):
        out.rmdir()  # an empty folder the caller made
    staging.rename(out)


def _staging_for(out: Path) -> Path:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} exists and is not an empty folder; choose a new one")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f"{out.name}.partial-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    return staging


async def take_backup(owner_url: str, evidence_root: Path, out: Path) -> Manifest:
    """Dump the database at ``owner_url`` and its evidence files into the new folder ``out``."""
    staging = _staging_for(out)
    try:
        manifest = await _take(owner_url, evidence_root, staging)
        await asyncio.to_thread(_finish, staging, out, manifest)
        return manifest
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


async def _take(owner_url: str, evidence_root: Path, staging: Path) -> Manifest:
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
            facts = await read_facts(conn)
            checkpoint = await latest_checkpoint(conn)
            pg_dump = pgtools.find_tool("pg_dump", facts.server_major)
            # The exporting transaction stays open while pg_dump imports and reads the snapshot.
            await asyncio.to_thread(
                pgtools.run,
                pg_dump,
                owner_url,
                "--format=directory",
                f"--file={staging / DUMP_DIR}",
                f"--snapshot={snapshot}",
            )
    finally:
        await conn.close()
    await asyncio.to_thread(copy_evidence, evidence_root, facts.evidence, staging / EVIDENCE_DIR)
    files = await asyncio.to_thread(list_files, staging)
    return Manifest(
        created_at=facts.created_at,
        spotcheck_version=__version__,
        migration_version=facts.migration_version,
        server_version=facts.server_version,
        pg_dump=pg_dump.version,
        head_position=facts.head_position,
        chain_hash=facts.chain_hash,
        unsealed=facts.unsealed,
        checkpoint=checkpoint,
        counts=facts.counts,
        evidence=facts.evidence,
        files=files,
    )
