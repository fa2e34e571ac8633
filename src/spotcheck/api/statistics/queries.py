"""The statistics query (统计).

Who: every staff member (any role, any department) sees every department's figures and the
district's: they are counts, no personal data, and departments see each other's results anyway
(结果互认); the public and signed-in users without a role get null.
"""

from __future__ import annotations

import strawberry

from spotcheck.api.common.errors import query_error
from spotcheck.api.context import Context
from spotcheck.api.statistics.types import RiskClassFigures, YearStatistics
from spotcheck.domain.errors import DomainError
from spotcheck.services import statistics as service


@strawberry.type
class StatisticsQueries:
    @strawberry.field(
        description="统计 The statistics of a year, per department and for the district, with "
        "RANDOM (双随机), SPECIAL (专项) and CASE (个案) counted apart: population, drawn, "
        "inspected, approved, published on time or late, overdue, problem rate by result code, "
        "coverage per item, inspector workload, repeat-inspection rate. Staff only (every "
        "department's figures); null for the public."
    )
    async def statistics(
        self,
        info: strawberry.Info[Context, None],
        year: int,
        department: str | None = None,
    ) -> YearStatistics | None:
        if not info.context.actor.is_staff:
            return None
        try:
            figures = await service.year_statistics(info.context.pool, year, department)
        except DomainError as exc:
            p = exc.problems[0]
            raise query_error(p.code, p.field, p.message) from None
        return YearStatistics.of(figures)

    @strawberry.field(
        description="差异化监管 Per credit risk class A–D, in the year's executed (not voided) "
        "draws of tasks stratified by class (of one lead department if given): the frozen "
        "population, the subjects drawn, the draw ratio and the inspection rate (inspected / "
        "population). Staff only; null for the public."
    )
    async def risk_class_figures(
        self,
        info: strawberry.Info[Context, None],
        year: int,
        department: str | None = None,
    ) -> list[RiskClassFigures] | None:
        if not info.context.actor.is_staff:
            return None
        try:
            figures = await service.risk_class_year(info.context.pool, year, department)
        except DomainError as exc:
            p = exc.problems[0]
            raise query_error(p.code, p.field, p.message) from None
        return [RiskClassFigures.of(f) for f in figures]
