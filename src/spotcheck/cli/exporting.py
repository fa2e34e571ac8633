"""``spotcheck export publications --since POSITION [--out FILE]``: the publication feed as JSON
Lines (docs/publication-feed.md), read from the sealed ledger."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from spotcheck.cli.runtime import database
from spotcheck.config import Settings
from spotcheck.db.pool import connect
from spotcheck.services.publications import feed_from


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[BinaryIO]:
    if path is None:
        yield sys.stdout.buffer
        return
    with Path(path).open("wb") as out:
        yield out


def run_export_publications(args: argparse.Namespace) -> int:
    if args.since < 0:
        print("refused: --since is a ledger position, 0 or more", file=sys.stderr)
        return 2

    async def run(app_url: str, out: BinaryIO) -> tuple[int, int]:
        conn = await connect(app_url)
        count, last = 0, args.since
        try:
            async for entry in feed_from(conn, args.since):
                out.write(entry.json_line())
                count += 1
                last = entry.position
        finally:
            await conn.close()
        return count, last

    with database(Settings.from_env()) as urls, _output(args.out) as out:
        count, last = asyncio.run(run(urls.app, out))
        out.flush()
    print(f"{count} entries; resume with --since {last}", file=sys.stderr)
    return 0
