"""Python's cyclic garbage collector held off for a block that makes many objects and frees
none of them before it ends (a bulk append, a draw's selection and matching).

Collections inside such a block walk the new objects again and again and free nothing: the
block's objects all stay alive until it returns.  Only for synchronous blocks or blocks whose
awaits are the caller's own: the switch is process-wide.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused(pause: bool = True) -> Iterator[None]:
    """With ``pause``, no garbage collection until the block ends (if it was on)."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
