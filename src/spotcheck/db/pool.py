"""asyncpg connections with JSON (jsonb) through orjson."""

from __future__ import annotations

from typing import Any

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


CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection: a database host that does not answer is unavailable (503), not
a request that hangs for asyncpg's default minute."""


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=init_connection,
        command_timeout=60,
        timeout=CONNECT_TIMEOUT,
    )
    assert pool is not None
    return pool


async def connect(url: str) -> asyncpg.Connection:
    conn = await asyncpg.connect(url)
    await init_connection(conn)
    return conn
