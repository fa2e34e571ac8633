"""Queries of the liaison system (联络员制度): staff only; empty or null for the public."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.errors import query_error
from spotcheck.api.common.pagination import Connection
from spotcheck.api.context import Context
from spotcheck.api.liaisons.trainings import Training, training_page
from spotcheck.api.liaisons.types import (
    COORDINATIONS,
    REPLACEMENTS,
    CoordinationRequest,
    LiaisonReplacementRequest,
    LiaisonReport,
    LiaisonReportFigures,
    report_page,
    state_page,
)
from spotcheck.domain.errors import DomainError
from spotcheck.domain.liaison import requests as q
from spotcheck.domain.statistics import check_arguments
from spotcheck.services import liaisons as service
from spotcheck.services.refs import department_codes


@strawberry.input(description="Filter for work information reports.")
class LiaisonReportFilter:
    department: str | None = strawberry.field(default=None, description="报送单位 Department.")
    year: int | None = strawberry.field(default=None, description="年度 Year.")


@strawberry.input(description="Filter for requests (every given condition must hold).")
class LiaisonRequestFilter:
    department: str | None = strawberry.field(
        default=None, description="The department concerned (asked, or raising)."
    )
    status: q.RequestStatus | None = strawberry.field(default=None, description="答复状态.")


@strawberry.type
class LiaisonQueries:
    @strawberry.field(
        description="工作信息报送 Liaisons' work information reports, by id (staff only)."
    )
    async def liaison_reports(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: LiaisonReportFilter | None = None,
    ) -> Connection[LiaisonReport]:
        f = filter or LiaisonReportFilter()
        return await report_page(info, first, after, f.department, f.year)

    @strawberry.field(
        description="预填数据 The figures a report of the department for the year would carry if "
        "submitted now: what the report form shows pre-filled. Staff only; null for the public."
    )
    async def liaison_report_figures(
        self, info: strawberry.Info[Context, None], department: str, year: int
    ) -> LiaisonReportFigures | None:
        if not info.context.actor.is_staff:
            return None
        pool = info.context.pool
        try:
            async with pool.acquire() as conn:
                check_arguments(year, department, await department_codes(conn))
        except DomainError as exc:
            p = exc.problems[0]
            raise query_error(p.code, p.field, p.message) from None
        return LiaisonReportFigures.of(await service.report_figures(pool, department, year))

    @strawberry.field(
        description="联络员更换要求 The office's requests to replace a liaison, by id (staff only)."
    )
    async def liaison_replacement_requests(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: LiaisonRequestFilter | None = None,
    ) -> Connection[LiaisonReplacementRequest]:
        f = filter or LiaisonRequestFilter()
        return await state_page(
            info,
            q.REPLACEMENT,
            REPLACEMENTS,
            LiaisonReplacementRequest.from_state,
            first,
            after,
            department=f.department,
            status=f.status.value if f.status else None,
        )

    @strawberry.field(
        description="协调事项 Coordination requests raised to the office, by id (staff only)."
    )
    async def coordination_requests(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: LiaisonRequestFilter | None = None,
    ) -> Connection[CoordinationRequest]:
        f = filter or LiaisonRequestFilter()
        return await state_page(
            info,
            q.COORDINATION,
            COORDINATIONS,
            CoordinationRequest.from_state,
            first,
            after,
            department=f.department,
            status=f.status.value if f.status else None,
        )

    @strawberry.field(
        description="宣传培训 Training sessions for inspectors, by id (staff only); an "
        "inspector's own are on the inspector's record (`Inspector.trainings`)."
    )
    async def trainings(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        department: str | None = None,
    ) -> Connection[Training]:
        return await training_page(info, first, after, department=department)
