"""``spotcheck serve`` on its embedded PostgreSQL stops cleanly: SIGTERM, Ctrl-C or a hangup
stops the server it started, also while that server is still starting, and after a ``kill -9``
the next ``serve`` on the same home starts, adopts what was left running, and stops it in turn.
Real processes, real signals; every wait is bounded, and whatever a failing test leaves running
is killed by the ``home`` fixture."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.cli.processes import (
    Serve,
    assert_stopped,
    cmdline,
    pids,
    postgres_pids,
    serve_home,
    spotcheck,
    wait_for,
)


@pytest.fixture
def home() -> Iterator[Path]:
    with serve_home() as h:
        yield h


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_stops_the_embedded_server_too(home: Path, sig: int) -> None:
    serve = Serve(home)
    serve.wait_ready()
    assert postgres_pids(home / "pgdata"), "the embedded server should be running"
    serve.stop(sig)  # 0 after SIGINT: uvicorn's own Ctrl-C ends in a clean exit
    assert_stopped(home)
    assert "Traceback" not in serve.output()


def test_under_nohup_a_hangup_leaves_serve_running(home: Path) -> None:
    serve = Serve(home, nohup=True)
    serve.wait_ready()
    serve.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert serve.proc.poll() is None
    httpx.get(f"http://127.0.0.1:{serve.port}/healthz", timeout=5).raise_for_status()
    serve.stop(signal.SIGTERM)
    assert_stopped(home)


def test_after_kill_9_the_next_serve_starts_adopts_and_stops(home: Path) -> None:
    datadir = home / "pgdata"
    first = Serve(home)
    first.wait_ready()
    first.proc.kill()  # kill -9: no cleanup at all
    first.proc.wait(30)
    assert postgres_pids(datadir), "a killed serve leaves its PostgreSQL running"

    second = Serve(home)  # adopts the orphaned server
    second.wait_ready()
    second.stop(signal.SIGTERM)
    assert_stopped(home)


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
    assert_stopped(home)


def test_a_second_serve_on_the_same_home_is_refused(home: Path) -> None:
    first = Serve(home)
    first.wait_ready()
    second = Serve(home)
    assert second.proc.wait(60) == 2
    assert "another spotcheck serve is running" in second.output()
    httpx.get(f"http://127.0.0.1:{first.port}/healthz", timeout=5).raise_for_status()
    first.stop(signal.SIGTERM)
    assert_stopped(home)


def _running(program: bytes, home: Path) -> Callable[[], bool]:
    """A ``program`` (``initdb``, ``pg_ctl\\0start``) runs on a folder of ``home``."""
    return lambda: any(program in c and str(home).encode() in c for c in map(cmdline, pids()))


def test_sigterm_while_the_embedded_server_starts_stops_it(home: Path) -> None:
    """The signal lands while ``pg_ctl start`` waits for the server it has forked (a window
    of a tenth of a second or so; the test holds wherever it lands)."""
    serve = Serve(home)
    wait_for(_running(b"pg_ctl\0start", home), 60, "pg_ctl start")
    assert serve.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    assert_stopped(home)
    assert "Traceback" not in serve.output()


def test_ctrl_c_during_the_first_initdb_leaves_a_home_the_next_serve_starts_on(
    home: Path,
) -> None:
    """initdb cut short used to leave a data directory with a PG_VERSION and no ``postgres``
    database, which every later start failed on."""
    serve = Serve(home)
    wait_for(_running(b"initdb", home), 60, "initdb")
    time.sleep(0.3)  # into its work (it takes about a second)
    assert _running(b"initdb", home)(), "initdb should still be running"
    assert serve.stop(signal.SIGINT) == 128 + signal.SIGINT
    assert_stopped(home)

    again = Serve(home)
    again.wait_ready()
    again.stop(signal.SIGTERM)
    assert_stopped(home)
    assert [p.name for p in home.iterdir() if "initdb" in p.name] == []


def test_sigterm_while_serve_demo_loads_stops_everything(home: Path) -> None:
    """``serve --demo`` interrupted while it loads the demo (before uvicorn runs)."""
    serve = Serve(home, "--demo")
    datadir = home / "pgdata"
    wait_for(lambda: (datadir / "postmaster.pid").exists() or serve.proc.poll(), 60, "start")
    assert serve.proc.poll() is None
    time.sleep(3)  # well into the demo's import
    assert serve.proc.poll() is None, "the demo should still be loading"
    assert serve.stop(signal.SIGTERM) == 128 + signal.SIGTERM
    assert_stopped(home)
    # not raised inside asyncpg, where it became another error or was swallowed
    assert "Traceback" not in serve.output()


def test_sigterm_lets_a_request_in_flight_finish(home: Path) -> None:
    """An evidence upload still arriving when SIGTERM comes is read to its end, stored and
    answered 201; only then does serve stop, its PostgreSQL with it."""
    import io

    from PIL import Image

    made = spotcheck(home, "admin", "create", "--user", "admin", "--name", "管理员")
    assert made.returncode == 0, made.stdout + made.stderr
    token = spotcheck(home, "token", "--user", "admin").stdout.strip()
    serve = Serve(home)
    serve.wait_ready()
    picture = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(picture, "PNG")
    png = picture.getvalue()

    def slowly() -> Iterator[bytes]:
        yield png[:50]
        time.sleep(0.5)
        serve.proc.send_signal(signal.SIGTERM)  # the request is in flight
        time.sleep(1.5)
        yield png[50:]

    r = httpx.post(
        f"{serve.url}/evidence",
        content=slowly(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
        timeout=30,
    )
    assert r.status_code == 201, r.text
    assert r.json()["size"] == len(png)
    assert serve.proc.wait(30) == 128 + signal.SIGTERM
    assert_stopped(home)
    assert "Traceback" not in serve.output()
