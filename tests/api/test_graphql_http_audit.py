"""GraphQL over HTTP, checked by its conformance audit: the npm package ``graphql-http``'s
``auditServer`` against the real server on uvicorn, expecting every check ok (no error, no
warning).  The package is installed with npm on first use into ``tests/.node`` (Node.js and npm
come with the machine; a machine without them fails here, naming what is missing)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from spotcheck.api.app import create_app
from tests.api.conftest import TOKENS
from tests.conftest import Db
from tests.installs import NODE_DIR, npm_install

PACKAGES = ["graphql-http@1.23.1", "graphql@16.15.0"]
AUDIT = """
import { auditServer } from 'graphql-http';
const results = await auditServer({ url: process.argv[2] });
console.log(JSON.stringify(results.map((r) => ({ id: r.id, status: r.status, name: r.name,
  reason: r.status === 'ok' ? undefined : r.reason }))));
"""


def _tool() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("the GraphQL-over-HTTP audit needs Node.js and npm (Debian: nodejs, npm)")
    npm_install(PACKAGES, NODE_DIR / "node_modules" / "graphql-http")
    script = NODE_DIR / "audit.mjs"
    script.write_text(AUDIT)
    return script


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(db: Db) -> AsyncIterator[str]:
    app = create_app(db.app_url, tokens=TOKENS, run_sealer=False, rate_limit=None)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        # uvicorn waits for open connections without end unless told otherwise: bounded here.
        async with asyncio.timeout(30):
            await task


async def test_the_graphql_over_http_audit_passes(db: Db) -> None:
    script = await asyncio.to_thread(_tool)
    async with serving(db) as url:
        proc = await asyncio.create_subprocess_exec(
            "node", str(script), url, cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE
        )
        async with asyncio.timeout(120):
            out, _ = await proc.communicate()
    assert proc.returncode == 0
    results = json.loads(out)
    assert len(results) > 50  # the audit ran (61 checks in graphql-http 1.23.1)
    assert [r for r in results if r["status"] != "ok"] == []
