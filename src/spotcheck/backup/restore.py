"""``spotcheck restore``: load a backup into an empty target, prove it, and only then keep it.

Order (each step must pass before the next; docs/operations.md says why):

1. the manifest: every file of the backup is there with its SHA-256, nothing else is; the
   backup's migrations are not newer than this code's;
2. the target is empty (an embedded home without a database; a ``DATABASE_URL`` database
   without tables or functions);
3. ``pg_restore --single-transaction --exit-on-error --no-owner``: all of the dump or nothing;
4. ``spotcheck ledger verify`` on what was loaded (each content hash from its event, the chain);
5. the latest signed checkpoint is the manifest's, its signature verifies with the log's public
   key, and the ledger extends it (:mod:`spotcheck.transparency.extends`: the root recomputed,
   every stored subtree compared, the consistency proof to the head);
6. the ledger head, chain hash and every table's row count are the manifest's;
7. pending migrations (a backup from older code), then every projection rebuilt from the ledger;
8. the evidence files copied into ``SPOTCHECK_HOME/evidence``, each hashed as it is copied.

What a refusal leaves.  Embedded: the restore runs in ``SPOTCHECK_HOME/pgdata.restoring`` and
becomes ``pgdata`` only once everything passed; a refused one is stopped and renamed
``pgdata.refused-<time>`` (kept for inspection; no command starts it), so the home still has no
database.  ``DATABASE_URL``: the loaded objects are dropped (``DROP SCHEMA … CASCADE``, then an
empty ``public`` schema as PostgreSQL makes it), so the database is empty again: a database a
server can connect to must not hold data refused as altered.  Evidence files are copied only
after every check passed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from spotcheck.backup import pgtools
from spotcheck.backup.manifest import (
    DUMP_DIR,
    EVIDENCE_DIR,
    Manifest,
    ManifestError,
    check_files,
    copy_hashed,
    sha256_file,
)
from spotcheck.backup.snapshot import public_table_counts
from spotcheck.config import Settings
from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.migrate import migrate, migrations_dir
from spotcheck.db.pool import connect
from spotcheck.db.resolve import EMBEDDED_DATABASE, HomeInUse, _own_home
from spotcheck.db.urls import APP_ROLE, database_name, with_database
from spotcheck.eventstore.canonical import GENESIS_HASH
from spotcheck.eventstore.verify import verify_ledger
from spotcheck.evidence.storage import FilesystemEvidenceStorage
from spotcheck.projections import rebuilder
from spotcheck.services.catalog import projections
from spotcheck.transparency.extends import prove_extends
from spotcheck.transparency.log import latest_checkpoint

STAGING = "pgdata.restoring"


class RestoreRefused(Exception):
    """The backup did not pass a check; ``position`` is the ledger position when there is one,
    ``left`` says what the refusal left in the target."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.left = ""

    def __str__(self) -> str:
        where = f" at position {self.position}" if self.position is not None else ""
        return f"restore REFUSED{where}: {self.message}"


class RestoreError(RuntimeError):
    """The restore could not run (target not empty, a tool missing or failing, no key);
    ``left`` says what it left in the target when it had begun loading."""

    def __init__(self, message: str, left: str = "") -> None:
        super().__init__(message)
        self.left = left


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    target: str


def code_migration_version() -> str:
    versions = [p.name.split("_", 1)[0] for p in migrations_dir().glob("*.sql")]
    return max(versions, default="")


