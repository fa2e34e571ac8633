"""The public site over the demo data: one database per test module, loaded once.

The demo (``spotcheck.demo``, small sizes) gives a plan, a task, an executed draw with teams,
published results and a case inspection.  On top of it, through the same services staff use:
one published result is amended (更正) and the abnormal-operation proposal of the result coded 6
is confirmed (经营异常名录), so the credit record pages show both.  The server signs the log
with a key made here; the fixture waits until a checkpoint covers the whole ledger.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.applications import Starlette

from spotcheck.api.app import create_app
from spotcheck.demo.load import load_demo
from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import inspection as i
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.regions import Regions
from spotcheck.services import inspections, publications
from spotcheck.services.runner import Caller, CommandRunner
from tests.api.conftest import TOKENS
from tests.conftest import Db
from tests.dbutil import Cluster, drop_database, fresh_database

ADMIN = Caller(
    actor=Actor(user_id="scjg-admin", department="SCJG", roles=frozenset({Role.DEPARTMENT_ADMIN})),
    request_id="site-test",
)
AMEND_REASON = "复查确认已改正"


@dataclass
class Site:
    app: Starlette
    db: Db
    key: Ed25519PrivateKey
    task_id: str
    draw_number: int
    amended: str
    """Subject key of the amended result."""
    listed: str | None
    """Subject key of the subject listed in the 经营异常名录."""
    name: str
    uscc: str
    """A published subject's name and USCC, to search for."""


async def _state(runner: CommandRunner, key: str) -> i.Inspection:
    events = await runner.store.read_stream(i.SPEC.stream_id(key))
    state = i.SPEC.fold(i.SPEC.decode(e.event_type, e.schema_version, e.data) for e in events)
    assert state is not None
    return state


async def _extras(app: Starlette) -> tuple[str, str | None]:
    """Amend one published result (to code E) and confirm the proposal of the one coded 6."""
    pool = app.state.pool
    runner: CommandRunner = app.state.runner
    rows = await pool.fetch(
        "SELECT id, subject_key FROM published_results WHERE origin = 'RANDOM' ORDER BY id"
    )
    amended: str | None = None
    for r in rows:
        state = await _state(runner, r["id"])
        first = state.results[0]
        if first.code is i.ResultCode.R1:
            result = msgspec.structs.replace(
                first, code=i.ResultCode.E, findings="复查发现问题，已责令改正并改正"
            )
            command = i.AmendInspectionResult(
                inspection_id=r["id"], result=result, reason=AMEND_REASON
            )
            await inspections.handle(runner, ADMIN, command)
            amended = r["subject_key"]
            break
    assert amended is not None, "the demo published no result coded 1"
    proposal = await pool.fetchrow(
        "SELECT id, subject_key FROM abnormal_operation_proposals ORDER BY id LIMIT 1"
    )
    listed = None
    if proposal is not None:
        await publications.decide_listing(
            runner, ADMIN, al.ConfirmAbnormalListing(inspection_id=proposal["id"])
        )
        listed = proposal["subject_key"]
    return amended, listed


async def _wait_for_checkpoint(app: Starlette) -> None:
    pool = app.state.pool
    async with asyncio.timeout(60):
        while True:
            head = await pool.fetchval("SELECT coalesce(max(position), 0) FROM ledger")
            unsealed = await pool.fetchval(
                "SELECT count(*) FROM events WHERE seq NOT IN (SELECT seq FROM ledger)"
            )
            size = await pool.fetchval("SELECT coalesce(max(tree_size), 0) FROM log_checkpoints")
            if unsealed == 0 and size == head and head > 0:
                return
            await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def site(cluster: Cluster) -> AsyncIterator[Site]:
    name = await fresh_database(cluster)
    db = Db(name, cluster.owner(name), cluster.app(name))
    key = Ed25519PrivateKey.generate()
    app = create_app(
        db.app_url, tokens=TOKENS, log_key=key, rate_limit=None, collect_evidence=False
    )
    try:
        async with app.router.lifespan_context(app):
            await load_demo(app.state.runner, Regions.load(), subjects=1500, inspector_count=60)
            amended, listed = await _extras(app)
            await _wait_for_checkpoint(app)
            draw = await app.state.pool.fetchrow(
                "SELECT id AS task_id, draw_count AS number FROM draws "
                "WHERE last_status = 'EXECUTED' LIMIT 1"
            )
            found = await app.state.pool.fetchrow(
                "SELECT subject_name, uscc FROM published_results WHERE uscc IS NOT NULL "
                "ORDER BY id LIMIT 1"
            )
            yield Site(
                app=app,
                db=db,
                key=key,
                task_id=draw["task_id"],
                draw_number=draw["number"],
                amended=amended,
                listed=listed,
                name=found["subject_name"],
                uscc=found["uscc"],
            )
    finally:
        await drop_database(cluster, name)


@pytest.fixture
async def client(site: Site) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=site.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://spotcheck.test") as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """The app (its lifespan already entered) on a real uvicorn at 127.0.0.1."""
    port = free_port()
    config: Any = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        # uvicorn waits for open connections without end unless told otherwise: bounded here.
        async with asyncio.timeout(30):
            await task
