"""``spotcheck serve`` on its embedded PostgreSQL stops cleanly: SIGTERM, Ctrl-C or a hangup
stops the server it started, also while that server is still starting, and after a ``kill -9``
the next ``serve`` on the same home starts, adopts what was left running, and stops it in turn.
Real processes, real signals; every wait is bounded, and whatever a failing test leaves running
is killed by the ``home`` fixture."""

from __future__ import annotations

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
import pytest

SPOTCHECK = Path(sys.executable).with_name("spotcheck")
_started: list[subprocess.Popen[str]] = []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _cwd(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/cwd")
    except OSError:
        return ""


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _postgres_pids(folder: Path) -> list[int]:
    """Live processes working in ``folder`` or naming it on their command line (postmaster,
    pg_ctl, initdb, and initdb's standalone backends, which get their data directory from the
    environment but chdir to it), and their children (backends, titled ``postgres: …``)."""
    inside = str(folder).encode()
    found = [
        pid
        for pid in _pids()
        if _alive(pid) and (inside in _cmdline(pid) or folder in Path(_cwd(pid), "x").parents)
    ]
    children = [pid for pid in _pids() if _ppid(pid) in found and _alive(pid)]
    return sorted(set(found + children))


def _wait_for(condition: Callable[[], object], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.005)


def _assert_stopped(home: Path) -> None:
    """Nothing of the home's PostgreSQL runs (given a moment for orphans to be reaped)."""
    deadline = time.monotonic() + 5
    while _postgres_pids(home) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _postgres_pids(home) == []
    assert not (home / "pgdata" / "postmaster.pid").exists()


@pytest.fixture
def home() -> Iterator[Path]:
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
        for pid in _postgres_pids(base):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(base, ignore_errors=True)


def _as_from_a_terminal() -> None:
    """Ctrl-C and hangup at their default actions, as in a terminal: pytest run in the
    background of a script inherits SIGINT ignored, and serve would inherit that."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _as_under_nohup() -> None:
    _as_from_a_terminal()
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


class Serve:
    def __init__(self, home: Path, *args: str, nohup: bool = False) -> None:
        self.port = _free_port()
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "FAKETIME"))
        }
        env.pop("SPOTCHECK_APP_DATABASE_URL", None)
        env.pop("LD_PRELOAD", None)
        env |= {
            "SPOTCHECK_HOME": str(home),
            "SPOTCHECK_PORT": str(self.port),
            "SPOTCHECK_ENV": "development",
            "PYTHONUNBUFFERED": "1",  # its output, in an assertion message, even when killed
        }
        self.proc = subprocess.Popen(
            [str(SPOTCHECK), "serve", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=_as_under_nohup if nohup else _as_from_a_terminal,
        )
        _started.append(self.proc)

    def output(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        return self.proc.stdout.read() if self.proc.stdout else ""

    def wait_ready(self, seconds: float = 90) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
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


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_stops_the_embedded_server_too(home: Path, sig: int) -> None:
    serve = Serve(home)
    serve.wait_ready()
    assert _postgres_pids(home / "pgdata"), "the embedded server should be running"
    serve.stop(sig)  # 0 after SIGINT: uvicorn's own Ctrl-C ends in a clean exit
    _assert_stopped(home)
    assert "Traceback" not in serve.output()


def test_under_nohup_a_hangup_leaves_serve_running(home: Path) -> None:
    serve = Serve(home, nohup=True)
    serve.wait_ready()
    serve.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert serve.proc.poll() is None
    httpx.get(f"http://127.0.0.1:{serve.port}/healthz", timeout=5).raise_for_status()
    serve.stop(signal.SIGTERM)
    _assert_stopped(home)


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
    _assert_stopped(home)


def test_after_kill_9_of_serve_and_postmaster_the_next_serve_starts(home: Path) -> None:
    datadir = home / "pgdata"
    first = Serve(home)
    first.wait_ready()
    postmaster = int((datadir / "postmaster.pid").read_text().split()[0])
    first.proc.kill()
    os.kill(postmaster, signal.SIGKILL)  # both killed: a stale postmaster.pid is left
    first.proc.wait(30)
    assert (datadir / "postmaster.pid").exists()

    second = Serve(home)  # at once, as a user would: the old backends may still be exiting
    second.wait_ready()
    assert int((datadir / "postmaster.pid").read_text().split()[0]) != postmaster
    second.stop(signal.SIGTERM)
    _assert_stopped(home)


def test_a_second_serve_on_the_same_home_is_refused(home: Path) -> None:
    first = Serve(home)
    first.wait_ready()
    second = Serve(home)
    assert second.proc.wait(60) == 2
    assert "another spotcheck serve is running" in second.output()
    httpx.get(f"http://127.0.0.1:{first.port}/healthz", timeout=5).raise_for_status()
    first.stop(signal.SIGTERM)
    _assert_stopped(home)


def _running(program: bytes, home: Path) -> Callable[[], bool]:
    """A ``program`` (``initdb``, ``pg_ctl\\0start``) runs on a folder of ``home``."""
    return lambda: any(program in c and str(home).encode() in c for c in map(_cmdline, _pids()))


def test_sigterm_while_the_embedded_server_starts_stops_it(home: Path) -> None:
    """The signal lands while ``pg_ctl start`` waits for the server it has forked (a window
    of a tenth of a second or so; the test holds wherever it lands)."""
    serve = Serve(home)
    _wait_for(_running(b"pg_ctl\0start", home), 60, "pg_ctl start")
    assert serve.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    _assert_stopped(home)
    assert "Traceback" not in serve.output()


def test_ctrl_c_during_the_first_initdb_leaves_a_home_the_next_serve_starts_on(
    home: Path,
) -> None:
    """initdb cut short used to leave a data directory with a PG_VERSION and no ``postgres``
    database, which every later start failed on."""
    serve = Serve(home)
    _wait_for(_running(b"initdb", home), 60, "initdb")
    time.sleep(0.3)  # into its work (it takes about a second)
    assert _running(b"initdb", home)(), "initdb should still be running"
    assert serve.stop(signal.SIGINT) == 128 + signal.SIGINT
    _assert_stopped(home)

    again = Serve(home)
    again.wait_ready()
    again.stop(signal.SIGTERM)
    _assert_stopped(home)
    assert [p.name for p in home.iterdir() if "initdb" in p.name] == []


def test_sigterm_while_serve_demo_loads_stops_everything(home: Path) -> None:
    """``serve --demo`` interrupted while it loads the demo (before uvicorn runs)."""
    serve = Serve(home, "--demo")
    datadir = home / "pgdata"
    _wait_for(lambda: (datadir / "postmaster.pid").exists() or serve.proc.poll(), 60, "start")
    assert serve.proc.poll() is None
    time.sleep(3)  # well into the demo's import
    assert serve.proc.poll() is None, "the demo should still be loading"
    assert serve.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    _assert_stopped(home)
    # not raised inside asyncpg, where it became another error or was swallowed
    assert "Traceback" not in serve.output()
