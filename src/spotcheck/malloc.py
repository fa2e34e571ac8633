"""glibc malloc settings for a spotcheck process: keep freed memory instead of faulting it back.

By default glibc hands memory back to the kernel as soon as 128 kB lie free at the top of the
heap, and serves each allocation over a (dynamic) threshold with its own ``mmap``.  A bulk
append or an import then faults every page in again on the next batch: ``orjson.dumps``
reserves an output buffer per call whose freed tail cannot hold the next one, so 10,000
events kept alive take two fresh pages each.  Measured on the 2-core VM (issue 18): 1.96 page
faults per event, about 5 us of the appender's 14 us per event; with the settings below,
0.00 and 9 us.  The price is a process that keeps up to ``TRIM_THRESHOLD`` of freed heap
resident between batches.

Set once at start (``spotcheck.cli.main``); ``MALLOC_TRIM_THRESHOLD_`` or
``MALLOC_MMAP_THRESHOLD_`` in the environment (glibc's own tunables) win over these.
"""

from __future__ import annotations

import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 128 * 1024 * 1024
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's maximum on 64-bit
ENVIRONMENT = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")


def keep_freed_memory() -> bool:
    """Raise glibc's trim and mmap thresholds for this process; False where not applied (not
    glibc, or the operator set malloc tunables in the environment)."""
    if platform.libc_ver()[0] != "glibc" or any(os.environ.get(k) for k in ENVIRONMENT):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Setting either threshold also stops glibc from moving the mmap threshold by itself.
    return bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
