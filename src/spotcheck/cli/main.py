# Over 500 lines: every command's arguments in one parser; each body is short.
"""``spotcheck``: serve, migrate, verify the ledger, export the schema, run benchmarks.

Entry points only translate arguments into calls; the work lives in the packages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spotcheck.config import Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from spotcheck.db.resolve import DatabaseUrls

DEFAULT_SCHEMA_PATH = Path("schema") / "schema.graphql"


def _schema_path() -> Path:
    repo = Path(__file__).resolve().parents[3] / DEFAULT_SCHEMA_PATH
    return repo if repo.parent.is_dir() else DEFAULT_SCHEMA_PATH


def cmd_migrate(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.db.migrate import migrate

    with database(Settings.from_env(), migrate_first=False) as urls:
        migrate(urls.owner, quiet=False)
    return 0


def _load_demo(settings: Settings, app_url: str, subjects: int, inspectors: int) -> None:
    from spotcheck.cli.runtime import command_runner
    from spotcheck.demo.load import load_demo

    async def run() -> None:
        async with command_runner(app_url) as runner:
            report = await load_demo(
                runner,
                settings.regions(),
                subjects=subjects,
                inspector_count=inspectors,
                progress=sys.stderr.isatty(),
            )
        print(report.summary())

    _run_until_terminated(run())


def _run_until_terminated(main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run``, with SIGTERM cancelling ``main`` and then exiting 143.

    An exception raised from a signal handler surfaces wherever the loop happens to be: inside
    asyncpg it became "another operation is in progress", or was swallowed and the demo went
    on loading.  Cancellation is what asyncio code is written to unwind from (SIGINT already
    works so: asyncio.run cancels on Ctrl-C, then raises KeyboardInterrupt)."""
    received: list[int] = []

    async def cancelled_on_sigterm() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        previous = signal.getsignal(signal.SIGTERM)

        def cancel() -> None:
            received.append(signal.SIGTERM)
            task.cancel()

        loop.add_signal_handler(signal.SIGTERM, cancel)
        try:
            await main
        finally:
            loop.remove_signal_handler(signal.SIGTERM)  # which leaves SIG_DFL behind
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    try:
        asyncio.run(cancelled_on_sigterm())
    except asyncio.CancelledError:
        if not received:
            raise
    if received:
        raise SystemExit(128 + signal.SIGTERM)


