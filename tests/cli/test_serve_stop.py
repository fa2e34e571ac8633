"""``spotcheck serve`` on its embedded PostgreSQL stops cleanly: SIGTERM or Ctrl-C stops the
server it started, and after a ``kill -9`` the next ``serve`` on the same home starts, adopts
what was left running, and stops it in turn.  Real processes, real signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

SPOTCHECK = Path(sys.executable).with_name("spotcheck")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _postgres_pids(datadir: Path) -> list[int]:
    """Processes of the PostgreSQL whose data directory is ``datadir`` (by command line, or by
    the ``postgres: …`` title its children carry: matched through the postmaster's pid)."""
    postmaster = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and str(datadir).encode() in _cmdline(p)
    ]
    children = [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _ppid(p) in postmaster
    ]
    return postmaster + children


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(proc: Path) -> int | None:
    try:
        stat = (proc / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


@pytest.fixture
def home() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="spotcheck-serve-"))
    base.chmod(0o755)  # the server may run as another user (see spotcheck.db.embedded)
    yield base / "home"
    for pid in _postgres_pids(base / "home" / "pgdata"):  # whatever a failure left behind
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Serve:
    def __init__(self, home: Path, *args: str) -> None:
        self.port = _free_port()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FAKETIME"))
        }
        env.pop("SPOTCHECK_APP_DATABASE_URL", None)
        env.pop("LD_PRELOAD", None)
        env |= {"SPOTCHECK_HOME": str(home), "SPOTCHECK_PORT": str(self.port)}
        env.pop("SPOTCHECK_ENV", None)
        self.proc = subprocess.Popen(
            [str(SPOTCHECK), "serve", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read() if self.proc.stdout else ""
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{out}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.proc.kill()
        raise AssertionError("serve did not answer /healthz in time")

    def stop(self, sig: int, seconds: float = 60) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_embedded_server_too(home: Path, sig: int) -> None:
    serve = Serve(home)
    serve.wait_ready()
    datadir = home / "pgdata"
    assert _postgres_pids(datadir), "the embedded server should be running"
    serve.stop(sig)
    assert _postgres_pids(datadir) == []
    assert not (datadir / "postmaster.pid").exists()


def test_after_kill_9_the_next_serve_starts_adopts_and_stops(home: Path) -> None:
    datadir = home / "pgdata"
    first = Serve(home)
    first.wait_ready()
    first.proc.kill()  # kill -9: no cleanup at all
    first.proc.wait(30)
    assert _postgres_pids(datadir), "a killed serve leaves its PostgreSQL running"

    second = Serve(home)  # adopts the orphaned server
    second.wait_ready()
    second.stop(signal.SIGTERM)
    assert _postgres_pids(datadir) == []

    third = Serve(home)
    third.wait_ready()
    postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
    third.proc.kill()
    os.kill(postmaster, signal.SIGKILL)  # both killed: a stale postmaster.pid is left
    third.proc.wait(30)
    deadline = time.monotonic() + 30
    while _postgres_pids(datadir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (datadir / "postmaster.pid").exists()

    fourth = Serve(home)
    fourth.wait_ready()
    fourth.stop(signal.SIGTERM)
    assert _postgres_pids(datadir) == []


def test_a_second_serve_on_the_same_home_is_refused(home: Path) -> None:
    first = Serve(home)
    first.wait_ready()
    try:
        second = Serve(home)
        assert second.proc.wait(60) == 2
        out = second.proc.stdout.read() if second.proc.stdout else ""
        assert "another spotcheck serve is running" in out
        httpx.get(f"http://127.0.0.1:{first.port}/healthz", timeout=5).raise_for_status()
    finally:
        first.stop(signal.SIGTERM)
    assert _postgres_pids(home / "pgdata") == []


def test_sigterm_while_serve_demo_loads_stops_everything(home: Path) -> None:
    """``serve --demo`` interrupted while it loads the demo (before uvicorn runs)."""
    serve = Serve(home, "--demo")
    datadir = home / "pgdata"
    deadline = time.monotonic() + 60
    while not (datadir / "postmaster.pid").exists() and time.monotonic() < deadline:
        assert serve.proc.poll() is None
        time.sleep(0.1)
    time.sleep(3)  # well into the demo's import
    assert serve.proc.poll() is None, "the demo should still be loading"
    assert serve.stop(signal.SIGTERM) != 0
    assert _postgres_pids(datadir) == []
    assert not (datadir / "postmaster.pid").exists()
