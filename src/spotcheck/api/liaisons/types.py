"""GraphQL types of the liaison system (联络员制度): staff only, null for the public.

Work information reports carry the figures the statistics computed at submission; they are
output only (no input names a figure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.pagination import (
    Connection,
    KeysetQuery,
    connection,
    decode_cursor,
    page_size,
)
from spotcheck.api.common.state_fields import state_fields
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department

# Registers the GraphQL enum InspectionOrigin (owned by the inspections area).
from spotcheck.api.inspections import types as _inspection_types  # noqa: F401
from spotcheck.domain.inspection import InspectionOrigin
from spotcheck.domain.liaison import report as r
from spotcheck.projections import state_tables

REPORTS = state_tables.LIAISON_REPORTS


@strawberry.type(
    description="按来源统计 One origin's counts (RANDOM 双随机, SPECIAL 专项, CASE 个案) as the "
    "statistics define them (see `statistics`)."
)
class OriginReportFigures:
    origin: InspectionOrigin
    draws: int
    population: int | None
    drawn: int
    joint_participation: int
    inspected: int
    approved: int
    published: int
    published_on_time: int
    published_late: int
    overdue: int
    deadline_unknown: int
    results: int
    problems: int


@strawberry.type(
    description="报送数据 The figures of a work information report: the department's statistics "
    "of the report's year as computed at submission (never entered by hand)."
)
class LiaisonReportFigures:
    as_of: dt.date = strawberry.field(
        description="The Beijing date the figures were computed for (overdue judged against it)."
    )
    ledger_position: int = strawberry.field(
        description="账本位置 The sealed ledger's head in the snapshot the figures were read "
        "from (0 when nothing was sealed yet)."
    )
    registry_subjects: int = strawberry.field(
        description="The subjects the department maintains in the registry."
    )
    repeat_subjects: int = strawberry.field(
        description="Subjects given at least one RANDOM or SPECIAL inspection."
    )
    repeated_subjects: int = strawberry.field(description="Of those, given more than one.")
    by_origin: list[OriginReportFigures] = strawberry.field(
        description="RANDOM, SPECIAL and CASE, in that order."
    )

    @classmethod
    def of(cls, f: r.ReportFigures) -> LiaisonReportFigures:
        return cls(
            as_of=f.as_of,
            ledger_position=f.ledger_position,
            registry_subjects=f.registry_subjects,
            repeat_subjects=f.repeat_subjects,
            repeated_subjects=f.repeated_subjects,
            by_origin=[
                OriginReportFigures(**state_fields(OriginReportFigures, o)) for o in f.origins
            ],
        )


@strawberry.type(
    description="工作信息报送 A liaison's quarterly work information report to the office of the "
    "joint meeting (联络员制度 二(二), 第九条): progress, problems and experience in the "
    "department's words, and the figures the platform computed at submission. Never changed "
    "once submitted."
)
class LiaisonReport(relay.Node):
    report_id: str = strawberry.field(description="{department}-{year}-Q{quarter}.")
    year: int
    quarter: int = strawberry.field(description="季度 1 to 4.")
    progress: str = strawberry.field(description="工作推进情况 Progress.")
    problems: str | None = strawberry.field(description="存在问题 Problems.")
    experience: str | None = strawberry.field(description="工作经验 Experience.")
    submitted_by: str = strawberry.field(description="The submitting account (an internal id).")
    submitted_on: dt.date = strawberry.field(description="报送日期 Beijing date of submission.")
    figures: LiaisonReportFigures
    _department: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: LiaisonReport, *, info: strawberry.Info) -> str:
        return root.report_id

    @strawberry.field(description="报送单位 The reporting department.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)

    @classmethod
    def from_state(cls, s: r.LiaisonReport) -> LiaisonReport:
        plain = state_fields(cls, s) | {"figures": LiaisonReportFigures.of(s.figures)}
        return cls(**plain, _department=s.department)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_reports(info, list(node_ids))


async def load_reports(
    info: strawberry.Info[Context, None], keys: list[str]
) -> list[LiaisonReport | None]:
    if not info.context.actor.is_staff:
        return [None] * len(keys)
    states = await info.context.loaders.state(r.SPEC, REPORTS).load_many(keys)
    return [LiaisonReport.from_state(s) if s is not None else None for s in states]


async def report_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    department: str | None,
    year: int | None,
) -> Connection[LiaisonReport]:
    n = page_size(first)
    q = KeysetQuery(decode_cursor(after))
    if not info.context.actor.is_staff:
        return connection([], n)
    if department is not None:
        q.where(f"department = {q.arg(department)}")
    if year is not None:
        q.where(f"year = {q.arg(year)}")
    sql, args = q.sql(f"SELECT id, state FROM {REPORTS}", n + 1)
    rows = await info.context.pool.fetch(sql, *args)
    return connection(
        [
            (row["id"], LiaisonReport.from_state(r.SPEC.state_from_data(row["state"])))
            for row in rows
        ],
        n,
    )
