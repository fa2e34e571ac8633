"""Queries over inspection records (检查记录): staff only."""

from __future__ import annotations

from typing import Any

import strawberry

from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.context import Context
from spotcheck.api.inspections.types import InspectionRecord, load_records
from spotcheck.domain import inspection as i
from spotcheck.domain.subject import normalise_key
from spotcheck.projections.inspections import RECORDS, SELECT_RECORDS


@strawberry.input(description="Filter for inspection records (every given condition must hold).")
class InspectionRecordFilter:
    task_id: str | None = strawberry.field(default=None, description="抽查任务 Task id.")
    subject_key: str | None = strawberry.field(
        default=None, description="检查对象 The subject's key (a USCC in any letter case)."
    )
    department: str | None = strawberry.field(
        default=None, description="参与部门 Inspections this department takes part in."
    )
    status: i.LifecycleStatus | None = strawberry.field(
        default=None, description="检查进度 Lifecycle status."
    )
    origin: i.InspectionOrigin | None = strawberry.field(
        default=None, description="检查来源 RANDOM, SPECIAL or CASE."
    )
    staff_id: str | None = strawberry.field(
        default=None, description="工号 Inspections whose team includes this inspector."
    )


def records_query(
    f: InspectionRecordFilter, cursor: str | None, limit: int
) -> tuple[str, list[Any]]:
    q = KeysetQuery(cursor)
    if f.task_id is not None:
        q.where(f"task_id = {q.arg(f.task_id)}")
    if f.subject_key is not None:
        q.where(f"subject_key = {q.arg(normalise_key(f.subject_key))}")
    if f.department is not None:
        q.where(f"departments @> ARRAY[{q.arg(f.department)}::text]")
    if f.status is not None:
        q.where(f"lifecycle = {q.arg(f.status.value)}")
    if f.origin is not None:
        # A literal, not a parameter: inspections_origin holds only the rows with origin <>
        # 'RANDOM' (migration 20261227093000), and the planner uses a partial index only when
        # the query's text implies its condition.  The value is an enum member's (A-Z only).
        origin = i.InspectionOrigin(f.origin).value
        assert origin.isascii() and origin.isalpha() and origin.isupper()
        q.where(f"origin = '{origin}'")
    if f.staff_id is not None:
        q.where(f"staff @> ARRAY[{q.arg(f.staff_id)}::text]")
    return q.sql(SELECT_RECORDS, limit)


@strawberry.type
class InspectionRecordQueries:
    @strawberry.field(
        description="检查记录 Inspections with their lifecycle and results, by key (staff only; "
        "empty for the public, who read published results in the publication queries)."
    )
    async def inspection_records(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: InspectionRecordFilter | None = None,
    ) -> Connection[InspectionRecord]:
        n = page_size(first)
        cursor = decode_cursor(after)
        if not info.context.actor.is_staff:
            return connection([], n)
        sql, args = records_query(filter or InspectionRecordFilter(), cursor, n + 1)
        rows = await info.context.pool.fetch(sql, *args)
        states = await info.context.loaders.state(i.SPEC, RECORDS).load_many(
            [r["id"] for r in rows]
        )
        return connection(
            [
                (r["id"], InspectionRecord.from_row(r, st))
                for r, st in zip(rows, states, strict=True)
            ],
            n,
        )

    @strawberry.field(
        description="One inspection record by key (`{taskId}/{drawNumber}/{subjectKey}` or "
        "`CASE/{department}/{reference}`); null if missing and for the public."
    )
    async def inspection_record(
        self, info: strawberry.Info[Context, None], key: str
    ) -> InspectionRecord | None:
        return (await load_records(info, [key]))[0]
