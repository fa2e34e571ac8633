"""GraphQL types of the annual report (年度工作总结)."""

from __future__ import annotations

import datetime as dt

import strawberry

from spotcheck.api.review.types import Proof
from spotcheck.api.scalars import SafeInt
from spotcheck.report import annual as model


@strawberry.type(description="One count around a figure's ratio (e.g. late, overdue, notDue).")
class FigureDetail:
    name: str
    count: int


@strawberry.type(
    description="年度指标 One figure: numerator / denominator, with the ledger entries that "
    "prove it (definitions in docs/annual-report.md)."
)
class AnnualFigure:
    key: str = strawberry.field(
        description="planFiledOnTime, itemCoverage, publishedOnTime, followUpsOnTime, "
        "repeatInspection, actionItemsOnTime or objectionAnswersOnTime."
    )
    title: str
    numerator: int
    denominator: int
    rate: float | None = strawberry.field(description="numerator / denominator; null when 0.")
    details: list[FigureDetail]
    proofs: list[Proof]
    unproved: list[str] = strawberry.field(
        description="What a figure counts whose events were not yet sealed at ledgerPosition."
    )

    @classmethod
    def of(cls, f: model.ReportFigure) -> AnnualFigure:
        return cls(
            key=f.key,
            title=f.title,
            numerator=f.numerator,
            denominator=f.denominator,
            rate=f.rate,
            details=[FigureDetail(name=k, count=n) for k, n in f.details.items()],
            proofs=[Proof.of(p) for p in f.proofs],
            unproved=list(f.unproved),
        )


@strawberry.type(description="One department's figures (department null: the district).")
class DepartmentAnnualFigures:
    department: str | None
    figures: list[AnnualFigure]

    @classmethod
    def of(cls, d: model.DepartmentReport) -> DepartmentAnnualFigures:
        return cls(department=d.department, figures=[AnnualFigure.of(f) for f in d.figures])


@strawberry.type(description="年度工作总结 A year's figures, each proved by ledger entries.")
class AnnualReport:
    year: int
    as_of: dt.date = strawberry.field(description="The Beijing date the figures are as of.")
    plan_filing_deadline: dt.date
    ledger_position: SafeInt = strawberry.field(description="The last ledger position read.")
    departments: list[DepartmentAnnualFigures]
    district: DepartmentAnnualFigures | None = strawberry.field(
        description="Null when the report is of one department."
    )

    @classmethod
    def of(cls, r: model.AnnualReport) -> AnnualReport:
        return cls(
            year=r.year,
            as_of=r.today,
            plan_filing_deadline=r.plan_filing_deadline,
            ledger_position=SafeInt(r.ledger_position),
            departments=[DepartmentAnnualFigures.of(d) for d in r.departments],
            district=None if r.district is None else DepartmentAnnualFigures.of(r.district),
        )
