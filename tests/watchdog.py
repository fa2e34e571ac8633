"""A test that hangs fails, with the line it hung on, and the run goes on.

CI once ran out of its 90 minutes because one test never finished: faulthandler's dump showed
only the event loop waiting in ``select``, not which ``await`` waited.  Here every test gets a
deadline (``SPOTCHECK_TEST_TIMEOUT``, 300 s; none takes near that).  When it passes:

- in an async test, the alarm arrives while the loop waits; the stack of every task is printed
  and the test's own task is cancelled, so the test fails at the ``await`` that hung;
- in a sync test, the test fails where it stands (``pytest.fail`` from the signal handler);
- if neither ends it within 60 s more, faulthandler prints every thread and ends the process;
  pytest-xdist reports the test as crashed and starts another worker.

Written here because pytest-timeout's signal method fails async tests at the loop's ``select``,
which does not say which ``await`` waited.
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import signal
import sys
from collections.abc import Iterator
from types import FrameType

import pytest

TIMEOUT = float(os.environ.get("SPOTCHECK_TEST_TIMEOUT", "300"))
GRACE = 60.0


def _test_task(loop: asyncio.AbstractEventLoop, name: str) -> list[asyncio.Task[object]]:
    """The tasks running the test function itself (its name is on their stack)."""
    found = []
    for task in asyncio.all_tasks(loop):
        if any(frame.f_code.co_name == name for frame in task.get_stack()):
            found.append(task)
    return found


def _alarm(item: pytest.Item) -> None:
    name = getattr(item, "originalname", item.name)
    message = f"{item.nodeid} ran over its {TIMEOUT:.0f} s deadline (tests/watchdog.py)"

    def handler(signum: int, frame: FrameType | None) -> None:
        print(f"\n[watchdog] {message}", file=sys.stderr, flush=True)
        loop = asyncio._get_running_loop()
        if loop is None:
            pytest.fail(message, pytrace=True)
        for task in asyncio.all_tasks(loop):
            task.print_stack(file=sys.stderr)
        for task in _test_task(loop, name):
            # From a signal handler only the threadsafe call wakes the loop out of select.
            loop.call_soon_threadsafe(task.cancel, message)

    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    if TIMEOUT <= 0:
        yield
        return
    _alarm(item)
    faulthandler.dump_traceback_later(TIMEOUT + GRACE, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
