"""Moving the database clock in tests: PostgreSQL runs under libfaketime.

spotcheck takes "now" and "today (Beijing)" from PostgreSQL alone (``spotcheck.clock``), so a
test that needs another day moves the database's clock and nothing else: the test process's
own clock (which mints and checks tokens) stays where it is.  The embedded test cluster is
started with libfaketime preloaded and ``FAKETIME_TIMESTAMP_FILE`` naming a file that holds an
offset in seconds from the real time; every backend re-reads it on each clock call
(``FAKETIME_NO_CACHE``), so a new offset holds for the very next statement.  An offset (not a
fixed start time) keeps every backend on one clock, and PostgreSQL's monotonic clock is left
alone (``FAKETIME_DONT_FAKE_MONOTONIC``) so its timeouts never wait across a jump.

``tests/run.py`` runs the date-sensitive tests at chosen instants by preloading libfaketime into
pytest itself with ``FAKETIME=<offset>``: the cluster then starts at the same offset.

A limit measured here (libfaketime 0.9.10, PostgreSQL 18.6): with any offset into the future
(+100 s is enough) PostgreSQL's SIGALRM timeouts never fire: ``lock_timeout = 50ms`` still
waited after 10 s, ``statement_timeout`` too, and so would ``deadlock_timeout``; with offsets
into the past they fire on time.  A test that needs one of them does not run ahead of today.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import re
from collections.abc import Iterator
from pathlib import Path

BEIJING = dt.timezone(dt.timedelta(hours=8))

_OFFSET = re.compile(r"^[+-]?\d+$")


def libfaketime() -> str | None:
    """The preload library of Debian's ``libfaketime`` package, if installed."""
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    found += sorted(glob.glob("/usr/lib/faketime/libfaketime.so.1"))
    return found[0] if found else None


def process_offset() -> int | None:
    """This process's libfaketime offset in seconds (0 when not faked); None when it is faked
    some other way (e.g. the ``faketime`` wrapper's start time), which the cluster inherits."""
    value = os.environ.get("FAKETIME")
    if value is None:
        return 0
    return int(value) if _OFFSET.match(value.strip()) else None


class DbClock:
    """The clock of the test cluster's PostgreSQL."""

    def __init__(self, path: Path, base: int) -> None:
        self.path = path
        self.base = base
        self.write(base)

    def write(self, offset: int) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{offset:+d}\n")
        tmp.chmod(0o644)
        tmp.replace(self.path)  # atomic: a backend never reads half a line

    def travel_to(self, instant: dt.datetime) -> None:
        """Set the database's now() to ``instant`` (to the second); it runs on from there."""
        if instant.tzinfo is None:
            raise ValueError("give an aware instant")
        # This process runs at ``base`` from the real time, like the cluster before any travel.
        ahead = (instant - dt.datetime.now(dt.UTC)).total_seconds()
        self.write(self.base + round(ahead))

    def travel_to_day(self, day: dt.date, hour: int = 12) -> None:
        """Set the database's clock to ``hour`` o'clock (Beijing) on ``day``."""
        self.travel_to(dt.datetime(day.year, day.month, day.day, hour, tzinfo=BEIJING))

    def reset(self) -> None:
        self.write(self.base)


@contextlib.contextmanager
def faked_environment(lib: str, clock_file: Path) -> Iterator[None]:
    """The environment a PostgreSQL started inside this block inherits: libfaketime reading the
    offset from ``clock_file``.  The process's own environment is restored afterwards."""
    changes: dict[str, str | None] = {
        "LD_PRELOAD": lib,
        "FAKETIME": None,
        "FAKETIME_SHARED": None,
        "FAKETIME_TIMESTAMP_FILE": str(clock_file),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }
    saved = {k: os.environ.get(k) for k in changes}
    try:
        for k, v in changes.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
