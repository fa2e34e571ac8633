"""Replaying the ledger into a scratch schema, and comparing with the live tables."""

from __future__ import annotations

import re

import asyncpg

from spotcheck.eventstore.ledger import read_ledger
from spotcheck.projections.base import Projection

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


async def replay_into_schema(
    conn: asyncpg.Connection, projection: Projection, schema: str, batch: int = 5000
) -> int:
    """Build ``projection``'s tables afresh in ``schema`` from ledger position 1.

    Needs a role that may create schemas (the owner).  Returns the number of events replayed.
    """
    schema = _ident(schema)
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")
    for table in projection.tables:
        t = _ident(table)
        await conn.execute(f"CREATE TABLE {schema}.{t} (LIKE public.{t} INCLUDING ALL)")
    position = 0
    async with conn.transaction():
        await conn.execute(f"SET LOCAL search_path = {schema}, public")
        while True:
            events = await read_ledger(conn, position, batch)
            if not events:
                break
            await projection.apply(conn, events)
            position = events[-1].position or position
    return position


async def differences(conn: asyncpg.Connection, projection: Projection, schema: str) -> int:
    """Rows in either the live or the rebuilt table but not both (0 means identical)."""
    schema = _ident(schema)
    total = 0
    for table in projection.tables:
        t = _ident(table)
        total += await conn.fetchval(
            f"""SELECT count(*) FROM (
                  (SELECT * FROM public.{t} EXCEPT ALL SELECT * FROM {schema}.{t})
                  UNION ALL
                  (SELECT * FROM {schema}.{t} EXCEPT ALL SELECT * FROM public.{t})) d"""
        )
    return total