def cmd_demo(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database

    settings = Settings.from_env()
    with database(settings) as urls:
        _load_demo(settings, urls.app, args.subjects, args.inspectors)
    print(
        "demo accounts: admin, scjg-admin, sthj-admin, inspector, auditor, liaison-scjg; "
        "a token: spotcheck token --user admin"
    )
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from spotcheck.auth.tokens import mint

    settings = Settings.from_env()
    if settings.production:
        print(
            "spotcheck token mints development tokens only; in production tokens come from "
            "the identity provider",
            file=sys.stderr,
        )
        return 2
    print(mint(args.user, settings.tokens(), ttl=timedelta(hours=args.hours)))
    return 0


def cmd_admin_create(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import command_runner, database
    from spotcheck.domain.errors import DomainError
    from spotcheck.services.bootstrap import create_first_admin

    async def run(app_url: str) -> int:
        async with command_runner(app_url) as runner:
            try:
                outcome = await create_first_admin(
                    runner,
                    user_id=args.user,
                    display_name=args.name,
                    department=args.department,
                    department_name=args.department_name,
                )
            except DomainError as exc:
                print(f"refused: {exc}", file=sys.stderr)
                return 2
        print(f"created SYSTEM_ADMIN {outcome.key!r}")
        print(f"development token: spotcheck token --user {outcome.key}")
        return 0

    with database(Settings.from_env()) as urls:
        return asyncio.run(run(urls.app))


def cmd_serve(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.db.migrate import MigrationError
    from spotcheck.db.resolve import HomeInUse
    from spotcheck.transparency.keys import signing_key_from_env
    from spotcheck.transparency.pseudonym_key import pseudonym_key_from_env

    settings = Settings.from_env()
    try:
        settings.check()
        log_key = signing_key_from_env(os.environ, settings.home, production=settings.production)
        # Checked at startup like the log key: a public transcript needs it.
        pseudonym_key = pseudonym_key_from_env(
            os.environ, settings.home, production=settings.production
        )
    except ValueError as e:
        print(f"cannot start: {e}", file=sys.stderr)
        return 2
    # uvicorn shuts down on SIGTERM, then raises the signal again: with the default action the
    # process would die there, before ``database`` stops the embedded server.  As an exception
    # it unwinds through that ``finally`` instead (SIGINT already does: KeyboardInterrupt).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    # A closed terminal or dropped SSH session (SIGHUP) would kill serve just as abruptly;
    # under nohup (SIGHUP ignored) it must go on ignoring it.
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:
        signal.signal(signal.SIGHUP, _terminate_on_hangup)
    try:
        with database(settings, own=True) as urls:
            return _serve(args, settings, urls, log_key, pseudonym_key)
    except (HomeInUse, MigrationError) as e:
        # MigrationError: dbmate failed, or the database was migrated by a newer spotcheck
        # (SchemaNewerThanCode names the versions this code does not ship).
        print(f"cannot start: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _terminate_on_hangup(signum: int, frame: object) -> None:
    """SIGHUP as SIGTERM, to whoever handles that now: uvicorn's graceful shutdown while it
    runs, else ``_exit_on_sigterm``."""
    signal.raise_signal(signal.SIGTERM)


def _serve(
    args: argparse.Namespace,
    settings: Settings,
    urls: DatabaseUrls,
    log_key: Ed25519PrivateKey,
    pseudonym_key: bytes,
) -> int:
    import uvicorn

    from spotcheck.cli.serving import build_app, check_workers, run_workers
    from spotcheck.observe.logs import configure_logging

    if urls.embedded is not None:
        print(f"embedded PostgreSQL: {urls.embedded.datadir} (socket in the same folder)")
    # One JSON line per record (spotcheck.observe.logs), uvicorn's own included; no access log:
    # the request middleware writes one line per request, without personal data.
    configure_logging(settings.log_level)
    if args.demo:
        _load_demo(settings, urls.app, 20_000, 300)
    host, port = args.host or settings.host, args.port or settings.port
    try:
        check_workers(args.workers)
        if settings.metrics_port == port:
            raise ValueError(
                "SPOTCHECK_METRICS_PORT must differ from the API's port: metrics have a port "
                "of their own"
            )
        # With workers, built here only to check the settings; each worker builds its own.
        served = build_app(settings, urls.app, log_key, pseudonym_key)
        grace = shutdown_grace_from_env()
    except ValueError as e:  # a setting out of its rule (limits, budgets, origins, ports)
        print(f"cannot start: {e}", file=sys.stderr)
        return 2
    # SIGTERM: stop accepting, let requests in flight finish for up to ``grace`` seconds (then
    # cancel them), stop the sealer and the checkpointer (the lifespan's end), then the
    # embedded PostgreSQL (cmd_serve's way out).
    workers = args.workers
    config = uvicorn.Config(
        "spotcheck.cli.serving:worker_app" if workers > 1 else served,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_graceful_shutdown=grace,
    )
    metrics_listener = None
    if settings.metrics_port is not None:
        # Two listening sockets, one server: the API's, and the metrics' (see ByPort).
        metrics_listener = uvicorn.Config(
            served, host=settings.metrics_host, port=settings.metrics_port, log_config=None
        )
    if workers > 1:
        return run_workers(config, urls.app, metrics_listener)
    server = uvicorn.Server(config)
    sockets = None
    if metrics_listener is not None:
        sockets = [config.bind_socket(), metrics_listener.bind_socket()]
    try:
        server.run(sockets=sockets)
    except KeyboardInterrupt:  # as uvicorn.run: Ctrl-C after a graceful shutdown
        pass
    return 0 if server.started else 3


SHUTDOWN_GRACE_ENV = "SPOTCHECK_SHUTDOWN_GRACE_SECONDS"


def shutdown_grace_from_env() -> int:
    """How long a stopping server waits for requests in flight (default 10 s, 0 to 600)."""
    raw = os.environ.get(SHUTDOWN_GRACE_ENV, "").strip() or "10"
    if not raw.isdigit() or int(raw) > 600:
        raise ValueError(f"{SHUTDOWN_GRACE_ENV} must be a whole number of seconds, 0 to 600")
    return int(raw)


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.db.pool import connect
    from spotcheck.eventstore.verify import verify_ledger

    async def run(owner_url: str) -> int:
        conn = await connect(owner_url)
        try:
            report = await verify_ledger(conn)
        finally:
            await conn.close()
        print(report.summary())
        return 0 if report.ok else 1

    with database(Settings.from_env(), migrate_first=False) as urls:
        return asyncio.run(run(urls.owner))


def cmd_projections(args: argparse.Namespace) -> int:
    from spotcheck.cli.runtime import database
    from spotcheck.db.pool import connect
    from spotcheck.projections import rebuilder
    from spotcheck.services.catalog import projections

    async def run(owner_url: str) -> int:
        conn = await connect(owner_url)
        try:
            if args.projections_command == "rebuild":
                reader = await connect(owner_url)
                try:
                    report = await rebuilder.rebuild(
                        conn, projections(), reader=reader, log=lambda m: print(m, file=sys.stderr)
                    )
                finally:
                    await reader.close()
                print(report.summary())
                return 0
            result = await rebuilder.verify(conn, projections())
        finally:
            await conn.close()
        print("\n".join(result.lines()))
        return 0 if result.ok else 1

    with database(Settings.from_env()) as urls:
        return asyncio.run(run(urls.owner))


def cmd_import(args: argparse.Namespace) -> int:
    from spotcheck.cli.importing import run_import_command

    return run_import_command(args)


def cmd_export_publications(args: argparse.Namespace) -> int:
    from spotcheck.cli.exporting import run_export_publications

    return run_export_publications(args)


def cmd_draw_verify(args: argparse.Namespace) -> int:
    from spotcheck.draw import transcript as tr
    from spotcheck.transparency.pseudonym_key import parse_key

    data = Path(args.transcript).read_bytes()
    result = tr.verify_bytes(data)
    print(result.report())
    if not result.ok or args.full is None:
        return result.exit_code
    # An auditor's check: the public transcript is the one derived from this full one.
    if not tr.is_public(data) or args.pseudonym_key is None:
        print("--full checks a public transcript and needs --pseudonym-key", file=sys.stderr)
        return 2
    full_data = Path(args.full).read_bytes()
    full = tr.verify_bytes(full_data)
    if not full.ok:
        print("the full transcript: " + full.report())
        return 1
    key = parse_key(Path(args.pseudonym_key).read_bytes(), args.pseudonym_key)
    problems = tr.derived_from(tr.public_loads(data), tr.loads(full_data), key)
    if problems:
        print("the public transcript is NOT derived from the full one:")
        print("\n".join(f"- {p}" for p in problems))
        return 1
    print("the public transcript is derived from the full one with this pseudonym key")
    return 0


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


def cmd_bench_import(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.importing import main as bench_main

    return bench_main(args)


def cmd_bench_api(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.api import main as bench_main

    return bench_main(args)


def cmd_bench_rebuild(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.rebuild import main as bench_main

    return bench_main(args)


def cmd_bench_scale(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.scale import main as bench_main

    return bench_main(args)


def cmd_bench_draw(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.draw import main as bench_main

    return bench_main(args)


def cmd_bench_capacity(args: argparse.Namespace) -> int:
    from spotcheck.cli.bench.capacity import main as bench_main

    return bench_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spotcheck", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the server (migrates first)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--demo", action="store_true", help="load the demo data first (once)")
    s.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes on the one port (default 1); one sealer and one checkpointer "
        "lead across them (docs/scaling.md)",
    )
    s.set_defaults(func=cmd_serve)

    s = sub.add_parser("demo", help="load the demo data (departments, accounts, items, ...)")
    s.add_argument("--subjects", type=int, default=20_000)
    s.add_argument("--inspectors", type=int, default=300)
    s.set_defaults(func=cmd_demo)

    s = sub.add_parser("migrate", help="apply pending migrations with dbmate")
    s.set_defaults(func=cmd_migrate)

    s = sub.add_parser("token", help="mint a development bearer token (HS256, not in production)")
    s.add_argument("--user", required=True, help="the account's user id (the token's sub)")
    s.add_argument("--hours", type=float, default=8.0, help="lifetime in hours (default 8)")
    s.set_defaults(func=cmd_token)

    admin = sub.add_parser("admin", help="platform administration").add_subparsers(
        dest="admin_command", required=True
    )
    s = admin.add_parser(
        "create", help="bootstrap the first SYSTEM_ADMIN (refused once one exists)"
    )
    s.add_argument("--user", required=True, help="the administrator's user id (token sub)")
    s.add_argument("--name", required=True, help="display name")
    s.add_argument("--department", default="SCJG", help="department code (default SCJG)")
    s.add_argument(
        "--department-name",
        default="北京市丰台区市场监督管理局",
        help="registers the department if it does not exist yet",
    )
    s.set_defaults(func=cmd_admin_create)

    from spotcheck.cli.audit import add_parser as add_audit_parser

    add_audit_parser(sub)

    from spotcheck.cli.reviewing import add_parser as add_review_parser

    add_review_parser(sub)

    from spotcheck.cli.reporting import add_parser as add_report_parser

    add_report_parser(sub)

    from spotcheck.cli.evidence import add_parser as add_evidence_parser

    add_evidence_parser(sub)

    from spotcheck.cli.backup import add_parser as add_backup_parser

    add_backup_parser(sub)

    ledger = sub.add_parser("ledger", help="the sealed ledger").add_subparsers(
        dest="ledger_command", required=True
    )
    s = ledger.add_parser("verify", help="recompute every hash and the chain")
    s.set_defaults(func=cmd_ledger_verify)
    s = ledger.add_parser(
        "prove",
        help="check the latest signed checkpoint's signature and that the ledger extends it "
        "(root, stored subtrees, consistency proof); 1 if not",
    )
    from spotcheck.cli.backup import add_public_key_option, run_prove

    add_public_key_option(s)
    s.set_defaults(func=run_prove)

    proj = sub.add_parser(
        "projections", help="the read tables: rebuild them from the ledger, or verify them"
    ).add_subparsers(dest="projections_command", required=True)
    s = proj.add_parser(
        "rebuild", help="replay the ledger into fresh tables and swap them in (server may run)"
    )
    s.set_defaults(func=cmd_projections)
    s = proj.add_parser(
        "verify", help="replay into a scratch schema, compare with the live tables; 1 if not equal"
    )
    s.set_defaults(func=cmd_projections)

    imp = sub.add_parser(
        "import", help="bulk import a registry from CSV or JSON Lines (see docs/import.md)"
    ).add_subparsers(dest="registry", required=True)
    for registry in ("subjects", "inspectors"):
        s = imp.add_parser(registry, help=f"import {registry}; re-runs write only what changed")
        s.add_argument("file", help="a .csv (header row) or .jsonl file")
        s.add_argument(
            "--as",
            dest="as_user",
            required=True,
            help="the account the import is recorded for (its roles decide what it may change)",
        )
        s.add_argument("--reason", help="recorded with every change (default: the file name)")
        s.add_argument("--format", choices=("csv", "jsonl"), help="default: from the suffix")
        s.add_argument("--rejects", help="rejects file (default: FILE.rejects.csv)")
        s.add_argument(
            "--batch-size", type=int, default=5000, help="lines of the file per transaction"
        )
        s.add_argument("--workers", type=int, default=2, help="processes that check rows (0: none)")
        s.add_argument("--quiet", action="store_true", help="no progress bar")
        s.set_defaults(func=cmd_import)

    export = sub.add_parser("export", help="export for other systems").add_subparsers(
        dest="export_command", required=True
    )
    s = export.add_parser(
        "publications",
        help="published results and their amendments as JSON Lines, from the sealed ledger "
        "(docs/publication-feed.md)",
    )
    s.add_argument(
        "--since",
        type=int,
        default=0,
        help="the ledger position of the last entry already processed (default 0: all)",
    )
    s.add_argument("--out", help="the file to write (default: standard output)")
    s.set_defaults(func=cmd_export_publications)

    draw = sub.add_parser("draw", help="the verifiable double random draw").add_subparsers(
        dest="draw_command", required=True
    )
    s = draw.add_parser(
        "verify", help="recompute a draw transcript with no database; exit 0 only if it matches"
    )
    s.add_argument(
        "transcript", help="a full or public transcript JSON file (docs/draw-protocol.md)"
    )
    s.add_argument(
        "--full",
        help="auditors: the full transcript the public one must be derived from "
        "(with --pseudonym-key)",
    )
    s.add_argument("--pseudonym-key", help="auditors: the pseudonym key file")
    s.set_defaults(func=cmd_draw_verify)

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

    s = bench.add_parser("import", help="bulk import of N subjects against PostgreSQL COPY")
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--rows", type=int, default=1_000_000, help="subjects in the file")
    s.add_argument("--workers", type=int, default=2, help="processes that check rows (0: none)")
    s.set_defaults(func=cmd_bench_import)

    s = bench.add_parser(
        "api", help="GraphQL read throughput against bare strawberry and PostGraphile"
    )
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    s.add_argument("--seconds", type=float, default=15.0, help="measured duration of each server")
    s.add_argument("--subjects", type=int, default=20_000, help="inspection subjects to load")
    s.add_argument(
        "--variants",
        default="",
        help="also measure ours with levers undone, comma-separated (see spotcheck.cli.bench.api"
        ".VARIANTS), or 'all'",
    )
    s.add_argument(
        "--skip-postgraphile", action="store_true", help="do not run the PostGraphile peer"
    )
    s.set_defaults(func=cmd_bench_api)

    s = bench.add_parser("draw", help="commit, execute and verify a draw against ORDER BY random()")
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--subjects", type=int, default=1_000_000, help="inspection subjects to load")
    s.add_argument("--drawn", type=int, default=50_000, help="subjects drawn, over 3 strata")
    s.add_argument("--inspectors", type=int, default=2_000, help="enforcement officers to load")
    s.set_defaults(func=cmd_bench_draw)

    s = bench.add_parser(
        "scale", help="the api page with 1 and 2 server processes, and reads on a replica"
    )
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients")
    s.add_argument("--seconds", type=float, default=10.0, help="measured duration of each run")
    s.add_argument("--subjects", type=int, default=20_000, help="inspection subjects to load")
    s.set_defaults(func=cmd_bench_scale)

    s = bench.add_parser("capacity", help="the figures of docs/scaling.md: ledger, sealer, draw")
    s.add_argument("--json", action="store_true", help="JSON (the only output form)")
    s.add_argument("--events", type=int, default=100_000, help="demo events (0: no ledger part)")
    s.add_argument("--proofs", type=int, default=200, help="inclusion proofs to time")
    s.add_argument(
        "--sizes",
        type=lambda text: [int(x) for x in text.split(",") if x.strip()],
        default=[1_000_000, 10_000_000],
        help="populations of the draw part, comma-separated",
    )
    s.add_argument("--drawn", type=int, default=50_000, help="subjects drawn per population")
    s.add_argument("--inspectors", type=int, default=2_000, help="officers to match")
    s.set_defaults(func=cmd_bench_capacity)

    s = bench.add_parser("rebuild", help="rebuild every read table against an INSERT … SELECT")
    s.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    s.add_argument("--events", type=int, default=100_000, help="events to load (demo data set)")
    s.set_defaults(func=cmd_bench_rebuild)
    return p


def main(argv: list[str] | None = None) -> int:
    from spotcheck.malloc import keep_freed_memory

    keep_freed_memory()
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
