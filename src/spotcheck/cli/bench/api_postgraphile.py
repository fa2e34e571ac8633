"""PostGraphile, the second peer of ``spotcheck bench api`` (issue 17).

PostGraphile 4 (npm ``postgraphile``, pinned) is installed on first use with npm into a folder
of its own under the user's cache (``$XDG_CACHE_HOME/spotcheck/node/postgraphile-VERSION``, else
``~/.cache/…``): never globally, and nothing is fetched while the benchmark runs.  It serves, in
one Node.js process (``api_postgraphile.mjs``), the views this module makes in schema
``spotcheck_bench`` over our read tables (subjects, departments) and a table of the configured
regions, as the server's role ``spotcheck_app``.  Its query asks for the same page as ours: 50
subjects in key order, the same 8 fields with region and maintaining department, walked by
keyset (``after`` its own cursor); the bench checks that its first pages hold the same nodes as
ours, in the same order.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from spotcheck.cli.bench.api_servers import Server, subprocess_server, typename
from spotcheck.db.urls import APP_ROLE
from spotcheck.domain.regions import Regions

VERSION = "4.14.1"
SCHEMA = "spotcheck_bench"
SCRIPT = Path(__file__).with_name("api_postgraphile.mjs")
INSTALL_TIMEOUT = 600.0

# The bench's page, in PostGraphile's schema: aliases give ours field names.
QUERY = (
    "query Page($after: Cursor) { subjects: allSubjects(first: 50, after: $after,"
    " orderBy: PRIMARY_KEY_ASC) { nodes { key name kind region: regionByRegion { code name }"
    " industry status riskClass address maintainingDepartment:"
    " departmentByMaintainingDepartment { code name } } pageInfo { endCursor hasNextPage } } }"
)

VIEWS = f"""
DROP SCHEMA IF EXISTS {SCHEMA} CASCADE;
CREATE SCHEMA {SCHEMA};
CREATE TABLE {SCHEMA}.regions (code text PRIMARY KEY, name text NOT NULL);
CREATE VIEW {SCHEMA}.departments AS SELECT id AS code, name FROM public.departments;
CREATE VIEW {SCHEMA}.subjects AS
    SELECT id AS key, name, kind, region, industry, status, risk_class,
           state->>'address' AS address, maintaining_department
      FROM public.subjects;
COMMENT ON VIEW {SCHEMA}.departments IS E'@primaryKey code';
COMMENT ON VIEW {SCHEMA}.subjects IS E'@primaryKey key\\n'
    '@foreignKey (region) references {SCHEMA}.regions (code)\\n'
    '@foreignKey (maintaining_department) references {SCHEMA}.departments (code)';
GRANT USAGE ON SCHEMA {SCHEMA} TO {APP_ROLE};
GRANT SELECT ON ALL TABLES IN SCHEMA {SCHEMA} TO {APP_ROLE};
"""


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "spotcheck" / "node" / f"postgraphile-{VERSION}"


def installed(folder: Path) -> bool:
    return (folder / "node_modules" / "postgraphile" / "package.json").is_file()


def unavailable_reason() -> str | None:
    """Why the peer cannot run here (no node or npm), else None."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing and not (shutil.which("node") and installed(cache_dir())):
        return f"{' and '.join(missing)} not found: PostGraphile {VERSION} cannot be installed"
    return None


def ensure_installed(log: Callable[[str], None]) -> Path:
    """The folder whose ``node_modules`` holds postgraphile VERSION, installed if missing
    (one installer at a time: a lock file in the folder)."""
    folder = cache_dir()
    if installed(folder):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(f"npm is needed to install PostGraphile {VERSION}")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not installed(folder):
                log(f"installing PostGraphile {VERSION} with npm into {folder}")
                (folder / "package.json").write_text('{"private": true}\n')
                subprocess.run(
                    [
                        npm,
                        "install",
                        "--no-audit",
                        "--no-fund",
                        "--silent",
                        f"postgraphile@{VERSION}",
                    ],
                    cwd=folder,
                    check=True,
                    timeout=INSTALL_TIMEOUT,
                    stdin=subprocess.DEVNULL,
                )
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


async def make_views(owner: asyncpg.Connection, regions: Regions) -> None:
    """The schema PostGraphile serves: views over our read tables, the configured regions."""
    async with owner.transaction():
        await owner.execute(VIEWS)
        await owner.executemany(
            f"INSERT INTO {SCHEMA}.regions (code, name) VALUES ($1, $2)",
            [(r.code, r.name) for r in regions.values()],
        )
        await owner.execute(f"ANALYZE {SCHEMA}.regions")


@asynccontextmanager
async def postgraphile_server(folder: Path, app_url: str) -> AsyncIterator[Server]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed to run PostGraphile")
    env = {
        "SPOTCHECK_BENCH_NODE_MODULES": str(folder / "node_modules"),
        "SPOTCHECK_BENCH_DATABASE_URL": app_url,
        "SPOTCHECK_BENCH_SCHEMA": SCHEMA,
        "NODE_ENV": "production",
    }
    async with subprocess_server("postgraphile", [node, str(SCRIPT)], env, typename) as server:
        yield server


def version_installed(folder: Path) -> str | None:
    with contextlib.suppress(OSError, ValueError):
        import orjson

        data = orjson.loads(
            (folder / "node_modules" / "postgraphile" / "package.json").read_bytes()
        )
        return str(data["version"])
    return None
