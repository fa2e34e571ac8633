"""GraphQL types of the statistics (统计): figures per year, department and origin.

Random (双随机), special (专项) and case (个案) inspections are counted apart in every figure
(``byOrigin``); the definitions are in ``spotcheck.services.statistics``.
"""

from __future__ import annotations

import datetime as dt

import strawberry

# Registers the GraphQL enums InspectionOrigin and ResultCode (owned by the inspections area).
from spotcheck.api.inspections import types as _inspection_types  # noqa: F401

# Registers the GraphQL enum RiskClass (owned by the subjects area).
from spotcheck.api.subjects import types as _subject_types  # noqa: F401
from spotcheck.domain import statistics as st
from spotcheck.domain.inspection import RESULT_CODE_DESCRIPTIONS, InspectionOrigin, ResultCode
from spotcheck.domain.subject import RiskClass


@strawberry.type(
    description="检查结果分布 One result code's count among the item results of the inspected "
    "inspections, and its share of them."
)
class ResultCodeCount:
    code: ResultCode
    description: str = strawberry.field(description="The code's meaning, in Chinese and English.")
    count: int
    share: float | None = strawberry.field(description="count / all item results; null if none.")

    @classmethod
    def of(cls, f: st.CodeFigure) -> ResultCodeCount:
        return cls(
            code=f.code, description=RESULT_CODE_DESCRIPTIONS[f.code], count=f.count, share=f.share
        )


@strawberry.type(
    description="事项覆盖率 Coverage of one inspection item: the inspections covering it, those "
    "inspected, the distinct subjects inspected, and the population of the year's draws for it "
    "(a subject counted once per draw)."
)
class ItemCoverage:
    item: str = strawberry.field(description="检查事项 The inspection item's code.")
    inspections: int = strawberry.field(description="Inspections covering the item.")
    inspected: int = strawberry.field(description="Of those, with results submitted.")
    subjects: int = strawberry.field(description="Distinct subjects inspected for the item.")
    population: int | None = strawberry.field(
        description="Population of the year's draws for the item (sum of their committed "
        "strata sizes); null for cases (个案 are not drawn)."
    )
    coverage: float | None = strawberry.field(
        description="覆盖率 inspected / population; null without a population."
    )

    @classmethod
    def of(cls, c: st.ItemCoverage) -> ItemCoverage:
        return cls(
            item=c.item,
            inspections=c.inspections,
            inspected=c.inspected,
            subjects=c.subjects,
            population=c.population,
            coverage=c.coverage,
        )


@strawberry.type(
    description="检查人员工作量 One inspector's inspections of the year of one origin: in their "
    "team (assigned), with results submitted (done), as lead (主检)."
)
class InspectorWorkload:
    staff_id: str = strawberry.field(description="工号 The inspector's staff id.")
    origin: InspectionOrigin
    assigned: int
    done: int
    as_lead: int

    @classmethod
    def of(cls, w: st.Workload) -> InspectorWorkload:
        return cls(
            staff_id=w.staff_id,
            origin=w.origin,
            assigned=w.assigned,
            done=w.done,
            as_lead=w.as_lead,
        )


@strawberry.type(
    description="重复检查率 Among the subjects given at least one RANDOM or SPECIAL inspection in "
    "the year, those given more than one (cases never count): the figure the plan wants down."
)
class RepeatInspection:
    subjects: int = strawberry.field(description="Subjects given at least one.")
    repeated: int = strawberry.field(description="Subjects given more than one.")
    rate: float | None = strawberry.field(description="repeated / subjects; null if none.")

    @classmethod
    def of(cls, r: st.Repeat) -> RepeatInspection:
        return cls(subjects=r.subjects, repeated=r.repeated, rate=r.rate)


