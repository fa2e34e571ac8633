"""``spotcheck import subjects|inspectors FILE``: the command around spotcheck.importer."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from spotcheck.cli.runtime import command_runner, database
from spotcheck.config import Settings
from spotcheck.domain.actor import SYSTEM
from spotcheck.importer.engine import ImportSpec
from spotcheck.importer.registries import inspectors_spec, subjects_spec
from spotcheck.importer.run import count_records, header_problem, import_file
from spotcheck.services.actors import load_actor
from spotcheck.services.runner import Caller


def spec_for(registry: str, settings: Settings) -> ImportSpec[Any, Any]:
    return subjects_spec(settings.regions()) if registry == "subjects" else inspectors_spec()


def run_import_command(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    path = Path(args.file)
    if not path.is_file():
        print(f"no file {path}", file=sys.stderr)
        return 2
    spec = spec_for(args.registry, settings)
    problem = header_problem(path, args.format, spec)
    if problem is not None:
        print(f"refused: {problem}", file=sys.stderr)
        return 2
    rejects_path = (
        Path(args.rejects) if args.rejects else path.with_name(path.name + ".rejects.csv")
    )
    reason = args.reason or f"bulk import of {path.name}"

    async def run(app_url: str) -> int:
        async with command_runner(app_url) as runner:
            if args.as_user == SYSTEM.user_id:
                actor = SYSTEM
            else:
                actor = await load_actor(runner.store.pool, args.as_user)
                if not actor.is_staff:
                    print(f"refused: {args.as_user!r} has no account with a role", file=sys.stderr)
                    return 2
            caller = Caller(actor=actor, request_id=f"import-{uuid.uuid4()}")
            started = time.perf_counter()
            with rejects_path.open("w", encoding="utf-8", newline="") as out:
                report = await import_file(
                    runner,
                    spec,
                    path,
                    caller,
                    fmt=args.format,
                    reason=reason,
                    rejects_out=out,
                    batch_size=args.batch_size,
                    workers=args.workers,
                    total=count_records(path),
                    progress=not args.quiet,
                )
            seconds = time.perf_counter() - started
        if report.rejected == 0:
            rejects_path.unlink(missing_ok=True)
        print(f"{report.summary()} in {seconds:.1f} s")
        if report.rejected:
            print(f"rejected rows and why: {rejects_path}")
        return 1 if report.rejected else 0

    with database(settings) as urls:
        return asyncio.run(run(urls.app))
