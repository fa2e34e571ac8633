"""Reference data a decision needs from other aggregates, read on the command's connection."""

from __future__ import annotations

import asyncpg


async def department_codes(conn: asyncpg.Connection) -> frozenset[str]:
    return frozenset(r["id"] for r in await conn.fetch("SELECT id FROM departments"))
