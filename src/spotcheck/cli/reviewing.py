"""``spotcheck review subject|inspector KEY --from --to [--format json|html] [--out FILE]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from spotcheck.review.model import Review, ReviewKind


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    review = sub.add_parser(
        "review", help="the duty-list review (履职清单审查) from the ledger alone"
    ).add_subparsers(dest="review_kind", required=True)
    for kind, what in (("subject", "a subject's key (USCC)"), ("inspector", "a staff id")):
        s = review.add_parser(kind, help=f"every duty about {what} in a period")
        s.add_argument("key", help=what)
        s.add_argument("--from", dest="from_date", type=date.fromisoformat, required=True)
        s.add_argument("--to", dest="to_date", type=date.fromisoformat, required=True)
        s.add_argument("--format", choices=("json", "html"), default="json")
        s.add_argument("--out", type=Path, help="write here instead of standard output")
        s.add_argument(
            "--today",
            type=date.fromisoformat,
            help="review as of this Beijing date (default: today)",
        )
        s.set_defaults(func=run_review)


async def make_review(url: str, kind: ReviewKind, args: argparse.Namespace) -> Review:
    from spotcheck.clock import beijing_today
    from spotcheck.db.pool import connect
    from spotcheck.review.reviewer import review
    from spotcheck.review.source import LedgerSource

    conn = await connect(url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            source = await LedgerSource.at_head(conn)
            return await review(
                source,
                kind,
                args.key,
                args.from_date,
                args.to_date,
                args.today or await beijing_today(conn),
            )
    finally:
        await conn.close()


def run_review(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.config import Settings
    from spotcheck.review.render import to_html, to_json

    if args.to_date < args.from_date:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    kind = ReviewKind.SUBJECT if args.review_kind == "subject" else ReviewKind.INSPECTOR
    with database(Settings.from_env(), migrate_first=False) as urls:
        result = asyncio.run(make_review(urls.owner, kind, args))
    data = to_html(result).encode("utf-8") if args.format == "html" else to_json(result)
    if args.out is not None:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
    return 0
