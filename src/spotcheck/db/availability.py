"""Is the database unavailable (down, restarting, unreachable), as opposed to a query failing?

A server whose PostgreSQL has gone away answers ``503 DATABASE_UNAVAILABLE`` with ``Retry-After``
rather than ``500 INTERNAL``: the request may be sent again once the database is back. Nothing is
half-written (a mutation is one transaction), but a mutation whose connection broke during its
COMMIT may have committed all the same: sent again with the same ``idempotencyKey`` it returns that
first result instead of writing twice. The pool reconnects by itself when the database returns, and
the sealer and the checkpointer retry their connections; nothing needs restarting.
"""

from __future__ import annotations

import asyncpg

RETRY_AFTER_SECONDS = 5

UNAVAILABLE: tuple[type[Exception], ...] = (
    ConnectionError,  # refused, reset, broken pipe: the server is not there
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or was lost
    asyncpg.CannotConnectNowError,  # 57P03: starting up, shutting down, in recovery
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed; everyone is reset
)


def _raised_in_asyncpg(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).startswith("asyncpg"):
            return True
        tb = tb.tb_next
    return False


def database_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc``, or an exception it was raised from, says the database is not there."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, UNAVAILABLE):
            return True
        if isinstance(exc, OSError | TimeoutError) and _raised_in_asyncpg(exc):
            return True  # no socket file, no route, connect timeout; not a disk full elsewhere
        if isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc):
            return True
        if isinstance(exc, asyncpg.InternalClientError) and "another operation" in str(exc):
            # A pooled connection whose last operation was cut off when the server died (seen
            # in the crash drill when the postmaster is killed): the pool's reset then
            # discards it.
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
