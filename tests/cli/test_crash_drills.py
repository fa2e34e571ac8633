"""Crash drills (issue 13): a real ``spotcheck serve`` on its embedded PostgreSQL takes a burst of
concurrent mutations from 16 clients, and something is killed outright in the middle of it.

- ``kill -9`` of the server at three points of the burst, each followed by a restart;
- ``kill -9`` of the postmaster: while it is gone every request is answered at once with 503
  ``DATABASE_UNAVAILABLE`` (no 500, no hang) and ``/readyz`` says not ready; when it is back the
  server serves again without a restart.

After each: every mutation whose response arrived acknowledged is in the ledger exactly once; every
one left in doubt (no answer, or a 503 that may have come as its COMMIT was cut off) is sent again
with its idempotency key and is then in the ledger exactly once too; no mutation is in it twice,
the ledger has no gap (``spotcheck ledger verify``, which also finds a committed event never
sealed), the read tables equal a rebuild (``spotcheck projections verify``), and the sealer seals
what is written after the restart.  Each test prints its figures (``-s`` shows them).  Run them
alone with ``pytest -m drill``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.resolve import EMBEDDED_DATABASE
from spotcheck.db.urls import with_database
from tests.cli.processes import Serve, serve_home, spotcheck

pytestmark = pytest.mark.drill

CLIENTS = 16
CREATE = """mutation($i: CreateAccountInput!) {
  createAccount(input: $i) { account { userId } errors { code field message } } }"""
STATUS = "{ ledgerStatus { headPosition unsealedCount } }"


@dataclass
class World:
    home: Path
    token: str

    @property
    def datadir(self) -> Path:
        return self.home / "pgdata"

    def serve(self) -> Serve:
        serve = Serve(self.home)
        serve.wait_ready()
        return serve


@pytest.fixture
def world() -> Iterator[World]:
    with serve_home() as home:
        made = spotcheck(home, "admin", "create", "--user", "admin", "--name", "演练管理员")
        assert made.returncode == 0, made.stdout + made.stderr
        token = spotcheck(home, "token", "--user", "admin", "--hours", "1").stdout.strip()
        yield World(home, token)


@dataclass
class Burst:
    """What the clients saw.  ``acked``: an answer with no errors; ``refused``: an answer with a
    status or typed error (nothing written); ``unanswered``: no answer (the server was killed
    with the request in flight: it may or may not have been written)."""

    acked: list[str] = field(default_factory=list)
    refused: list[tuple[str, int, str]] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    slowest: float = 0.0

    @property
    def attempted(self) -> list[str]:
        return self.acked + [r[0] for r in self.refused] + self.unanswered


def _account(uid: str) -> dict[str, Any]:
    return {
        "userId": uid,
        "displayName": "演练",
        "department": "SCJG",
        "roles": [],
        "idempotencyKey": f"drill-{uid}",
    }


async def _resend_in_doubt(url: str, token: str, bursts: list[Burst]) -> int:
    """Send every request left in doubt again, with its idempotency key: each must now be
    acknowledged (the first result if it had committed, a new write if not)."""
    headers = {"Authorization": f"Bearer {token}"}
    doubtful = [u for b in bursts for u in b.unanswered + [r[0] for r in b.refused if r[1] == 503]]
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=20) as http:
        for uid in doubtful:
            r = await http.post(
                "/graphql", json={"query": CREATE, "variables": {"i": _account(uid)}}
            )
            assert r.status_code == 200, r.text
            assert r.json()["data"]["createAccount"]["errors"] == [], r.text
    return len(doubtful)


async def _client(url: str, token: str, tag: str, burst: Burst, stop: asyncio.Event) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=20) as http:
        n = 0
        while not stop.is_set():
            uid = f"{tag}-{n}"
            n += 1
            variables = {"i": _account(uid)}
            started = time.monotonic()
            try:
                r = await http.post("/graphql", json={"query": CREATE, "variables": variables})
            except httpx.HTTPError:
                burst.unanswered.append(uid)
                await asyncio.sleep(0.05)  # the server is gone; do not spin
                continue
            burst.slowest = max(burst.slowest, time.monotonic() - started)
            body = r.json()
            payload = (body.get("data") or {}).get("createAccount")
            if r.status_code == 200 and payload is not None and payload["errors"] == []:
                burst.acked.append(uid)
            else:
                codes = [e.get("extensions", {}).get("code", "") for e in body.get("errors", [])]
                codes += [e["code"] for e in (payload or {}).get("errors", [])]
                burst.refused.append((uid, r.status_code, ",".join(codes)))
                if r.status_code == 503:
                    await asyncio.sleep(0.05)


async def _owner(world: World) -> asyncpg.Connection:
    pg = EmbeddedPostgres.prepare(world.datadir)
    return await asyncpg.connect(with_database(pg.url(), EMBEDDED_DATABASE))


async def _wait_sealed(url: str, token: str, seconds: float = 60) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as http:
        while True:
            r = await http.post("/graphql", json={"query": STATUS})
            status = r.json()["data"]["ledgerStatus"]
            if status["unsealedCount"] == 0:
                return int(status["headPosition"])
            assert time.monotonic() < deadline, f"still unsealed after {seconds} s: {status}"
            await asyncio.sleep(0.1)


async def _check(world: World, serve: Serve, bursts: list[Burst], what: str) -> dict[str, Any]:
    """The drill's invariants, with its figures."""
    resent = await _resend_in_doubt(serve.url, world.token, bursts)
    head = await _wait_sealed(serve.url, world.token)
    conn = await _owner(world)
    try:
        attempted = [uid for b in bursts for uid in b.attempted]
        written = {
            r["stream_id"].removeprefix("account-"): r["n"]
            for r in await conn.fetch(
                "SELECT stream_id, count(*) AS n FROM events e JOIN ledger l ON l.seq = e.seq"
                " WHERE event_type = 'AccountCreated' AND stream_id = ANY($1::text[])"
                " GROUP BY stream_id",
                [f"account-{uid}" for uid in attempted],
            )
        }
        rows = await conn.fetch("SELECT id FROM accounts WHERE id = ANY($1::text[])", attempted)
        in_table = {r["id"] for r in rows}
        positions = await conn.fetchrow("SELECT count(*) AS n, max(position) AS top FROM ledger")
    finally:
        await conn.close()
    acked = [uid for b in bursts for uid in b.acked]
    refused = [r for b in bursts for r in b.refused]
    figures = {
        "drill": what,
        "acknowledged": len(acked),
        "refused": len(refused),
        "unanswered": sum(len(b.unanswered) for b in bursts),
        "sent again": resent,
        "acknowledged lost": sum(1 for uid in acked if written.get(uid) != 1),
        "not written once after resending": sum(1 for uid in attempted if written.get(uid) != 1),
        "duplicates": sum(1 for n in written.values() if n > 1),
        "refused (not 503) but written": sum(1 for r in refused if r[1] != 503 and r[0] in written),
        "gaps": int(positions["top"] or 0) - int(positions["n"]),
        "read table differs": len(set(written) ^ in_table),
        "ledger head": head,
    }
    print(f"\n[drill] {figures}")
    assert figures["acknowledged lost"] == 0, figures
    assert figures["duplicates"] == 0, figures
    assert figures["not written once after resending"] == 0, figures
    assert figures["refused (not 503) but written"] == 0, figures
    assert figures["gaps"] == 0, figures
    assert figures["read table differs"] == 0, figures
    for command in (("ledger", "verify"), ("projections", "verify")):
        done = spotcheck(world.home, *command)
        assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return figures