def check_backup(folder: Path, key: Ed25519PublicKey | None) -> Manifest:
    """Step 1; RestoreRefused naming the first file that is not as listed; RestoreError when
    the backup cannot be restored here (newer migrations, no key for its checkpoint)."""
    try:
        manifest = Manifest.read(folder)
        check_files(folder, manifest)
    except ManifestError as e:
        raise RestoreRefused(str(e)) from e
    code = code_migration_version()
    if manifest.migration_version > code:
        raise RestoreError(
            f"the backup's database is at migration {manifest.migration_version}, newer than "
            f"this spotcheck's latest ({code}): restore it with the spotcheck it came from "
            f"({manifest.spotcheck_version}) or newer"
        )
    if manifest.checkpoint is not None and key is None:
        raise RestoreError(
            "restore needs the log's public key to check the signed checkpoint (key id "
            f"{manifest.checkpoint.key_id}): --public-key FILE (the PEM served at "
            "/.well-known/spotcheck-log-key, kept out of band), or "
            "SPOTCHECK_LOG_SIGNING_KEY_FILE naming the signing key"
        )
    return manifest


async def _empty_problem(conn: asyncpg.Connection) -> str | None:
    rows = await conn.fetch(
        """SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_%'
           UNION ALL
           SELECT format('%I.%I()', n.nspname, p.proname) FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\\_%'
           ORDER BY 1 LIMIT 4"""
    )
    if not rows:
        return None
    return ", ".join(r["name"] for r in rows[:3]) + (" and more" if len(rows) > 3 else "")


async def _user_schemas(conn: asyncpg.Connection) -> set[str]:
    rows = await conn.fetch(
        "SELECT nspname FROM pg_namespace"
        " WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%'"
    )
    return {r["nspname"] for r in rows}


async def _ensure_database(owner_url: str) -> None:
    """Create the target database if it does not exist (from template0, as pg_restore wants)."""
    try:
        conn = await asyncpg.connect(owner_url)
    except asyncpg.InvalidCatalogNameError:
        admin = await asyncpg.connect(with_database(owner_url, "postgres"))
        try:
            name = database_name(owner_url)
            quoted = await admin.fetchval("SELECT quote_ident($1)", name)
            await admin.execute(f"CREATE DATABASE {quoted} TEMPLATE template0 ENCODING 'UTF8'")
        finally:
            await admin.close()
    else:
        await conn.close()


async def _ensure_app_role(conn: asyncpg.Connection) -> None:
    """The server's role, which the dump's GRANTs name (roles belong to the cluster, not to
    the dump); the first migration creates it the same way."""
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", APP_ROLE):
        await conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN")


async def _empty_database(conn: asyncpg.Connection, before: set[str]) -> None:
    """Drop what the restore created: schemas it made, and everything in ``public``."""
    for schema in sorted(await _user_schemas(conn) - before):
        await conn.execute(
            f"DROP SCHEMA {await conn.fetchval('SELECT quote_ident($1)', schema)} CASCADE"
        )
    if "public" in before:
        async with conn.transaction():
            await conn.execute("DROP SCHEMA public CASCADE")
            await conn.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
            await conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
            await conn.execute("COMMENT ON SCHEMA public IS 'standard public schema'")


async def _load(owner_url: str, folder: Path) -> None:
    conn = await asyncpg.connect(owner_url)
    try:
        major = int(await conn.fetchval("SHOW server_version_num")) // 10000
        await _ensure_app_role(conn)
    finally:
        await conn.close()
    tool = pgtools.find_tool("pg_restore", major)
    await asyncio.to_thread(
        pgtools.run,
        tool,
        owner_url,
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        str(folder / DUMP_DIR),
    )


