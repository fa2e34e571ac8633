"""asyncpg connections with JSON (jsonb) through orjson.

A pooled connection goes back to the pool without asyncpg's reset query (``SELECT
pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL``), one round trip after every use
(issue 17).  Request code leaves nothing for it to undo: it takes only transaction-scoped
advisory locks (``pg_advisory_xact_lock``), sets settings only with ``SET LOCAL``, never
listens and never declares cursors ``WITH HOLD`` (the sealer, the subscriptions and the
rebuild hold their own connections, outside the pool); tests/api/test_pool_session.py checks
the session of every connection of the pool after a round of the API's queries and mutations.
asyncpg still rolls back a transaction left open and drops the listeners added with
``add_listener`` (its ``Connection._reset``, which runs before the pool's ``reset``).
``reset="full"`` restores asyncpg's query, for the benchmark's baseline.
"""

from __future__ import annotations

from typing import Any, Literal

import asyncpg
import orjson


def _encode_jsonb(value: Any) -> bytes:
    return b"\x01" + orjson.dumps(value)


def _decode_jsonb(data: bytes) -> Any:
    return orjson.loads(data[1:])


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_encode_jsonb, decoder=_decode_jsonb, format="binary"
    )


async def _full_reset(conn: asyncpg.Connection) -> None:
    """asyncpg's reset on release (unlock advisory locks, CLOSE ALL, UNLISTEN, RESET ALL), for
    ``reset="full"``.  An open transaction is rolled back either way (by the pool, before this
    runs)."""
    query = conn.get_reset_query()
    if query:
        await conn.execute(query)


CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection: a database host that does not answer is unavailable (503), not
a request that hangs for asyncpg's default minute."""


PoolReset = Literal["transaction", "full"]


async def _keep_session(conn: asyncpg.Connection) -> None:
    """The pool's reset: nothing beyond asyncpg's own rollback of an open transaction."""


async def create_pool(
    url: str, *, min_size: int = 2, max_size: int = 20, reset: PoolReset = "transaction"
) -> asyncpg.Pool:
    """``reset``: "transaction" (no query on release; see the module docstring) or "full"
    (asyncpg's reset query on every release)."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        command_timeout=60,
        timeout=CONNECT_TIMEOUT,
        reset=_keep_session if reset == "transaction" else _full_reset,
    )
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await init_connection(conn)
    return conn
