"""``spotcheck evidence gc``: collect the evidence uploads left unattached (证据材料).

The same collection the server runs every hour (``spotcheck.services.evidence``): each upload
that no result references, uploaded longer ago than ``SPOTCHECK_EVIDENCE_UNATTACHED_TTL`` (or
``--ttl``) by the database clock, gets an ``EvidenceCollected`` event (actor ``system``, with
the reason) and its file under ``SPOTCHECK_HOME/evidence`` is deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from spotcheck.config import Settings


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evidence = sub.add_parser("evidence", help="evidence files (证据材料)").add_subparsers(
        dest="evidence_command", required=True
    )
    s = evidence.add_parser(
        "gc", help="collect uploads not attached to a result within the unattached time"
    )
    s.add_argument(
        "--ttl",
        help="how long an upload may stay unattached, e.g. 7d, 36h or seconds "
        "(default: SPOTCHECK_EVIDENCE_UNATTACHED_TTL, else 7d)",
    )
    s.set_defaults(func=run_gc)


def run_gc(args: argparse.Namespace) -> int:
    from spotcheck.api.evidence import default_storage
    from spotcheck.cli.runtime import command_runner, database
    from spotcheck.services.evidence import TTL_SETTING, collect_unattached, ttl_from_env

    try:
        ttl = ttl_from_env({TTL_SETTING: args.ttl} if args.ttl else None)
    except ValueError as e:
        print(f"--ttl: {e}", file=sys.stderr)
        return 2
    storage = default_storage()

    async def run(app_url: str) -> int:
        async with command_runner(app_url) as runner:
            report = await collect_unattached(runner, storage, ttl)
        print(report.summary())
        return 0

    with database(Settings.from_env()) as urls:
        return asyncio.run(run(urls.app))
