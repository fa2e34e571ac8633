"""Who a user is to the platform: roles, department and liaison duties from the registries."""

from __future__ import annotations

import asyncpg

from spotcheck.domain.actor import Actor, Role

_ACTOR = """
SELECT a.state,
       ARRAY(SELECT d.id FROM departments d WHERE d.liaison_user_id = $1) AS liaison_of
  FROM (SELECT 1) one LEFT JOIN accounts a ON a.id = $1
"""


async def load_actor(conn: asyncpg.Pool | asyncpg.Connection, user_id: str) -> Actor:
    row = await conn.fetchrow(_ACTOR, user_id)
    assert row is not None
    state = row["state"]
    return Actor(
        user_id=user_id,
        department=state["department"] if state else None,
        roles=frozenset(Role(r) for r in state["roles"]) if state else frozenset(),
        liaison_of=frozenset(row["liaison_of"]),
    )
