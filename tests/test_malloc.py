"""glibc keeps freed memory once ``keep_freed_memory`` ran: a second batch of kept orjson
output faults no pages in (without it, about one page per ``orjson.dumps``)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

SCRIPT = """
import resource, sys
import orjson
from spotcheck.malloc import keep_freed_memory

applied = keep_freed_memory() if sys.argv[1] == "keep" else False
meta = {"actor": "inspector-001", "role": "inspector", "request_id": "req-1"}

def batch():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    kept = [orjson.dumps(meta) for _ in range(20000)]
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

batch()
print(applied, batch())
"""


def faults(mode: str) -> tuple[bool, int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_"))}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    return out[0] == "True", int(out[1])


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_second_batch_faults_no_pages_in() -> None:
    applied, kept = faults("keep")
    assert applied
    assert kept < 500, kept
    applied, default = faults("default")
    assert not applied
    assert default > 5000, default  # why the setting exists: a fresh page per dumps
