"""Which PostgreSQL to use: ``DATABASE_URL`` when set, else the embedded server.

Who stops the embedded server: the process that started it, and ``serve``, which owns its
home's server while it runs (an exclusive lock on ``SPOTCHECK_HOME/serve.lock``, which the
kernel releases however the process ends).  It is stopped (``pg_ctl stop -m fast``) on every
way out Python sees, including a signal that arrives while the server is still starting.

What a process that is killed outright (``kill -9``) leaves is handled by the next ``serve``
on that home, the way a user would expect of a server that owns its database:

* its PostgreSQL, still running, is adopted rather than restarted (no clients are cut off,
  e.g. a ``spotcheck demo`` still loading), and stopped when that ``serve`` stops;
* a ``postmaster.pid`` whose postmaster was killed too is removed once that process is gone
  (``EmbeddedPostgres._clear_stale_pid_file``), and the server starts over it, recovering from
  its WAL as after a crash;
* the scratch folder of an initdb cut short is removed, and initdb runs again.

A second ``serve`` while one runs is refused; a command such as ``spotcheck demo`` run beside a
``serve`` uses its server and leaves it running.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field

from spotcheck.config import Settings
from spotcheck.db.embedded import EmbeddedPostgres
from spotcheck.db.urls import APP_ROLE, app_url_from, with_database, with_user

EMBEDDED_DATABASE = "spotcheck"


@dataclass(frozen=True)
class DatabaseUrls:
    owner: str
    app: str
    embedded: EmbeddedPostgres | None = None
    started_here: bool = False
    """True when this process started the embedded server, or owns it (``serve``): it stops it."""
    owner_lock: int | None = field(default=None, compare=False)
    """The descriptor holding ``serve.lock`` (``serve`` only)."""

    def release(self) -> None:
        """Stop the embedded server if this process started or owns it; leave a shared one."""
        try:
            if self.embedded is not None and self.started_here:
                self.embedded.stop()
        finally:
            if self.owner_lock is not None:
                os.close(self.owner_lock)


class HomeInUse(RuntimeError):
    """Another ``spotcheck serve`` runs on this home."""


def _own_home(settings: Settings) -> int:
    settings.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(settings.home / "serve.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise HomeInUse(
            f"another spotcheck serve is running on {settings.home} (it holds serve.lock); "
            "stop it first, or set SPOTCHECK_HOME to another folder"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def resolve(settings: Settings, *, own: bool = False) -> DatabaseUrls:
    """The database; ``own`` (``serve``): take the home's embedded server for this process's
    lifetime, adopting one left running by a killed ``serve``."""
    if settings.database_url:
        owner = settings.database_url
        return DatabaseUrls(owner=owner, app=settings.app_database_url or app_url_from(owner))
    lock = _own_home(settings) if own else None
    pg: EmbeddedPostgres | None = None
    started = False
    try:
        pg = EmbeddedPostgres.prepare(settings.home / "pgdata")
        started = not pg.running()
        pg.start()
        owner = with_database(pg.url(), EMBEDDED_DATABASE)
        return DatabaseUrls(
            owner=owner,
            app=with_user(owner, APP_ROLE),
            embedded=pg,
            started_here=started or own,
            owner_lock=lock,
        )
    except BaseException:
        # Interrupted (SIGTERM, Ctrl-C; one held during ``pg_ctl start`` lands as soon as the
        # server is up) or failed: the caller gets no DatabaseUrls to release, so stop it here.
        DatabaseUrls(
            owner="", app="", embedded=pg, started_here=started or own, owner_lock=lock
        ).release()
        raise
