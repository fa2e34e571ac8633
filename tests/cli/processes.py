"""Real ``spotcheck serve`` processes for the tests that start, signal and kill them: a free
port, the PostgreSQL processes of a home, bounded waits, and ``Serve``.  ``serve_home`` makes a
home whose leftovers (servers, postmasters, backends) are killed whatever the test did."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

SPOTCHECK = Path(sys.executable).with_name("spotcheck")
_started: list[subprocess.Popen[str]] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def cwd(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def postgres_pids(folder: Path) -> list[int]:
    """Live processes working in ``folder`` or naming it on their command line (postmaster,
    pg_ctl, initdb, and initdb's standalone backends, which get their data directory from the
    environment but chdir to it), and their children (backends, titled ``postgres: …``)."""
    inside = str(folder).encode()
    found = [
        pid
        for pid in pids()
        if alive(pid) and (inside in cmdline(pid) or folder in Path(cwd(pid), "x").parents)
    ]
    children = [pid for pid in pids() if ppid(pid) in found and alive(pid)]
    return sorted(set(found + children))


def wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.005)


def assert_stopped(home: Path) -> None:
    """Nothing of the home's PostgreSQL runs (given a moment for orphans to be reaped)."""
    deadline = time.monotonic() + 5
    while postgres_pids(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert postgres_pids(home) == []
    assert not (home / "pgdata" / "postmaster.pid").exists()


@contextlib.contextmanager
def serve_home() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="spotcheck-serve-"))
    base.chmod(0o755)  # the server may run as another user (see spotcheck.db.embedded)
    try:
        yield base / "home"
    finally:  # whatever a failure left behind
        for proc in _started:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        _started.clear()
        for pid in postgres_pids(base):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(base, ignore_errors=True)


def as_from_a_terminal() -> None:
    """Ctrl-C and hangup at their default actions, as in a terminal: pytest run in the
    background of a script inherits SIGINT ignored, and serve would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def as_under_nohup() -> None:
    as_from_a_terminal()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def spotcheck_env(home: Path, **extra: str) -> dict[str, str]:
    """The environment of a ``spotcheck`` command on ``home``'s embedded PostgreSQL: the test
    run's database and faked clock left out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FAKETIME"))}
    env.pop("SPOTCHECK_APP_DATABASE_URL", None)
    env.pop("LD_PRELOAD", None)
    return (
        env
        | {
            "SPOTCHECK_HOME": str(home),
            "SPOTCHECK_ENV": "development",
            "PYTHONUNBUFFERED": "1",  # its output, in an assertion message, even when killed
        }
        | extra
    )


def spotcheck(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a ``spotcheck`` command on ``home`` (beside a ``serve``, it uses that server)."""
    return subprocess.run(
        [str(SPOTCHECK), *args],
        env=spotcheck_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class Serve:
    def __init__(self, home: Path, *args: str, nohup: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Into a file, not a pipe nobody reads while it runs: a chatty server would block on a
        # full pipe.
        home.parent.mkdir(parents=True, exist_ok=True)
        self.log = home.parent / f"serve-{self.port}.log"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [str(SPOTCHECK), "serve", *args],
                env=spotcheck_env(home, SPOTCHECK_PORT=str(self.port)),
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                preexec_fn=as_under_nohup if nohup else as_from_a_terminal,
            )
        _started.append(self.proc)

    def output(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        return self.log.read_text(errors="replace")

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not answer /healthz in time:\n{self.output()}")

    def stop(self, sig: int, seconds: float = 60) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            msg = f"serve still running {seconds} s after signal {sig}:\n{self.output()}"
            raise AssertionError(msg) from None