@strawberry.type(
    description="按来源统计 The figures of one origin (RANDOM 双随机, SPECIAL 专项, CASE 个案), "
    "counted apart: a case is never in a random figure. Counts are of inspections led by the "
    "department (牵头部门), except jointParticipation."
)
class OriginStatistics:
    origin: InspectionOrigin
    draws: int = strawberry.field(
        description="Executed draws (not voided) of the year's tasks; 0 for cases."
    )
    population: int | None = strawberry.field(
        description="抽查对象总体 Subjects in the populations of those draws (sum of committed "
        "strata sizes; a subject in two draws counts twice); null for cases."
    )
    drawn: int = strawberry.field(
        description="已抽取 Inspections drawn (for cases: opened) in the year."
    )
    joint_participation: int = strawberry.field(
        description="联合抽查 Inspections the department took part in without leading; 0 for "
        "the district (which counts each inspection once)."
    )
    inspected: int = strawberry.field(description="已检查 Results submitted.")
    approved: int = strawberry.field(description="已审核 Results approved.")
    published: int = strawberry.field(description="已公示 Results published.")
    published_on_time: int = strawberry.field(
        description="按时公示 Published within the deadline (20 working days, per plan, from "
        "the task's completion; a case from its approval), or before the deadline started."
    )
    published_late: int = strawberry.field(description="逾期公示 Published after the deadline.")
    overdue: int = strawberry.field(
        description="逾期未公示 Not published, the deadline passed (before asOf)."
    )
    deadline_unknown: int = strawberry.field(
        description="期限无法计算 The deadline runs into a year without a holiday schedule: "
        "counted here, never guessed (published or not), and in none of the three above."
    )
    results: int = strawberry.field(
        description="Item results of the inspected inspections (one per item)."
    )
    problems: int = strawberry.field(description="Of those, with a code that is a problem found.")
    problem_rate: float | None = strawberry.field(
        description="问题发现率 problems / results (codes A B C D E G 6 8); null if no results."
    )
    by_result_code: list[ResultCodeCount] = strawberry.field(
        description="Every result code in the standard order, with its count and share."
    )
    coverage: list[ItemCoverage] = strawberry.field(description="Per inspection item, by code.")

    @classmethod
    def of(cls, f: st.OriginFigures) -> OriginStatistics:
        return cls(
            origin=f.origin,
            draws=f.draws,
            population=f.population,
            drawn=f.drawn,
            joint_participation=f.joint_participation,
            inspected=f.inspected,
            approved=f.approved,
            published=f.published,
            published_on_time=f.published_on_time,
            published_late=f.published_late,
            overdue=f.overdue,
            deadline_unknown=f.deadline_unknown,
            results=f.results,
            problems=f.problems,
            problem_rate=f.problem_rate,
            by_result_code=[ResultCodeCount.of(c) for c in f.by_code()],
            coverage=[ItemCoverage.of(c) for c in f.coverage()],
        )


@strawberry.type(
    description="部门统计 One department's statistics for the year (department null: the whole "
    "district)."
)
class DepartmentStatistics:
    department: str | None = strawberry.field(
        description="The department's code; null for the district."
    )
    registry_subjects: int = strawberry.field(
        description="检查对象名录库 Subjects the department maintains in the registry now (any "
        "status); the district: every subject with a maintaining department."
    )
    by_origin: list[OriginStatistics] = strawberry.field(
        description="RANDOM, SPECIAL and CASE, in that order, each counted apart."
    )
    repeat_inspection: RepeatInspection
    workload: list[InspectorWorkload] = strawberry.field(
        description="The department's inspectors (by their registry department; the district: "
        "every inspector), by staff id and origin."
    )

    @classmethod
    def of(cls, d: st.DepartmentFigures) -> DepartmentStatistics:
        return cls(
            department=d.department,
            registry_subjects=d.registry_subjects,
            by_origin=[OriginStatistics.of(o) for o in d.by_origin()],
            repeat_inspection=RepeatInspection.of(d.repeat),
            workload=[InspectorWorkload.of(w) for w in d.workloads()],
        )


@strawberry.type(
    description="年度统计 The statistics of one year (the year of an inspection is its task's "
    "start date, a case's start date), per department and for the district."
)
class YearStatistics:
    year: int
    as_of: dt.date = strawberry.field(
        description="The Beijing date overdue is judged against (today)."
    )
    departments: list[DepartmentStatistics] = strawberry.field(
        description="Per department by code (only the one asked for, if any)."
    )
    district: DepartmentStatistics = strawberry.field(
        description="全区 The whole district, every department's inspections counted once."
    )

    @classmethod
    def of(cls, y: st.YearFigures) -> YearStatistics:
        return cls(
            year=y.year,
            as_of=y.today,
            departments=[DepartmentStatistics.of(d) for d in y.departments],
            district=DepartmentStatistics.of(y.district),
        )


@strawberry.type(
    description="按信用风险分类 One credit risk class in the year's draws of tasks stratified by "
    "class (executed, not voided): its frozen population, how many were drawn, the draw ratio, "
    "and how many of the drawn were inspected."
)
class RiskClassFigures:
    risk_class: RiskClass
    draws: int = strawberry.field(description="Draws with a stratum of this class.")
    population: int = strawberry.field(
        description="Subjects in the class's strata, summed over the draws (frozen at commit)."
    )
    drawn: int = strawberry.field(description="Subjects drawn from them (the strata's k).")
    draw_ratio: float | None = strawberry.field(
        description="抽查比例 drawn / population; null without a population."
    )
    inspected: int = strawberry.field(
        description="Drawn inspections of the class's picks with results submitted."
    )
    inspection_rate: float | None = strawberry.field(
        description="检查率 inspected / population; null without a population."
    )

    @classmethod
    def of(cls, f: st.RiskClassFigure) -> RiskClassFigures:
        return cls(
            risk_class=f.risk_class,
            draws=f.draws,
            population=f.population,
            drawn=f.drawn,
            draw_ratio=f.draw_ratio,
            inspected=f.inspected,
            inspection_rate=f.inspection_rate,
        )
