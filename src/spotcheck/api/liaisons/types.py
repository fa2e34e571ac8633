"""GraphQL types of the liaison system (联络员制度): staff only, null for the public.

Work information reports carry the figures the statistics computed at submission; they are
output only (no input names a figure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
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
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.domain.inspection import InspectionOrigin
from spotcheck.domain.liaison import report as r
from spotcheck.domain.liaison import requests as q
from spotcheck.projections import state_tables

REPORTS = state_tables.LIAISON_REPORTS
REPLACEMENTS = state_tables.LIAISON_REPLACEMENT_REQUESTS
COORDINATIONS = state_tables.COORDINATION_REQUESTS


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


register_enum(
    q.RequestStatus,
    "LiaisonRequestStatus",
    "答复状态 Whether a request has its answer.",
    {"OPEN": "待答复 Waiting for the answer.", "ANSWERED": "已答复 Answered; closed."},
)
register_enum(
    q.ReplacementOutcome,
    "LiaisonReplacementOutcome",
    "更换结果 The department's answer to a replacement request.",
    {
        "REPLACED": "已更换 The liaison duty was handed over to another person.",
        "RETAINED": "未更换 The department keeps the liaison and explains why.",
    },
)


@strawberry.type(
    description="联络员更换要求 The office's request that a department replace a liaison who "
    "does not perform (联络员制度 一(五)), and the department's answer."
)
class LiaisonReplacementRequest(relay.Node):
    request_id: str
    liaison_name: str = strawberry.field(description="The liaison the request is about.")
    liaison_user_id: str | None = strawberry.field(description="Their account (internal id).")
    reason: str = strawberry.field(description="要求更换的理由 Why (required).")
    requested_by: str
    requested_on: dt.date
    status: q.RequestStatus
    outcome: q.ReplacementOutcome | None
    response: str | None = strawberry.field(description="单位答复 The department's answer.")
    answered_by: str | None
    answered_on: dt.date | None
    _department: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: LiaisonReplacementRequest, *, info: strawberry.Info) -> str:
        return root.request_id

    @strawberry.field(description="The department asked to replace its liaison.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)

    @classmethod
    def from_state(cls, s: q.ReplacementRequest) -> LiaisonReplacementRequest:
        return cls(**state_fields(cls, s), _department=s.department)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _load(info, q.REPLACEMENT, REPLACEMENTS, cls.from_state, list(node_ids))


@strawberry.type(
    description="协调事项 A matter of joint inspection that needs other member departments, "
    "raised by a department's liaison to the office (联络员制度 二(五)), tracked to its answer."
)
class CoordinationRequest(relay.Node):
    request_id: str
    title: str
    matter: str = strawberry.field(description="事项 What needs coordinating.")
    departments: list[str] = strawberry.field(
        description="The other member departments whose cooperation is needed (codes)."
    )
    raised_by: str
    raised_on: dt.date
    status: q.RequestStatus
    response: str | None = strawberry.field(description="办公室答复 The office's answer.")
    answered_by: str | None
    answered_on: dt.date | None
    _department: strawberry.Private[str]

    @classmethod
    def resolve_id(cls, root: CoordinationRequest, *, info: strawberry.Info) -> str:
        return root.request_id

    @strawberry.field(description="The department that raised it.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._department)

    @classmethod
    def from_state(cls, s: q.CoordinationRequest) -> CoordinationRequest:
        return cls(**state_fields(cls, s), _department=s.department)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await _load(info, q.COORDINATION, COORDINATIONS, cls.from_state, list(node_ids))


N = TypeVar("N")


async def _load(
    info: strawberry.Info[Context, None],
    spec: AggregateSpec[Any],
    table: str,
    make: Callable[[Any], N],
    keys: list[str],
) -> list[N | None]:
    """Staff only; the public gets nulls."""
    if not info.context.actor.is_staff:
        return [None] * len(keys)
    states = await info.context.loaders.state(spec, table).load_many(keys)
    return [make(s) if s is not None else None for s in states]


async def state_page(
    info: strawberry.Info[Context, None],
    spec: AggregateSpec[Any],
    table: str,
    make: Callable[[Any], N],
    first: int | None,
    after: str | None,
    **filters: Any,
) -> Connection[N]:
    """A keyset page of a staff-only table, with ``column = value`` for each filter given."""
    n = page_size(first)
    query = KeysetQuery(decode_cursor(after))
    if not info.context.actor.is_staff:
        return connection([], n)
    for column, value in filters.items():
        if value is not None:
            query.where(f"{column} = {query.arg(value)}")
    sql, args = query.sql(f"SELECT id, state FROM {table}", n + 1)
    rows = await info.context.pool.fetch(sql, *args)
    return connection([(row["id"], make(spec.state_from_data(row["state"]))) for row in rows], n)
