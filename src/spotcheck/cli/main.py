"""``spotcheck``: serve, migrate, verify the ledger, export the schema, run benchmarks.

Entry points only translate arguments into calls; the work lives in the packages.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from spotcheck.config import Settings

DEFAULT_SCHEMA_PATH = Path("schema") / "schema.graphql"


def _schema_path() -> Path:
    repo = Path(__file__).resolve().parents[3] / DEFAULT_SCHEMA_PATH
    return repo if repo.parent.is_dir() else DEFAULT_SCHEMA_PATH


def cmd_migrate(args: argparse.Namespace) -> int:
    from spotcheck.db.migrate import migrate
    from spotcheck.db.resolve import resolve

    urls = resolve(Settings.from_env())
    migrate(urls.owner, quiet=False)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from spotcheck.api.app import create_app
    from spotcheck.db.migrate import migrate
    from spotcheck.db.resolve import resolve

    settings = Settings.from_env()
    urls = resolve(settings)
    migrate(urls.owner)
    if urls.embedded is not None:
        print(f"embedded PostgreSQL: {urls.embedded.datadir} (socket in the same folder)")
    app = create_app(
        urls.app,
        tokens=settings.tokens(),
        production=settings.production,
        regions=settings.regions(),
    )
    try:
        uvicorn.run(
            app,
            host=args.host or settings.host,
            port=args.port or settings.port,
            log_level="info",
            access_log=False,
        )
    finally:
        if urls.embedded is not None:
            urls.embedded.stop()  # the server started it; leave nothing running behind
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from spotcheck.db.pool import connect
    from spotcheck.db.resolve import resolve
    from spotcheck.eventstore.verify import verify_ledger

    async def run() -> int:
        urls = resolve(Settings.from_env())
        conn = await connect(urls.owner)
        try:
            report = await verify_ledger(conn)
        finally:
            await conn.close()
        print(report.summary())
        return 0 if report.ok else 1

    return asyncio.run(run())


def cmd_schema_export(args: argparse.Namespace) -> int:
    from spotcheck.api.schema import schema_sdl

    path = Path(args.path) if args.path else _schema_path()
    sdl = schema_sdl()
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != sdl:
            print(f"{path} differs from the schema the code builds; run: spotcheck schema export")
            return 1
        print(f"{path} matches the schema the code builds")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl, encoding="utf-8")
    print(f"wrote {path}")
    return 0


def cmd_bench_eventstore(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.eventstore import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spotcheck", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the server (migrates first)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("migrate", help="apply pending migrations with dbmate")
    s.set_defaults(func=cmd_migrate)

    ledger = sub.add_parser("ledger", help="the sealed ledger").add_subparsers(
        dest="ledger_command", required=True
    )
    s = ledger.add_parser("verify", help="recompute every hash and the chain")
    s.set_defaults(func=cmd_ledger_verify)

    schema = sub.add_parser("schema", help="the GraphQL schema file").add_subparsers(
        dest="schema_command", required=True
    )
    s = schema.add_parser("export", help="write (or --check) schema/schema.graphql")
    s.add_argument("--check", action="store_true", help="exit 1 when the file differs")
    s.add_argument("--path", help="the schema file (default schema/schema.graphql)")
    s.set_defaults(func=cmd_schema_export)

    bench = sub.add_parser("bench", help="benchmarks against named peers").add_subparsers(
        dest="bench_command", required=True
    )
    s = bench.add_parser("eventstore", help="appends, ledger reads and sealer lag")
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--writers", type=int, default=16, help="concurrent single-event writers")
    s.add_argument("--seconds", type=float, default=10.0, help="duration of the writer phase")
    s.add_argument("--bulk-events", type=int, default=10_000, help="events per bulk transaction")
    s.add_argument("--bulk-rounds", type=int, default=5, help="bulk transactions to time")
    s.add_argument("--skip-peer", action="store_true", help="do not run the eventsourcing peer")
    s.set_defaults(func=cmd_bench_eventstore)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