@pytest.mark.parametrize("kill_after_acks", [1, 40, 150])
async def test_kill_9_of_the_server_loses_no_acknowledged_write(
    world: World, kill_after_acks: int
) -> None:
    serve = world.serve()
    burst, stop = Burst(), asyncio.Event()
    clients = [
        asyncio.create_task(_client(serve.url, world.token, f"k{kill_after_acks}-{c}", burst, stop))
        for c in range(CLIENTS)
    ]
    deadline = time.monotonic() + 60
    while len(burst.acked) < kill_after_acks and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    assert len(burst.acked) >= kill_after_acks, (burst.refused[:5], serve.output()[-2000:])
    serve.proc.kill()  # kill -9, requests in flight
    serve.proc.wait(30)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*clients)

    again = world.serve()  # adopts the PostgreSQL the killed one left running
    after = Burst()
    await _client_once(again.url, world.token, f"after-{kill_after_acks}", after)
    assert after.acked and not after.refused, after.refused  # sealed after the restart too
    figures = await _check(world, again, [burst, after], f"kill -9 serve after {kill_after_acks}")
    assert figures["refused"] == 0  # nothing but the kill happened to these requests
    again.stop(signal.SIGTERM)


async def _client_once(url: str, token: str, tag: str, burst: Burst) -> None:
    stop = asyncio.Event()

    async def one() -> None:
        await _client(url, token, tag, burst, stop)

    task = asyncio.create_task(one())
    deadline = time.monotonic() + 30
    while not burst.attempted and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    stop.set()
    await task


async def test_kill_9_of_postgresql_answers_503_and_recovers(world: World) -> None:
    serve = world.serve()
    burst, stop = Burst(), asyncio.Event()
    clients = [
        asyncio.create_task(_client(serve.url, world.token, f"pg-{c}", burst, stop))
        for c in range(CLIENTS)
    ]
    deadline = time.monotonic() + 60
    while len(burst.acked) < 40 and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    postmaster = int((world.datadir / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    killed_at = len(burst.acked)

    # While it is gone: answered, at once, with a typed 503; not ready.
    await asyncio.sleep(1.5)
    async with httpx.AsyncClient(base_url=serve.url, timeout=10) as http:
        ready = await http.get("/readyz")
        public = await http.post("/graphql", json={"query": "{ departments { nodes { code } } }"})
    assert ready.status_code == 503, ready.text
    assert public.status_code == 503, public.text
    assert public.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    assert int(public.headers["retry-after"]) >= 1
    outage = [r for r in burst.refused if r[1] == 503]
    assert outage, "no request was answered while the database was gone"
    assert {r[2] for r in outage} == {"DATABASE_UNAVAILABLE"}, outage[:5]
    failed = [r for r in burst.refused if r[1] >= 500 and r[1] != 503]
    assert not failed, (failed[:5], serve.output()[-3000:])

    # Back (as an operator or a supervisor would bring it): the same server serves again.
    EmbeddedPostgres.prepare(world.datadir).start()
    deadline = time.monotonic() + 60
    while len(burst.acked) < killed_at + 40 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    await asyncio.gather(*clients)
    assert len(burst.acked) >= killed_at + 40, "the server did not recover by itself"
    async with httpx.AsyncClient(base_url=serve.url, timeout=10) as http:
        assert (await http.get("/readyz")).status_code == 200
    assert burst.slowest < 15, f"a request took {burst.slowest:.1f} s"
    figures = await _check(world, serve, [burst], "kill -9 postmaster")
    assert figures["unanswered"] == 0  # the server itself never went away
    serve.stop(signal.SIGTERM)
