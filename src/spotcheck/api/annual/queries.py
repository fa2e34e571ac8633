"""annualReport (年度工作总结): SYSTEM_ADMIN and AUDITOR for any department and the district; a
department's admin for its own department only (its department when none is named)."""

from __future__ import annotations

import strawberry

from spotcheck.api.annual.types import AnnualReport
from spotcheck.api.common.errors import query_error
from spotcheck.api.context import Context
from spotcheck.domain.actor import Role
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.report.annual import annual_report


def allowed_department(info: strawberry.Info[Context, None], department: str | None) -> str | None:
    actor = info.context.actor
    if actor.is_public:
        raise query_error(ErrorCode.UNAUTHENTICATED, None, "sign in to read the annual report")
    if actor.reads_everything:
        return department
    if Role.DEPARTMENT_ADMIN in actor.roles and actor.department is not None:
        if department in (None, actor.department):
            return actor.department
    raise query_error(
        ErrorCode.FORBIDDEN,
        "department",
        "only an AUDITOR, a SYSTEM_ADMIN or the department's admin reads its annual report",
    )


@strawberry.type
class AnnualReportQueries:
    @strawberry.field(
        description="年度工作总结 A year's figures per department and for the district (plan "
        "filed on time, coverage of items, published within the deadline, follow-ups, repeat "
        "inspections, action items and objection answers on time), each with the ledger "
        "entries that prove it. AUDITOR and SYSTEM_ADMIN; a department's admin for its own."
    )
    async def annual_report(
        self, info: strawberry.Info[Context, None], year: int, department: str | None = None
    ) -> AnnualReport | None:
        chosen = allowed_department(info, department)
        try:
            async with info.context.pool.acquire() as conn:
                report = await annual_report(conn, year, chosen)
        except DomainError as exc:
            p = exc.problems[0]
            raise query_error(p.code, p.field, p.message) from None
        return AnnualReport.of(report)
