"""``spotcheck serve --workers N``: N uvicorn worker processes on one port.

The parent process does what must happen once: it owns the embedded PostgreSQL (or uses
``DATABASE_URL``), migrates, loads the demo, checks the settings by building the application
once, and binds the sockets.  Each worker is a fresh interpreter (uvicorn's supervisor, which
spawns them) that builds the same application from the environment (``worker_app``) and accepts
from the shared sockets: the kernel spreads connections over the workers.

Connections are spread by the kernel: each worker listens on a socket of its own bound to the
API's address with ``SO_REUSEPORT``, and Linux hashes every new connection to one of them.  With
one socket shared by all (uvicorn's way) whichever worker woke first accepted a whole burst:
32 keep-alive clients that connected at once all landed on one of two workers, which did 69% of
a core while the other did 1% (``spotcheck bench scale``).  The parent binds the address too,
without listening, to hold it and to refuse at once a port taken by another program; a program
of the same user that also sets ``SO_REUSEPORT`` could still join the port, so give each server
a port of its own.  The metrics socket stays one socket shared by the workers.

Each worker runs a sealer and a checkpointer, and one of each leads across every process
connected to the database (session advisory locks; ``spotcheck.eventstore.sealer`` and
``spotcheck.transparency.checkpointer``), so workers on one host and servers on many hosts
behind a load balancer behave alike.  A worker that dies (``kill -9``, a crash) is replaced by
the supervisor within about a second; if it led, PostgreSQL releases its locks as soon as its
sessions end and a standby leads within ``standby_interval`` (1 s).

Signals to the parent: SIGTERM and SIGINT stop every worker gracefully (each finishes its
requests in flight, ``SPOTCHECK_SHUTDOWN_GRACE_SECONDS``), then the embedded PostgreSQL stops;
SIGHUP does the same (as with one process) unless it was ignored (``nohup``).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
from typing import TYPE_CHECKING

from uvicorn.supervisors.multiprocess import Process

from spotcheck.config import Settings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from starlette.types import ASGIApp
    from uvicorn import Config

WORKER_APP_URL_ENV = "SPOTCHECK_WORKER_APP_DATABASE_URL"
"""Set by the parent for its workers: the database it resolved (an embedded one's socket)."""

MAX_WORKERS = 64


def build_app(
    settings: Settings, app_url: str, log_key: Ed25519PrivateKey, pseudonym_key: bytes
) -> ASGIApp:
    """The served application (with the metrics port's app beside it when configured);
    ValueError for a setting out of its rule."""
    from spotcheck.api.app import create_app
    from spotcheck.observe.metrics import ByPort

    app = create_app(
        app_url,
        tokens=settings.tokens(),
        production=settings.production,
        regions=settings.regions(),
        log_key=log_key,
        pseudonym_key=pseudonym_key,
    )
    if settings.metrics_port is not None:
        return ByPort(app, app.state.metrics_app, settings.metrics_port)
    return app


def worker_app() -> ASGIApp:
    """uvicorn's factory in each worker process: the parent checked every setting already."""
    from spotcheck.observe.logs import configure_logging
    from spotcheck.transparency.keys import signing_key_from_env
    from spotcheck.transparency.pseudonym_key import pseudonym_key_from_env

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    app_url = os.environ[WORKER_APP_URL_ENV]
    log_key = signing_key_from_env(os.environ, settings.home, production=settings.production)
    pseudonym_key = pseudonym_key_from_env(
        os.environ, settings.home, production=settings.production
    )
    return build_app(settings, app_url, log_key, pseudonym_key)


def check_workers(n: int) -> None:
    if not 1 <= n <= MAX_WORKERS:
        raise ValueError(f"--workers must be from 1 to {MAX_WORKERS}")


def reuse_port_socket(config: Config, *, listen: bool) -> socket.socket:
    """A TCP socket on the API's address with ``SO_REUSEPORT`` (listening, for a worker)."""
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    sock = socket.socket(family=family, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((config.host, config.port))
        if listen:
            sock.listen(config.backlog)
    except OSError:
        sock.close()
        raise
    return sock


class OwnSocketWorker(Process):
    """uvicorn's worker process, listening on a ``SO_REUSEPORT`` socket of its own (bound in
    the worker) besides the sockets it inherits (the metrics socket)."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # in the worker
        own = reuse_port_socket(self.config, listen=True)
        super().target([own, *(sockets or [])])


def run_workers(config: Config, app_url: str, metrics: Config | None) -> int:
    """Serve with ``config.workers`` processes until told to stop; 3 if a worker could not
    start (its error is in the log), else 0."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import multiprocess

    hangup_ignored = signal.getsignal(signal.SIGHUP) is signal.SIG_IGN

    class Supervisor(multiprocess.Multiprocess):
        def handle_hup(self) -> None:
            # uvicorn restarts the workers on SIGHUP; spotcheck serve stops, as with one
            # process (a closed terminal), and under nohup goes on.
            if not hangup_ignored:
                self.handle_term()

    os.environ[WORKER_APP_URL_ENV] = app_url
    try:
        held = reuse_port_socket(config, listen=False)
    except OSError as e:
        print(f"cannot start: {config.host}:{config.port}: {e.strerror}", file=sys.stderr)
        return 2
    sockets = [] if metrics is None else [metrics.bind_socket()]
    # The supervisor makes (and remakes, after a death) its workers with the name Process of
    # its module: ours, in this process only.
    multiprocess.Process = OwnSocketWorker  # type: ignore[misc]
    supervisor = Supervisor(config, sockets=sockets)
    try:
        supervisor.run()
    finally:
        for sock in [held, *sockets]:
            sock.close()
    failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    return 3 if failed else 0
