"""Process control for ``spotcheck bench api``: each server (ours, the reference) runs in a
uvicorn subprocess of its own process group, on a socket the benchmark binds and hands over, and
is stopped (SIGTERM, then SIGKILL) when its block ends, also when the benchmark dies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast, get_args

import httpx
import orjson

from spotcheck.auth.tokens import TokenSettings
from spotcheck.cli.bench.api_reference import reference_app
from spotcheck.cli.bench.common import logger

READY_QUERY = "{ __typename }"
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 15.0
BACKLOG = 1024

# The launcher's settings travel in the environment, never on the command line.
ENV_APP = "SPOTCHECK_BENCH_APP"
ENV_FD = "SPOTCHECK_BENCH_FD"
ENV_DATABASE_URL = "SPOTCHECK_BENCH_DATABASE_URL"
ENV_JWT_SECRET = "SPOTCHECK_BENCH_JWT_SECRET"
ENV_ROWS = "SPOTCHECK_BENCH_ROWS_FILE"
ENV_PARENT = "SPOTCHECK_BENCH_PARENT_PID"
# A variant of our server (api.VARIANTS): uvicorn's loop and HTTP parser, the pool's reset.
ENV_LOOP = "SPOTCHECK_BENCH_LOOP"
ENV_HTTP = "SPOTCHECK_BENCH_HTTP"
ENV_POOL_RESET = "SPOTCHECK_BENCH_POOL_RESET"
ENV_GC_FREEZE = "SPOTCHECK_BENCH_GC_FREEZE"
Loop = Literal["auto", "asyncio", "uvloop"]
Http = Literal["auto", "h11", "httptools"]
LAUNCHER = "import sys; from spotcheck.cli.bench.api_servers import serve; sys.exit(serve())"

log = logger("api")


def bench_tokens(secret: bytes) -> TokenSettings:
    return TokenSettings(
        algorithm="HS256", secret=secret, public_key=None, issuer=None, audience=None
    )


def _exit_with_parent(parent: int) -> None:
    """If the benchmark dies without stopping us (SIGKILL), stop too: SIGTERM to ourselves."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve() -> int:
    """The subprocess: serve ``SPOTCHECK_BENCH_APP`` (ours / reference) on the inherited socket."""
    import uvicorn

    _exit_with_parent(int(os.environ[ENV_PARENT]))
    sock = socket.socket(fileno=int(os.environ[ENV_FD]))
    app: Any
    lifespan: Literal["on", "off"]
    if os.environ[ENV_APP] == "ours":
        from spotcheck.api.app import create_app

        secret = bytes.fromhex(os.environ[ENV_JWT_SECRET])
        # No rate limit: the bench's 32 clients are one address sending as fast as they can.
        app = create_app(
            os.environ[ENV_DATABASE_URL],
            tokens=bench_tokens(secret),
            run_sealer=True,
            rate_limit=None,
            pool_reset="full" if os.environ.get(ENV_POOL_RESET) == "full" else "transaction",
            freeze_gc=os.environ.get(ENV_GC_FREEZE) != "off",
        )
        lifespan = "on"
    else:
        app = reference_app(orjson.loads(Path(os.environ[ENV_ROWS]).read_bytes()))
        lifespan = "off"
    # "auto" (uvicorn's default, as in ``spotcheck serve``): uvloop and httptools if installed.
    loop = cast(Loop, os.environ.get(ENV_LOOP) or "auto")
    http = cast(Http, os.environ.get(ENV_HTTP) or "auto")
    if loop not in get_args(Loop) or http not in get_args(Http):
        raise SystemExit(f"unknown loop {loop!r} or HTTP parser {http!r}")
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan=lifespan,
        workers=1,
        backlog=BACKLOG,
        loop=loop,
        http=http,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0


@dataclass
class Server:
    name: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_file: IO[bytes]

    def log_tail(self) -> str:
        return _tail(self.log_file)


def _tail(log_file: IO[bytes], limit: int = 4000) -> str:
    log_file.flush()
    log_file.seek(0)
    return log_file.read().decode(errors="replace")[-limit:]


def _listening_socket() -> socket.socket:
    """127.0.0.1 on a port the kernel picks; the child inherits it, so no other can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the subprocess's group (uvicorn shuts down gracefully), SIGKILL if it lingers.

    Only while the leader is not yet reaped: until then its pid, the group's id, is not reused.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(STOP_TIMEOUT)


async def _wait_ready(
    server: Server, http: httpx.AsyncClient, probe: Callable[[httpx.AsyncClient], Awaitable[bool]]
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"the {server.name} server exited with status {server.process.returncode}:\n"
                + server.log_tail()
            )
        with contextlib.suppress(httpx.HTTPError):
            if await probe(http):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"the {server.name} server was not ready in {READY_TIMEOUT:g} s:\n"
                + server.log_tail()
            )
        await asyncio.sleep(0.1)


@asynccontextmanager
async def uvicorn_server(
    name: str,
    env: dict[str, str],
    probe: Callable[[httpx.AsyncClient], Awaitable[bool]],
    label: str | None = None,
) -> AsyncIterator[Server]:
    """A uvicorn subprocess serving ``name`` (ours, reference) until the block ends (killed even
    on error); ``label`` names it in the log and the figures (default: ``name``)."""
    async with subprocess_server(
        label or name, [sys.executable, "-c", LAUNCHER], {**env, ENV_APP: name}, probe
    ) as server:
        yield server


@asynccontextmanager
async def subprocess_server(
    name: str,
    argv: list[str],
    env: dict[str, str],
    probe: Callable[[httpx.AsyncClient], Awaitable[bool]],
) -> AsyncIterator[Server]:
    """``argv`` serving on the socket in ``SPOTCHECK_BENCH_FD`` until the block ends (killed
    even on error); its stdin is a pipe that closes when the benchmark dies."""
    sock = _listening_socket()
    port = sock.getsockname()[1]
    log_file = tempfile.TemporaryFile()  # closed below
    process: subprocess.Popen[bytes] | None = None
    try:
        child_env = {
            **os.environ,
            **env,
            ENV_FD: str(sock.fileno()),
            ENV_PARENT: str(os.getpid()),
        }
        process = await asyncio.to_thread(
            subprocess.Popen,
            argv,
            env=child_env,
            pass_fds=(sock.fileno(),),
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, killed as one
        )
        sock.close()  # the child holds it now
        server = Server(name, f"http://127.0.0.1:{port}", process, log_file)
        log(f"{name} server: pid {process.pid}, {server.base_url}")
        async with httpx.AsyncClient(base_url=server.base_url, timeout=10.0) as http:
            await _wait_ready(server, http, probe)
        yield server
    finally:
        sock.close()
        if process is not None:
            await asyncio.to_thread(_stop_process, process)
            if process.stdin is not None:
                process.stdin.close()
            output = _tail(log_file).strip()
            if output:
                log(f"{name} server output:\n{output}")
        log_file.close()


async def healthz(http: httpx.AsyncClient) -> bool:
    return (await http.get("/healthz")).status_code == 200


async def typename(http: httpx.AsyncClient) -> bool:
    r = await http.post("/graphql", json={"query": READY_QUERY})
    return r.status_code == 200 and "errors" not in r.json()