async def prove(
    owner_url: str,
    manifest: Manifest,
    key: Ed25519PublicKey | None,
    *,
    allow_unsigned: bool,
    say: Callable[[str], None],
) -> None:
    """Steps 4 to 6 on the loaded database; RestoreRefused at the first that fails."""
    conn = await connect(owner_url)
    try:
        report = await verify_ledger(conn)
        if not report.ok:
            raise RestoreRefused(f"ledger verify: {report.problem}", report.first_bad_position)
        say(report.summary())
        checkpoint = await latest_checkpoint(conn)
        if checkpoint != manifest.checkpoint:

            def size(c: object) -> str:
                return "none" if c is None else f"tree size {getattr(c, 'tree_size', '?')}"

            raise RestoreRefused(
                f"the latest signed checkpoint loaded ({size(checkpoint)}) is not the "
                f"manifest's ({size(manifest.checkpoint)})"
            )
        if checkpoint is None:
            if report.head_position and not allow_unsigned:
                raise RestoreRefused(
                    f"the backup's ledger ({report.head_position} entries) has no signed "
                    "checkpoint, so nothing proves it is the record that was signed; restore "
                    "it with --allow-unsigned only if you trust where it has been"
                )
            say("no signed checkpoint to prove against (--allow-unsigned)")
        else:
            if key is None:
                raise RestoreError("no public key to check the signed checkpoint with")
            proof = await prove_extends(conn, checkpoint, key)
            if not proof.ok:
                raise RestoreRefused(f"checkpoint proof: {proof.problem}", proof.position)
            say(proof.summary())
        head_hash = report.head_hash if report.head_position else GENESIS_HASH
        if report.head_position != manifest.head_position or head_hash.hex() != manifest.chain_hash:
            at = min(report.head_position, manifest.head_position) + 1
            raise RestoreRefused(
                f"the ledger loaded ends at position {report.head_position} with chain hash "
                f"{head_hash.hex()}; the manifest says position {manifest.head_position}, "
                f"{manifest.chain_hash}",
                at,
            )
        counts = await public_table_counts(conn)
        for table in sorted(set(counts) | set(manifest.counts)):
            if counts.get(table) != manifest.counts.get(table):
                raise RestoreRefused(
                    f"table {table} holds {counts.get(table)} rows; the manifest says "
                    f"{manifest.counts.get(table)}"
                )
    finally:
        await conn.close()


async def finish(owner_url: str, say: Callable[[str], None]) -> None:
    """Step 7: pending migrations, then the read tables rebuilt from the ledger."""
    await asyncio.to_thread(migrate, owner_url)
    conn = await connect(owner_url)
    reader = await connect(owner_url)
    try:
        rebuilt = await rebuilder.rebuild(conn, projections(), reader=reader)
    finally:
        await reader.close()
        await conn.close()
    say(rebuilt.summary())


def copy_evidence(folder: Path, manifest: Manifest, root: Path) -> int:
    """Step 8: each file into ``root``, hashed as copied (the same file already there is
    kept: the name is the content's hash); returns how many were copied."""
    source = FilesystemEvidenceStorage(folder / EVIDENCE_DIR)
    dest = FilesystemEvidenceStorage(root)
    copied = 0
    for sha, size in manifest.evidence:
        target = dest.path(sha)
        if target.is_file():
            if sha256_file(target) != (sha, size):
                raise RestoreError(
                    f"{target} exists but does not hold evidence file {sha}; move it away"
                )
            continue
        tmp = root / "tmp" / f"{uuid.uuid4().hex}.restore"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            if copy_hashed(source.path(sha), tmp) != (sha, size):
                raise RestoreRefused(f"evidence file {sha} in the backup does not hash to its name")
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
            copied += 1
        finally:
            tmp.unlink(missing_ok=True)
    return copied


@contextlib.contextmanager
def _owned_home(settings: Settings) -> Iterator[None]:
    try:
        fd = _own_home(settings)
    except HomeInUse as e:
        raise RestoreError(str(e)) from None
    try:
        yield
    finally:
        os.close(fd)


def _stamp_now(owner_url: str) -> str:
    async def now() -> str:
        conn = await asyncpg.connect(owner_url)
        try:
            return str(
                await conn.fetchval(
                    "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"')"
                )
            )
        finally:
            await conn.close()

    return asyncio.run(now())


