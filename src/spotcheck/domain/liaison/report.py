"""工作信息报送 A liaison's periodic work information report (联络员制度 二(二), 附件1 第九条).

Stream ``liaison-report-{department}-{year}-Q{quarter}``: one report per department and
quarter.  The liaison (or the department's administrator, ``office.speaks_for``) writes the
text: progress (工作推进情况), problems (存在问题) and experience (工作经验).  The figures are
not theirs to write: at submission the service computes the department's statistics of the
report's year up to that day (``services/statistics.py``, the same figures as the
``statistics`` query) in one snapshot, and the event stores them as computed, with the Beijing
date they were computed for and the ledger position (the sealed ledger's head) in that
snapshot.  No command takes figures, and a submitted report is never changed: submitting the
same quarter again is ``ALREADY_EXISTS``.

A quarter's report may be submitted from the quarter's first day on (``OUT_OF_RANGE`` before).
"""

from __future__ import annotations

from datetime import date

import msgspec

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.inspection import InspectionOrigin
from spotcheck.domain.liaison.office import speaks_for
from spotcheck.domain.statistics import MAX_YEAR, MIN_YEAR, DepartmentFigures

MAX_TEXT = 5000


class OriginCounts(msgspec.Struct, frozen=True, kw_only=True):
    """One origin's counts, as the statistics define them (``domain/statistics.py``)."""

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


class ReportFigures(msgspec.Struct, frozen=True, kw_only=True):
    """The statistics of the department's year, as computed at submission."""

    as_of: date
    """The Beijing date the figures were computed for (overdue is judged against it)."""
    ledger_position: int
    """The sealed ledger's head in the snapshot the figures were read from (0: none sealed)."""
    registry_subjects: int
    repeat_subjects: int
    repeated_subjects: int
    origins: list[OriginCounts]


def figures_of(d: DepartmentFigures, as_of: date, ledger_position: int) -> ReportFigures:
    """The report's figures from the statistics of one department (plain integers: sums read
    from SQL may arrive as decimals)."""
    return ReportFigures(
        as_of=as_of,
        ledger_position=int(ledger_position),
        registry_subjects=int(d.registry_subjects),
        repeat_subjects=int(d.repeat.subjects),
        repeated_subjects=int(d.repeat.repeated),
        origins=[
            OriginCounts(
                origin=f.origin,
                draws=int(f.draws),
                population=None if f.population is None else int(f.population),
                drawn=int(f.drawn),
                joint_participation=int(f.joint_participation),
                inspected=int(f.inspected),
                approved=int(f.approved),
                published=int(f.published),
                published_on_time=int(f.published_on_time),
                published_late=int(f.published_late),
                overdue=int(f.overdue),
                deadline_unknown=int(f.deadline_unknown),
                results=int(f.results),
                problems=int(f.problems),
            )
            for f in d.by_origin()
        ],
    )


class LiaisonReport(msgspec.Struct, frozen=True, kw_only=True):
    """A submitted report."""

    report_id: str
    department: str
    year: int
    quarter: int
    progress: str
    problems: str | None = None
    experience: str | None = None
    figures: ReportFigures
    submitted_by: str
    submitted_on: date


class SubmitLiaisonReport(Command, frozen=True, kw_only=True):
    department: str
    year: int
    quarter: int
    progress: str
    problems: str | None = None
    experience: str | None = None


class LiaisonReportSubmitted(Event, frozen=True, kw_only=True):
    department: str
    year: int
    quarter: int
    progress: str
    problems: str | None
    experience: str | None
    figures: ReportFigures
    submitted_by: str
    submitted_on: date


def report_id(department: str, year: int, quarter: int) -> str:
    return f"{department}-{year}-Q{quarter}"


def quarter_start(year: int, quarter: int) -> date:
    return date(year, 3 * (quarter - 1) + 1, 1)


def _optional(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def decide(
    state: LiaisonReport | None,
    command: SubmitLiaisonReport,
    actor: Actor,
    departments: frozenset[str],
    figures: ReportFigures,
) -> list[Event]:
    """``figures``: the department's statistics of ``command.year`` as of today."""
    if not speaks_for(actor, command.department):
        raise rules.forbid(
            "only the department's liaison (联络员) or its administrator submits its work "
            "information report",
            "department",
        )
    p = Problems()
    if command.department not in departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {command.department!r}")
    if not MIN_YEAR <= command.year <= MAX_YEAR:
        p.add(ErrorCode.OUT_OF_RANGE, "year", f"year {command.year} is not a report year")
    elif not 1 <= command.quarter <= 4:
        p.add(ErrorCode.OUT_OF_RANGE, "quarter", "quarter is 1, 2, 3 or 4")
    elif quarter_start(command.year, command.quarter) > figures.as_of:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "quarter",
            f"Q{command.quarter} {command.year} begins on "
            f"{quarter_start(command.year, command.quarter).isoformat()}; it cannot be reported "
            "before",
        )
    rules.text(p, "progress", command.progress, max_len=MAX_TEXT, multiline=True)
    rules.text(p, "problems", command.problems, max_len=MAX_TEXT, required=False, multiline=True)
    rules.text(
        p, "experience", command.experience, max_len=MAX_TEXT, required=False, multiline=True
    )
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS,
            "quarter",
            f"the report of {command.department} for Q{command.quarter} {command.year} was "
            "submitted; a submitted report is not changed",
        )
    return [
        LiaisonReportSubmitted(
            department=command.department,
            year=command.year,
            quarter=command.quarter,
            progress=command.progress.strip(),
            problems=_optional(command.problems),
            experience=_optional(command.experience),
            figures=figures,
            submitted_by=actor.user_id or "public",
            submitted_on=figures.as_of,
        )
    ]


def evolve(state: LiaisonReport | None, event: Event) -> LiaisonReport:
    if isinstance(event, LiaisonReportSubmitted):
        return LiaisonReport(
            report_id=report_id(event.department, event.year, event.quarter),
            department=event.department,
            year=event.year,
            quarter=event.quarter,
            progress=event.progress,
            problems=event.problems,
            experience=event.experience,
            figures=event.figures,
            submitted_by=event.submitted_by,
            submitted_on=event.submitted_on,
        )
    raise TypeError(f"not a liaison report event: {event!r}")


SPEC: AggregateSpec[LiaisonReport] = AggregateSpec(
    name="liaison_report",
    stream_prefix="liaison-report-",
    events=(LiaisonReportSubmitted,),
    evolve=evolve,
    state_type=LiaisonReport,
)
