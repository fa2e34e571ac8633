"""The README's test command: the whole suite at the real date, then the date-sensitive tests
(marker ``calendar``) again at chosen instants, Python and PostgreSQL sharing one faked clock.

Dates are where calendars are hard: the year turning during a run, the first working days of a
year whose holiday schedule may not be published, the Spring Festival, an adjusted working
Saturday (调休), an ordinary summer day.  Each instant runs as a separate pytest under
libfaketime (Debian package ``faketime``) with ``FAKETIME=<seconds from now>``: an offset, so
the clock runs on from the instant, and the embedded PostgreSQL the tests start inherits the
same offset (tests/clock.py).

    .venv/bin/python tests/run.py                       # everything, as CI does
    .venv/bin/python tests/run.py tests/demo            # pytest arguments narrow every run
    SPOTCHECK_TEST_AT='2026-12-31T23:59:30+08:00' .venv/bin/python tests/run.py
                                                        # one instant only (calendar tests)
    SPOTCHECK_TEST_WORKERS=1 .venv/bin/python tests/run.py   # the real date in one process

libfaketime is installed with apt-get when missing and this runs as root; elsewhere install the
``faketime`` package yourself.  The last line is the total over every run ("N passed, N failed").
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.clock import libfaketime  # noqa: E402

INSTANTS: list[tuple[str, str]] = [
    ("2026-12-31T23:59:30+08:00", "the year turns during the run"),
    ("2027-01-02T10:00:00+08:00", "a year without a published holiday schedule"),
    ("2026-02-16T10:00:00+08:00", "the Spring Festival holiday (春节)"),
    ("2026-02-14T10:00:00+08:00", "an adjusted working Saturday (调休)"),
    ("2026-07-01T10:00:00+08:00", "an ordinary working day"),
]

WORKERS = os.environ.get("SPOTCHECK_TEST_WORKERS", str(min(os.cpu_count() or 1, 4)))
"""pytest-xdist workers for the run at the real date (each with its own embedded cluster); 1
runs it in one process.  Two on two cores: 4 min 44 s instead of about 7."""

PARALLEL = int(os.environ.get("SPOTCHECK_TEST_PARALLEL", "2"))
"""Instants run at once (each a pytest with its own cluster).  Two: it once ran one at a time,
while two at once on two cores sometimes found live rows a rebuild lacked; that was the sealer
skipping a committed event (fixed, tests/eventstore/test_sealer.py), which a loaded run had
exposed, not invented."""

_COUNTS = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected)")


def ensure_libfaketime() -> str:
    lib = libfaketime()
    if lib is not None:
        return lib
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("[tests/run] installing libfaketime (Debian package faketime)", flush=True)
        quiet = {
            "stdout": subprocess.DEVNULL,
            "env": dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        }
        subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)  # type: ignore[call-overload]
        subprocess.run(["apt-get", "install", "-y", "-qq", "faketime"], check=False, **quiet)  # type: ignore[call-overload]
        lib = libfaketime()
    if lib is None:
        sys.exit(
            "[tests/run] libfaketime is missing: install the Debian package 'faketime' (or your "
            "system's libfaketime); the date-sensitive tests must run at chosen instants"
        )
    return lib


def pytest(
    args: list[str], env: dict[str, str] | None = None, *, echo: bool = True
) -> tuple[int, dict[str, int], str]:
    """Run pytest; its exit code, closing counts and output (echoed as it comes if ``echo``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    for line in proc.stdout:
        lines.append(line)
        if echo:
            sys.stdout.write(line)
    if echo:
        sys.stdout.flush()
    last = next((line for line in reversed(lines) if line.strip()), "")
    counts: dict[str, int] = {}
    for n, what in _COUNTS.findall(last):
        key = "errors" if what.startswith("error") else what
        counts[key] = counts.get(key, 0) + int(n)
    return proc.wait(), counts, "".join(lines)


def at(instant: str, lib: str, args: list[str]) -> tuple[int, dict[str, int], str]:
    target = dt.datetime.fromisoformat(instant)
    offset = round(target.timestamp() - time.time())
    env = dict(os.environ)
    env["LD_PRELOAD"] = ":".join(p for p in (lib, env.get("LD_PRELOAD")) if p)
    env["FAKETIME"] = f"{offset:+d}"
    for k in ("FAKETIME_SHARED", "FAKETIME_TIMESTAMP_FILE", "FAKETIME_DONT_FAKE_MONOTONIC"):
        env.pop(k, None)
    return pytest(["-m", "calendar", *args], env, echo=False)


def main(argv: list[str]) -> int:
    lib = ensure_libfaketime()
    runs: list[tuple[str, int, dict[str, int]]] = []
    only = os.environ.get("SPOTCHECK_TEST_AT")
    if only:
        instants = [(only, "SPOTCHECK_TEST_AT")]
    else:
        workers = ["-n", WORKERS] if WORKERS != "1" else []
        code, counts, _ = pytest([*workers, *argv])
        runs.append(("the real date", code, counts))
        instants = INSTANTS
    # PARALLEL instants at a time (each a pytest with its own cluster): their outputs are
    # printed whole, in order, as each finishes.
    with concurrent.futures.ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        started = [(i, why, pool.submit(at, i, lib, argv)) for i, why in instants]
        for instant, why, future in started:
            code, counts, output = future.result()
            print(f"\n[tests/run] the calendar tests at {instant} ({why})", flush=True)
            sys.stdout.write(output)
            # 5: no test selected (arguments that name no calendar test): not a failure.
            runs.append((instant, 0 if code == 5 else code, counts))
    print("\n[tests/run] summary")
    total: dict[str, int] = {}
    for name, code, counts in runs:
        shown = ", ".join(f"{v} {k}" for k, v in counts.items()) or "no counts"
        print(f"  {name}: exit {code}: {shown}")
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    failed = total.get("failed", 0) + total.get("errors", 0)
    if any(code != 0 for _, code, _ in runs) and not failed:
        failed = 1  # a run that failed without counting (collection, crash): never green
    print(f"{total.get('passed', 0)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
