"""``spotcheck report annual --year Y [--department D] [--format json|html] [--out FILE]``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from spotcheck.report.annual import AnnualReport


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = sub.add_parser(
        "report", help="reports from the ledger: the annual assessment (年度工作总结)"
    ).add_subparsers(dest="report_kind", required=True)
    s = report.add_parser("annual", help="a year's figures per department and the district")
    s.add_argument("--year", type=int, required=True)
    s.add_argument("--department", help="one department's code (default: all and the district)")
    s.add_argument("--format", choices=("json", "html"), default="json")
    s.add_argument("--out", type=Path, help="write here instead of standard output")
    s.add_argument(
        "--today", type=date.fromisoformat, help="as of this Beijing date (default: today)"
    )
    s.set_defaults(func=run_report)


async def make_report(url: str, args: argparse.Namespace) -> AnnualReport:
    from spotcheck.db.pool import connect
    from spotcheck.report.annual import annual_report

    conn = await connect(url)
    try:
        return await annual_report(conn, args.year, args.department, args.today)
    finally:
        await conn.close()


def run_report(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.config import Settings
    from spotcheck.domain.errors import DomainError
    from spotcheck.report.render import to_html, to_json

    with database(Settings.from_env(), migrate_first=False) as urls:
        try:
            result = asyncio.run(make_report(urls.owner, args))
        except DomainError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    data = to_html(result).encode("utf-8") if args.format == "html" else to_json(result)
    if args.out is not None:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
    return 0