def restore_embedded(
    folder: Path,
    settings: Settings,
    key: Ed25519PublicKey | None,
    *,
    allow_unsigned: bool,
    say: Callable[[str], None],
) -> RestoreReport:
    manifest = check_backup(folder, key)
    say(f"backup of {manifest.created_at}: every file matches its manifest")
    with _owned_home(settings):
        final = settings.home / "pgdata"
        if final.exists() and (not final.is_dir() or any(final.iterdir())):
            raise RestoreError(
                f"{settings.home} already holds a database ({final}); restore only into a new, "
                "empty home (set SPOTCHECK_HOME to a folder without pgdata)"
            )
        staging = settings.home / STAGING
        if staging.exists():  # left by a restore that was killed (we hold the home's lock)
            EmbeddedPostgres.prepare(staging).stop()
            shutil.rmtree(staging)
        pg = EmbeddedPostgres.prepare(staging)
        kept = False
        try:
            pg.start()
            owner = pg.url(EMBEDDED_DATABASE)
            asyncio.run(_ensure_database(owner))
            asyncio.run(_load(owner, folder))
            say("loaded the dump (pg_restore, one transaction)")
            try:
                asyncio.run(prove(owner, manifest, key, allow_unsigned=allow_unsigned, say=say))
            except RestoreRefused as e:
                refused = settings.home / f"pgdata.refused-{_stamp_now(owner)}"
                pg.stop()
                staging.rename(refused)
                kept = True
                e.left = (
                    f"the refused database was set aside in {refused} for inspection (no "
                    f"spotcheck command starts it); {settings.home} still has no database"
                )
                raise
            asyncio.run(finish(owner, say))
            copied = copy_evidence(folder, manifest, settings.home / "evidence")
            say(f"{copied} evidence file(s) copied, each SHA-256 checked")
            pg.stop()
            with contextlib.suppress(FileNotFoundError):
                final.rmdir()
            staging.rename(final)
            kept = True
        finally:
            if not kept:  # failed (not refused) or interrupted: nothing of it is kept
                pg.stop()
                shutil.rmtree(staging, ignore_errors=True)
    return RestoreReport(manifest, f"embedded PostgreSQL in {final}")


def restore_url(
    folder: Path,
    owner_url: str,
    evidence_root: Path,
    key: Ed25519PublicKey | None,
    *,
    allow_unsigned: bool,
    say: Callable[[str], None],
) -> RestoreReport:
    manifest = check_backup(folder, key)
    say(f"backup of {manifest.created_at}: every file matches its manifest")
    asyncio.run(_ensure_database(owner_url))

    async def inspect() -> tuple[str | None, set[str]]:
        conn = await asyncpg.connect(owner_url)
        try:
            return await _empty_problem(conn), await _user_schemas(conn)
        finally:
            await conn.close()

    problem, before = asyncio.run(inspect())
    name = database_name(owner_url)
    if problem is not None:
        raise RestoreError(
            f"the database {name!r} is not empty (it holds {problem}); restore only into an "
            "empty database (CREATE DATABASE …)"
        )
    asyncio.run(_load(owner_url, folder))  # one transaction: a failure loads nothing
    say("loaded the dump (pg_restore, one transaction)")
    try:
        asyncio.run(prove(owner_url, manifest, key, allow_unsigned=allow_unsigned, say=say))
        asyncio.run(finish(owner_url, say))
        copied = copy_evidence(folder, manifest, evidence_root)
        say(f"{copied} evidence file(s) copied, each SHA-256 checked")
    except (RestoreRefused, RestoreError) as e:
        e.left = _drop_loaded(owner_url, name, before)
        raise
    except Exception as e:
        raise RestoreError(str(e), _drop_loaded(owner_url, name, before)) from e
    return RestoreReport(manifest, f"database {name!r}")


def _drop_loaded(owner_url: str, name: str, before: set[str]) -> str:
    async def drop() -> None:
        conn = await asyncpg.connect(owner_url)
        try:
            await _empty_database(conn, before)
        finally:
            await conn.close()

    try:
        asyncio.run(drop())
    except (OSError, asyncpg.PostgresError) as e:
        return (
            f"the loaded data could NOT be removed from {name!r} ({e}): drop its tables "
            "before any server uses it"
        )
    return f"the database {name!r} was emptied again (nothing refused stays where a server reads)"
