"""Queries of objections (异议): the list and one objection (staff), and the filer's status
look-up by reference number and USCC (public)."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.objections.types import Objection, load_objections, may_see
from spotcheck.domain import objection as ob
from spotcheck.projections.state_tables import OBJECTIONS
from spotcheck.services import objections as service


@strawberry.input(description="Filter for objections (every given condition must hold).")
class ObjectionFilter:
    department: str | None = strawberry.field(
        default=None, description="牵头部门 The lead department's code."
    )
    status: ob.ObjectionStatus | None = None
    inspection_id: str | None = strawberry.field(
        default=None, description="The published result objected to."
    )


_LIST = f"""
SELECT id, state FROM {OBJECTIONS}
 WHERE ($1::text IS NULL OR id > $1)
   AND ($2::text IS NULL OR department = $2)
   AND ($3::text IS NULL OR status = $3)
   AND ($4::text IS NULL OR inspection_id = $4)
 ORDER BY id LIMIT $5
"""


@strawberry.type
class ObjectionQueries:
    @strawberry.field(
        description="异议 Objections by reference number: SYSTEM_ADMIN and AUDITOR see all, "
        "other staff their department's (as lead department). Empty for the public."
    )
    async def objections(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: ObjectionFilter | None = None,
    ) -> Connection[Objection]:
        n = page_size(first)
        actor = info.context.actor
        if not actor.is_staff:
            return connection([], n)
        f = filter or ObjectionFilter()
        department = f.department
        if not actor.reads_everything:
            if department is not None and department != actor.department:
                return connection([], n)
            department = actor.department
        rows = await info.context.pool.fetch(
            _LIST,
            decode_cursor(after),
            department,
            f.status.value if f.status else None,
            f.inspection_id,
            n + 1,
        )
        states = [ob.SPEC.state_from_data(r["state"]) for r in rows]
        return connection(
            [(o.objection_id, Objection.from_state(o)) for o in states if may_see(actor, o)], n
        )

    @strawberry.field(description="异议 One objection by reference number (staff who may see it).")
    async def objection(self, info: strawberry.Info[Context, None], key: str) -> Objection | None:
        return (await load_objections(info, [key.strip()]))[0]

    @strawberry.field(
        description="异议查询 The filer's look-up: the objection with this reference number if "
        "it is about the subject with this USCC (统一社会信用代码), else null. Public."
    )
    async def objection_status(
        self, info: strawberry.Info[Context, None], key: str, uscc: str
    ) -> Objection | None:
        key = key.strip().upper()
        if not ob.KEY.match(key):
            return None
        (found,) = await service.load(info.context.pool, [key])
        if found is None or not found.uscc or found.uscc != ob.normalise_uscc(uscc):
            return None
        return Objection.from_state(found)
