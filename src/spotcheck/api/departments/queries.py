"""Queries over member departments."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.departments.types import TABLE, Department, load_department
from spotcheck.domain import department as d


@strawberry.input(description="Filter for departments.")
class DepartmentFilter:
    member: bool | None = strawberry.field(
        default=None, description="Joint-meeting members only (or non-members)."
    )


@strawberry.type
class DepartmentQueries:
    @strawberry.field(description="成员单位 Member departments, by code.")
    async def departments(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: DepartmentFilter | None = None,
    ) -> Connection[Department]:
        n = page_size(first)
        member = filter.member if filter else None
        rows = await info.context.pool.fetch(
            f"SELECT id, state FROM {TABLE} WHERE ($1::text IS NULL OR id > $1)"
            " AND ($2::boolean IS NULL OR member = $2) ORDER BY id LIMIT $3",
            decode_cursor(after),
            member,
            n + 1,
        )
        return connection(
            [(r["id"], Department.from_state(d.SPEC.state_from_data(r["state"]))) for r in rows], n
        )

    @strawberry.field(description="One department by its code.")
    async def department(
        self, info: strawberry.Info[Context, None], code: str
    ) -> Department | None:
        return await load_department(info, code)
