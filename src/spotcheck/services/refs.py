"""Reference data a decision needs from other aggregates, read on the command's connection."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
import msgspec

from spotcheck.domain import plan as plan_aggregate
from spotcheck.domain.plan import ItemInForce, Plan
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


# Annual plans (年度抽查工作计划) and inspection tasks (抽查任务).
async def items_in_force_detail(
    conn: asyncpg.Connection, codes: list[str] | None = None
) -> dict[str, ItemInForce]:
    """Each inspection item in force (现行), by code: its version in force, owning department,
    category, ratio cap, target kind and suitability.  ``codes`` limits the rows read."""
    rows = await conn.fetch(
        "SELECT id, department, (state->>'published')::integer AS number,"
        " state->'versions'->((state->>'published')::integer - 1)->'content' AS content"
        " FROM inspection_items WHERE status = 'PUBLISHED'"
        " AND ($1::text[] IS NULL OR id = ANY($1::text[]))",
        codes,
    )
    out: dict[str, ItemInForce] = {}
    for r in rows:
        c = r["content"]
        out[r["id"]] = msgspec.convert(
            {
                "code": r["id"],
                "version": r["number"],
                "department": r["department"],
                "category": c["category"],
                "ratio_cap_percent": c.get("ratio_cap_percent"),
                "target_kind": c["target_kind"],
                "suitable": c.get("suitable", True),
            },
            ItemInForce,
        )
    return out


async def plan_state(conn: asyncpg.Connection, plan_id: str) -> Plan | None:
    """An annual plan (年度抽查工作计划) as its read table holds it, or None."""
    data = await conn.fetchval("SELECT state FROM plans WHERE id = $1", plan_id)
    return None if data is None else plan_aggregate.SPEC.state_from_data(data)


# Evidence files (证据材料), stored content-addressed by SHA-256.
async def known_evidence(conn: asyncpg.Connection, digests: Sequence[str]) -> set[str]:
    """Those of ``digests`` (lower-case hex SHA-256) that name an uploaded evidence file not
    collected since."""
    if not digests:
        return set()
    rows = await conn.fetch(
        "SELECT id FROM evidence_files WHERE id = ANY($1::text[]) AND NOT collected",
        list(digests),
    )
    return {r["id"] for r in rows}
