"""Queries over the registry of inspectors (staff only)."""

from __future__ import annotations

import datetime as dt

import strawberry

from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.inspectors.types import TABLE, Inspector, load_inspector
from spotcheck.domain import inspector as i


@strawberry.input(description="Filter for inspectors (every given condition must hold).")
class InspectorFilter:
    department: str | None = strawberry.field(default=None, description="所属部门 code.")
    kind: i.InspectorKind | None = None
    status: i.InspectorStatus | None = None
    expertise: str | None = strawberry.field(
        default=None, description="专业领域 Holding this field of expertise, e.g. FOOD."
    )
    certificate_valid_on: dt.date | None = strawberry.field(
        default=None,
        description="Holding an enforcement certificate (执法证) valid on this day.",
    )


LIST = f"""
SELECT id, state FROM {TABLE}
 WHERE ($1::text IS NULL OR id > $1)
   AND ($2::text IS NULL OR department = $2)
   AND ($3::text IS NULL OR kind = $3)
   AND ($4::text IS NULL OR status = $4)
   AND ($5::jsonb IS NULL OR state->'expertise' @> $5)
   AND ($6::text IS NULL OR (certificate_valid_from <= $6 AND certificate_valid_until >= $6))
 ORDER BY id LIMIT $7
"""


@strawberry.type
class InspectorQueries:
    @strawberry.field(
        description="执法检查人员名录库 Inspectors by staff id (staff only; empty for the public)."
    )
    async def inspectors(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: InspectorFilter | None = None,
    ) -> Connection[Inspector]:
        n = page_size(first)
        cursor = decode_cursor(after)
        actor = info.context.actor
        if not actor.is_staff:
            return connection([], n)
        f = filter or InspectorFilter()
        rows = await info.context.pool.fetch(
            LIST,
            cursor,
            f.department,
            f.kind.value if f.kind else None,
            f.status.value if f.status else None,
            [f.expertise] if f.expertise is not None else None,
            # ISO dates compare correctly as text (see the migration).
            f.certificate_valid_on.isoformat() if f.certificate_valid_on else None,
            n + 1,
        )
        return connection(
            [
                (r["id"], Inspector.from_state(i.SPEC.state_from_data(r["state"]), actor))
                for r in rows
            ],
            n,
        )

    @strawberry.field(description="One inspector by staff id (工号); null for the public.")
    async def inspector(
        self, info: strawberry.Info[Context, None], staff_id: str
    ) -> Inspector | None:
        return await load_inspector(info, staff_id)
