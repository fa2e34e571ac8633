"""``spotcheck audit export`` and ``spotcheck audit verify`` (docs/audit-format.md)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from spotcheck.config import Settings


def run_export(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.db.pool import connect
    from spotcheck.transparency.export import ExportError, export

    out = Path(args.out)
    tmp = out.with_name(out.name + ".partial")

    async def run(owner_url: str) -> int:
        conn = await connect(owner_url)
        try:
            with tmp.open("wb") as f:
                report = await export(conn, f, args.from_position, args.to_position)
        except ExportError as e:
            tmp.unlink(missing_ok=True)
            print(f"cannot export: {e}", file=sys.stderr)
            return 2
        finally:
            await conn.close()
        os.replace(tmp, out)
        print(report.summary())
        return 0

    with database(Settings.from_env(), migrate_first=False) as urls:
        return asyncio.run(run(urls.owner))


def run_verify(args: argparse.Namespace) -> int:
    from spotcheck.merkle.note import parse_public_key
    from spotcheck.transparency.offline import verify_export

    key_arg = str(args.public_key)
    try:
        key_path = Path(key_arg)
        text = key_path.read_text(encoding="ascii") if key_path.is_file() else key_arg
        key = parse_public_key(text)
    except (ValueError, OSError, UnicodeError) as e:
        print(f"--public-key: {e}", file=sys.stderr)
        return 2
    try:
        with Path(args.file).open("rb") as f:
            report = verify_export(f, key)
    except OSError as e:
        print(f"cannot read {args.file}: {e}", file=sys.stderr)
        return 2
    print(report.summary())
    return report.exit_code


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser(
        "audit", help="offline audit: export the ledger and verify an export with no database"
    ).add_subparsers(dest="audit_command", required=True)
    s = audit.add_parser(
        "export", help="ledger entries, events, draw blobs and a signed checkpoint as JSON Lines"
    )
    s.add_argument("--out", required=True, help="the file to write")
    s.add_argument("--from", dest="from_position", type=int, default=1, help="first position")
    s.add_argument(
        "--to",
        dest="to_position",
        type=int,
        help="last position (default: the latest signed checkpoint's tree size)",
    )
    s.set_defaults(func=run_export)
    s = audit.add_parser(
        "verify",
        help="check every hash, the chain, the signed Merkle root and every draw; no database",
    )
    s.add_argument("file", help="an export written by spotcheck audit export")
    s.add_argument(
        "--public-key",
        required=True,
        help="the log's public key: a file (PEM, as served at /.well-known/spotcheck-log-key, "
        "or base64 of the 32 raw bytes) or that text itself",
    )
    s.set_defaults(func=run_verify)
