"""``spotcheck serve --workers 2`` (issue 17, issue 18): real processes on one port.

One sealer and one checkpointer lead across the workers (session advisory locks, seen in
``pg_locks``); a mutation's read-back sees its own write whichever worker answers (each request
on a new connection, the serving worker found through ``/proc``); ``kill -9`` of the leading
worker: the supervisor replaces it, a standby leads within the documented bound
(``spotcheck.cli.serving``: the lock goes with the dead session, standbys retry every second),
with writers in flight, no acknowledged write is lost or written twice, and the ledger has no
gap and no event twice (the crash drill's checks, ``ledger verify`` and ``projections verify``
among them).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.resolve import EMBEDDED_DATABASE
from spotcheck.db.urls import with_database
from spotcheck.eventstore.sealer import ADVISORY_LOCK_KEY
from spotcheck.transparency.checkpointer import LEADER_LOCK_KEY
from tests.cli.processes import (
    SPOTCHECK,
    Serve,
    alive,
    cmdline,
    pids,
    ppid,
    serve_home,
    spotcheck,
    spotcheck_env,
)
from tests.cli.test_crash_drills import Burst, World, _check, _client

pytestmark = pytest.mark.drill

HANDOVER_BOUND_S = 5.0
"""The standby's retry interval (1 s) plus the supervisor's check (0.5 s), with room for a
machine shared by other tests."""

CREATE = """mutation($i: CreateAccountInput!) {
  createAccount(input: $i) { account { userId } errors { code } } }"""
READ = "query($u: String!) { account(userId: $u) { userId displayName } }"

LEADERS = """
SELECT CASE WHEN ((l.classid::bigint << 32) | l.objid::bigint) = $1 THEN 'sealer'
            ELSE 'checkpointer' END AS what,
       a.application_name
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
   AND ((l.classid::bigint << 32) | l.objid::bigint) IN ($1, $2)
