"""``spotcheck backup`` and ``spotcheck restore`` (docs/operations.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from spotcheck.config import Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def run_backup(args: argparse.Namespace) -> int:
    from spotcheck.backup.pgtools import ToolError
    from spotcheck.backup.snapshot import BackupError, take_backup
    from spotcheck.cli.runtime import database

    settings = Settings.from_env()
    out = Path(args.out).resolve()
    with database(settings, migrate_first=False) as urls:
        try:
            manifest = asyncio.run(take_backup(urls.owner, settings.home / "evidence", out))
        except (BackupError, ToolError) as e:
            print(f"backup failed: {e}", file=sys.stderr)
            return 2
    cp = manifest.checkpoint
    signed = "no signed checkpoint" if cp is None else f"signed checkpoint at {cp.tree_size}"
    print(
        f"backup {out}: snapshot of {manifest.created_at}, ledger head {manifest.head_position} "
        f"(chain {manifest.chain_hash[:16]}…), {signed}, {manifest.counts.get('events', 0)} "
        f"events, {len(manifest.evidence)} evidence file(s), {len(manifest.files)} files listed "
        "in manifest.json"
    )
    return 0


def public_key_for(args: argparse.Namespace, settings: Settings) -> Ed25519PublicKey | None:
    """``--public-key``; else the public half of the key this home's server will sign with
    (``SPOTCHECK_LOG_SIGNING_KEY_FILE``, or an existing development key); else None.  Raises
    ValueError when the given one cannot be read."""
    from spotcheck.merkle.note import parse_public_key
    from spotcheck.transparency.keys import DEV_KEY_FILE, ENV_KEY_FILE, parse_private_key

    if args.public_key:
        path = Path(args.public_key)
        text = path.read_text(encoding="ascii") if path.is_file() else str(args.public_key)
        return parse_public_key(text)
    name = os.environ.get(ENV_KEY_FILE, "").strip()
    path = Path(name) if name else settings.home / DEV_KEY_FILE
    if not path.is_file():
        return None
    return parse_private_key(path.read_bytes(), str(path)).public_key()


def run_restore(args: argparse.Namespace) -> int:
    from spotcheck.backup.pgtools import ToolError
    from spotcheck.backup.restore import (
        RestoreError,
        RestoreRefused,
        restore_embedded,
        restore_url,
    )
    from spotcheck.db.embedded import EmbeddedPostgresError
    from spotcheck.db.migrate import MigrationError

    settings = Settings.from_env()
    folder = Path(args.folder).resolve()
    try:
        key = public_key_for(args, settings)
    except (ValueError, OSError, UnicodeError) as e:
        print(f"--public-key: {e}", file=sys.stderr)
        return 2

    def say(line: str) -> None:
        print(line, file=sys.stderr)

    try:
        if settings.database_url:
            report = restore_url(
                folder,
                settings.database_url,
                settings.home / "evidence",
                key,
                allow_unsigned=args.allow_unsigned,
                say=say,
            )
        else:
            report = restore_embedded(
                folder, settings, key, allow_unsigned=args.allow_unsigned, say=say
            )
    except RestoreRefused as e:
        print(str(e), file=sys.stderr)
        print(e.left or "nothing was loaded: the target is as it was", file=sys.stderr)
        return 1
    except (RestoreError, ToolError, EmbeddedPostgresError, MigrationError) as e:
        print(f"restore failed: {e}", file=sys.stderr)
        left = getattr(e, "left", "")
        print(left or "nothing was kept: the target is as it was", file=sys.stderr)
        return 2
    m = report.manifest
    print(
        f"restored the backup of {m.created_at} into {report.target}: ledger head "
        f"{m.head_position} verified, extends the signed checkpoint"
        + (f" at {m.checkpoint.tree_size}" if m.checkpoint is not None else " (none: unsigned)")
        + f", projections rebuilt, {len(m.evidence)} evidence file(s)"
    )
    return 0


def run_prove(args: argparse.Namespace) -> int:
    """``spotcheck ledger prove``: the ledger extends its latest signed checkpoint."""
    from spotcheck.cli.runtime import database
    from spotcheck.db.pool import connect
    from spotcheck.transparency.extends import prove_extends
    from spotcheck.transparency.log import latest_checkpoint

    settings = Settings.from_env()
    try:
        key = public_key_for(args, settings)
    except (ValueError, OSError, UnicodeError) as e:
        print(f"--public-key: {e}", file=sys.stderr)
        return 2
    if key is None:
        print(
            "ledger prove needs the log's public key: --public-key FILE, or "
            "SPOTCHECK_LOG_SIGNING_KEY_FILE naming the signing key",
            file=sys.stderr,
        )
        return 2

    async def run(owner_url: str) -> int:
        conn = await connect(owner_url)
        try:
            checkpoint = await latest_checkpoint(conn)
            if checkpoint is None:
                print("no signed checkpoint yet: nothing to prove the ledger against")
                return 1
            report = await prove_extends(conn, checkpoint, key)
        finally:
            await conn.close()
        print(report.summary())
        return 0 if report.ok else 1

    with database(settings, migrate_first=False) as urls:
        return asyncio.run(run(urls.owner))


def add_public_key_option(s: argparse.ArgumentParser) -> None:
    s.add_argument(
        "--public-key",
        help="the log's public key: a file (PEM, or base64 of the 32 raw bytes) or that text; "
        "default: the public half of SPOTCHECK_LOG_SIGNING_KEY_FILE or of the home's "
        "development key",
    )


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser(
        "backup",
        help="pg_dump snapshot of the database, the evidence files and a manifest into a new "
        "folder (docs/operations.md)",
    )
    s.add_argument(
        "--out", required=True, help="the folder to create (must not exist, or be empty)"
    )
    s.set_defaults(func=run_backup)
    s = sub.add_parser(
        "restore",
        help="load a backup into an empty home or database, prove it against the signed "
        "checkpoint, rebuild the read tables; exit 1 if refused",
    )
    s.add_argument("folder", help="a folder written by spotcheck backup")
    add_public_key_option(s)
    s.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="accept a backup whose ledger has no signed checkpoint (nothing proves it)",
    )
    s.set_defaults(func=run_restore)
