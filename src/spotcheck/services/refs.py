"""Reference data a decision needs from other aggregates, read on the command's connection."""

from __future__ import annotations

import asyncpg

from spotcheck.domain.regions import Regions
from spotcheck.domain.subject import SubjectRefs


async def department_codes(conn: asyncpg.Connection) -> frozenset[str]:
    return frozenset(r["id"] for r in await conn.fetch("SELECT id FROM departments"))


async def subject_exists(conn: asyncpg.Connection, key: str) -> bool:
    """The inspection subject (检查对象) is in the registry of subjects."""
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM subjects WHERE id = $1)", key))


async def item_statuses(conn: asyncpg.Connection) -> dict[str, str]:
    """Each inspection item's code and status (DRAFT, PUBLISHED or RETIRED)."""
    rows = await conn.fetch("SELECT id, status FROM inspection_items")
    return {r["id"]: r["status"] for r in rows}


async def items_in_force(conn: asyncpg.Connection) -> list[tuple[str, int, str]]:
    """(code, version number, department) of every inspection item version in force, by code."""
    rows = await conn.fetch(
        "SELECT id, (state->>'published')::integer AS number, department FROM inspection_items"
        " WHERE status = 'PUBLISHED' ORDER BY id"
    )
    return [(r["id"], r["number"], r["department"]) for r in rows]


async def subject_refs(conn: asyncpg.Connection, regions: Regions) -> SubjectRefs:
    """What a subject (检查对象) decision checks against: departments, regions, item statuses."""
    return SubjectRefs(
        departments=await department_codes(conn),
        regions=regions,
        items=await item_statuses(conn),
    )
