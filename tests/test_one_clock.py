"""One clock: "now" and "today (Beijing)" come from PostgreSQL (``spotcheck.clock``).

A static check finds every read of the process's wall clock in the product code; the only one
allowed is where a protocol needs the process's time (a development JWT's ``iat``/``exp``).
The database tests then prove that the test cluster shares the process's (possibly faked)
clock, and that moving the database's clock moves what the product calls today.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import asyncpg
import pytest

from spotcheck import clock
from tests.clock import BEIJING, DbClock

SRC = Path(__file__).resolve().parent.parent / "src" / "spotcheck"

WALL_CLOCK = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}
"""Calls that read the process's wall clock (``time.monotonic``/``perf_counter`` measure
durations and are fine)."""

ALLOWED = {
    "auth/tokens.py": "a development JWT's iat/exp are the process's time, as the verifier's",
}


def wall_clock_reads(path: Path, root: Path = SRC) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if (name, node.func.attr) in WALL_CLOCK:
            found.append(f"{path.relative_to(root)}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def test_no_wall_clock_outside_the_one_clock() -> None:
    reads = [
        r
        for path in sorted(SRC.rglob("*.py"))
        if str(path.relative_to(SRC)) not in ALLOWED
        for r in wall_clock_reads(path)
    ]
    assert reads == [], "read the date with spotcheck.clock (the database's now()):\n" + "\n".join(
        reads
    )


def test_the_check_sees_each_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt, time\nfrom datetime import date, datetime\n"
        "a = dt.datetime.now(dt.UTC)\nb = date.today()\nc = time.time()\n"
        "d = datetime.utcnow()\ne = time.monotonic()\n"
    )
    assert [r.split(": ")[1] for r in wall_clock_reads(sample, tmp_path)] == [
        "datetime.now()",
        "date.today()",
        "time.time()",
        "datetime.utcnow()",
    ]


@pytest.mark.calendar
async def test_the_database_shares_the_process_clock(pool: asyncpg.Pool) -> None:
    """Under tests/run.py's faked instants too: the cluster inherits the process's offset."""
    db = await clock.db_now(pool)
    assert abs((db - dt.datetime.now(dt.UTC)).total_seconds()) < 5


async def test_moving_the_database_clock_moves_today(pool: asyncpg.Pool, db_clock: DbClock) -> None:
    before = dt.datetime.now(dt.UTC)
    db_clock.travel_to(dt.datetime(2027, 1, 1, 0, 0, 5, tzinfo=BEIJING))
    assert await clock.beijing_today(pool) == dt.date(2027, 1, 1)
    utc = await clock.db_now(pool)
    assert utc.date() == dt.date(2026, 12, 31)  # 16:00 UTC: the Beijing date is the next day
    db_clock.travel_to(dt.datetime(2026, 12, 31, 23, 59, 59, tzinfo=BEIJING))
    assert await clock.beijing_today(pool) == dt.date(2026, 12, 31)
    # The process's own clock did not move.
    assert abs((dt.datetime.now(dt.UTC) - before).total_seconds()) < 5
