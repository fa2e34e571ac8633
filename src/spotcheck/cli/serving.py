"""``spotcheck serve --workers N``: N uvicorn worker processes on one port.

The parent process does what must happen once: it owns the embedded PostgreSQL (or uses
``DATABASE_URL``), migrates, loads the demo, checks the settings by building the application
once, and binds the sockets.  Each worker is a fresh interpreter (uvicorn's supervisor, which
spawns them) that builds the same application from the environment (``worker_app``) and accepts
from the shared sockets: the kernel spreads connections over the workers.

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
from typing import TYPE_CHECKING

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


def run_workers(config: Config, app_url: str, metrics: Config | None) -> int:
    """Serve with ``config.workers`` processes until told to stop; 3 if a worker could not
    start (its error is in the log), else 0."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors.multiprocess import Multiprocess

    hangup_ignored = signal.getsignal(signal.SIGHUP) is signal.SIG_IGN

    class Supervisor(Multiprocess):
        def handle_hup(self) -> None:
            # uvicorn restarts the workers on SIGHUP; spotcheck serve stops, as with one
            # process (a closed terminal), and under nohup goes on.
            if not hangup_ignored:
                self.handle_term()

    os.environ[WORKER_APP_URL_ENV] = app_url
    sockets = [config.bind_socket()]
    if metrics is not None:
        sockets.append(metrics.bind_socket())
    supervisor = Supervisor(config, sockets=sockets)
    try:
        supervisor.run()
    finally:
        for sock in sockets:
            sock.close()
    failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    return 3 if failed else 0