"""


def workers(serve: Serve) -> list[int]:
    return sorted(
        p for p in pids() if ppid(p) == serve.proc.pid and alive(p) and b"spawn_main" in cmdline(p)
    )


def serving_worker(client_port: int, server_port: int, candidates: list[int]) -> int | None:
    """The worker holding the server end of the connection from ``client_port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    if inode is None:
        return None
    for pid in candidates:
        try:
            links = [os.readlink(f) for f in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            continue
        if f"socket:[{inode}]" in links:
            return pid
    return None


async def owner(home: Path) -> asyncpg.Connection:
    pg = EmbeddedPostgres.prepare(home / "pgdata")
    return await asyncpg.connect(with_database(pg.url(), EMBEDDED_DATABASE))


async def leaders(conn: asyncpg.Connection) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {"sealer": [], "checkpointer": []}
    for r in await conn.fetch(LEADERS, ADVISORY_LOCK_KEY, LEADER_LOCK_KEY):
        found[r["what"]].append(int(r["application_name"].rsplit(" ", 1)[1]))
    return found


async def wait_leaders(
    conn: asyncpg.Connection, among: Callable[[], list[int]], seconds: float
) -> int:
    """The worker that leads the sealer, once one of ``among()`` leads each of the two."""
    async with asyncio.timeout(seconds):
        while True:
            found = await leaders(conn)
            if len(found["sealer"]) == 1 and len(found["checkpointer"]) == 1:
                sealer, checkpointer = found["sealer"][0], found["checkpointer"][0]
                if sealer in among() and checkpointer in among():
                    return sealer
            assert len(found["sealer"]) <= 1 and len(found["checkpointer"]) <= 1, found
            await asyncio.sleep(0.02)


@pytest.fixture
def home() -> Iterator[Path]:
    with serve_home() as h:
        made = spotcheck(h, "admin", "create", "--user", "admin", "--name", "多进程管理员")
        assert made.returncode == 0, made.stdout + made.stderr
        yield h


def token(home: Path) -> str:
    return spotcheck(home, "token", "--user", "admin", "--hours", "1").stdout.strip()


def account(uid: str) -> dict[str, object]:
    return {"userId": uid, "displayName": f"进程{uid}", "department": "SCJG", "roles": []}


async def write_and_read_back(serve: Serve, bearer: str, uid: str, seen: dict[int, int]) -> None:
    """Create, then read back, each on a new connection; count which worker answered each."""
    headers = {"Authorization": f"Bearer {bearer}"}
    for body in (
        {"query": CREATE, "variables": {"i": account(uid)}},
        {"query": READ, "variables": {"u": uid}},
    ):
        async with httpx.AsyncClient(base_url=serve.url, headers=headers, timeout=20) as http:
            r = await http.post("/graphql", json=body)
            assert r.status_code == 200, r.text
            data = r.json()["data"]
            if "createAccount" in data:
                assert data["createAccount"]["errors"] == [], r.text
            else:
                assert data["account"] == {"userId": uid, "displayName": f"进程{uid}"}, r.text
            # Asked while the connection is still open (kept alive in the client's pool).
            client_port = r.extensions["network_stream"].get_extra_info("client_addr")[1]
            worker = serving_worker(client_port, serve.port, workers(serve))
            if worker is not None:
                seen[worker] = seen.get(worker, 0) + 1


async def test_two_workers_one_leader_reads_their_writes_and_hand_over_on_kill(
    home: Path,
) -> None:
    serve = Serve(home, "--workers", "2")
    serve.wait_ready()
    bearer = token(home)
    conn = await owner(home)
    try:
        async with asyncio.timeout(60):
            while len(workers(serve)) < 2:
                await asyncio.sleep(0.05)
        first = workers(serve)
        leader = await wait_leaders(conn, lambda: first, 60)
        async with httpx.AsyncClient(base_url=serve.url, timeout=10) as plain:
            body = (await plain.get("/readyz")).json()
        assert body["checks"]["sealer"]["role"] in ("leader", "standby"), body
        assert body["checks"]["checkpoint"]["role"] in ("leader", "standby"), body

        # Read-your-writes on either worker: new connections until both have answered.
        seen: dict[int, int] = {}
        n = 0
        async with asyncio.timeout(120):
            while len(seen) < 2 or n < 10:
                await write_and_read_back(serve, bearer, f"w-{n}", seen)
                n += 1
        assert set(seen) == set(first), (seen, first)

        # kill -9 of the leading worker with writes in flight (the crash drill's writers,
        # each on a keep-alive connection: those on the killed worker are left in doubt and
        # sent again with their idempotency keys by the drill's check).
        burst, stop = Burst(), asyncio.Event()
        writers = [
            asyncio.create_task(_client(serve.url, bearer, f"k-{c}", burst, stop)) for c in range(8)
        ]
        async with asyncio.timeout(60):
            while len(burst.acked) < 40:
                await asyncio.sleep(0.005)
        os.kill(leader, signal.SIGKILL)
        killed_at = time.monotonic()
        survivor = next(p for p in first if p != leader)
        new_leader = await wait_leaders(
            conn, lambda: [p for p in workers(serve) if p != leader], 30
        )
        handover = time.monotonic() - killed_at
        acked_at_kill = len(burst.acked)
        async with asyncio.timeout(60):
            while len(burst.acked) < acked_at_kill + 40:
                await asyncio.sleep(0.005)
        stop.set()
        await asyncio.gather(*writers)
        print(f"\n[workers] leader {leader} killed; {new_leader} leads after {handover:.2f} s")
        assert new_leader != leader
        assert handover <= HANDOVER_BOUND_S, f"handover took {handover:.2f} s"
        async with asyncio.timeout(60):
            while leader in workers(serve) or len(workers(serve)) < 2:
                await asyncio.sleep(0.02)
        assert survivor in workers(serve)
        figures = await _check(World(home, bearer), serve, [burst], "kill -9 of the leading worker")
        assert figures["refused"] == 0
    finally:
        await conn.close()
    assert serve.stop(signal.SIGTERM) == 0, serve.output()


def test_workers_refuse_a_port_another_program_listens_on(home: Path) -> None:
    """Each worker binds the port with SO_REUSEPORT; the parent binds it first, so a port held
    by a program without that option is refused at once rather than by every worker."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(SPOTCHECK), "serve", "--workers", "2"],
            env=spotcheck_env(home, SPOTCHECK_PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot start: 127.0.0.1:{port}" in done.stderr, done.stderr
