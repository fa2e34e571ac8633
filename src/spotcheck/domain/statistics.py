# Over 500 lines: each figure's meaning and its arithmetic, kept beside one another.
"""统计 Statistics per year and department: population, drawn, inspected, approved, published on
time or late, overdue; problem rate by result code; coverage per item; inspector workload; the
repeat-inspection rate.  Random (双随机), special (专项, still double-random) and case (个案)
inspections are counted apart in every figure: a case is never mixed into a random figure.

Definitions (what an accountability review reads; every figure is a plain count):

* **Year** of an inspection: the year of its start date (a drawn inspection: its task's start
  date; a case: the case's start date).  Of a draw: its task's start date.
* **Department** of an inspection: its lead department (牵头部门, ``departments[0]``).  Every
  count below is the lead department's; ``jointParticipation`` counts, apart, the inspections
  a department took part in without leading (联合抽查).  The district figure (``department``
  None) counts every inspection once.
* **population**: the sum, over the year's draws that are executed and not voided, of the
  sizes of their committed strata (the frozen 检查对象 populations; a subject in the
  populations of two draws counts twice).  ``registrySubjects``: the subjects the department
  maintains in the registry (检查对象名录库) now, whatever their status.  No population for
  cases.
* **drawn**: inspections (for cases: opened); **inspected**: results submitted (an inspection
  date is recorded; a returned result still counts, the visit took place); **approved**,
  **published**.
* **Deadline** (20 working days, per plan): a drawn inspection's task is complete when every
  inspection of its current draw is approved, on the latest approval date (a cancelled task
  runs no deadline, as in domain/deadlines); a case is complete on its own approval date (20
  working days, no plan).  **publishedOnTime** / **publishedLate**:
  published on or before / after the deadline (published before its task is complete: on
  time); **overdue**: not published and the deadline is before ``today``.  A deadline that runs
  into a year N without a holiday schedule is not guessed: it is on or after N-01-01, so a
  publication before that day is on time and an unpublished inspection is not overdue before
  that day; otherwise the inspection counts under **deadlineUnknown** and under none of the
  three.
* **Problem rate** (问题发现率): over the item results of the inspected inspections, the share
  whose result code is in ``PROBLEM_CODES``; each code's count and share are given too.
* **Coverage per item** (覆盖率): per item code, the inspections covering the item, those
  inspected, the distinct subjects inspected, and the population of the year's draws for that
  item; ``coverage`` = inspected inspections / population (both count a subject once per
  draw, so the ratio is the share of the drawn populations actually inspected).
* **Workload** (工作量): per inspector of the department (by their registry department), the
  inspections of the year whose team includes them (assigned), those with results submitted
  (done) and those they lead (主检), per origin.
* **Repeat-inspection rate** (重复检查率): among the subjects given at least one RANDOM or
  SPECIAL inspection in the year, the share given more than one; cases never count (a
  complaint is not a repeated random visit).  Per department (its lead inspections) and for
  the district (any department's: what the seed wants down, 进一次门、查多项事).

* **Per risk class** (差异化监管, ``risk_class_figures``): over the year's executed, not voided
  draws of tasks stratified by credit risk class (the department: the task's lead department),
  per class A–D: **population**, the sum of the committed strata sizes (frozen at commit: a
  subject counts in the class it had then); **drawn**, the sum of the strata's ``k``; the
  **draw ratio** drawn / population; **inspected**, the drawn inspections of the stratum's
  picks (the stored outcome's ``selection``) with results submitted; and the **inspection rate**
  inspected / population.  A class no draw stratified has zeros and null ratios.

``spotcheck.services.statistics`` reads the read tables in one REPEATABLE READ snapshot and
returns grouped counts (``Facts``); the arithmetic here is pure (``aggregate``) and tested
without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from spotcheck.domain import plan as plan_aggregate
from spotcheck.domain.calendar import NoHolidaySchedule
from spotcheck.domain.errors import ErrorCode, Problems
from spotcheck.domain.inspection import PROBLEM_CODES, InspectionOrigin, ResultCode
from spotcheck.domain.subject import RiskClass

DEFAULT_PUBLICATION_WORKING_DAYS = plan_aggregate.DEFAULT_PUBLICATION_WORKING_DAYS
"""A case inspection's publication deadline (20 working days), and a plan's when it names
none."""
DRAWN_ORIGINS = (InspectionOrigin.RANDOM, InspectionOrigin.SPECIAL)
ORIGINS = (InspectionOrigin.RANDOM, InspectionOrigin.SPECIAL, InspectionOrigin.CASE)
MIN_YEAR, MAX_YEAR = 2000, 2100

Deadline = Callable[[date, int], date]
"""``(completed_on, working days) -> last day to publish``; raises NoHolidaySchedule when the
days run into a year without a schedule."""


# What the SQL returns (grouped counts)
@dataclass(frozen=True)
class InspectionGroup:
    """Inspections alike in every way the figures look at, and how many."""

    department: str
    origin: InspectionOrigin
    completed_on: date | None
    """The day the deadline runs from (task complete, or a case approved); None: not yet."""
    days: int
    """Working days to publish."""
    inspected: bool
    approved: bool
    published_on: date | None
    count: int


@dataclass(frozen=True)
class DrawPopulation:
    """One executed, not voided draw of the year: its lead department, origin, items and the
    total size of its committed strata."""

    department: str
    origin: InspectionOrigin
    items: tuple[str, ...]
    size: int


@dataclass(frozen=True)
class ItemGroup:
    """Per (lead department, origin, item): inspections covering it, inspected ones, distinct
    subjects inspected."""

    department: str
    origin: InspectionOrigin
    item: str
    inspections: int
    inspected: int
    subjects: int


@dataclass(frozen=True)
class CodeCount:
    department: str
    origin: InspectionOrigin
    code: ResultCode
    count: int


@dataclass(frozen=True)
class JointCount:
    department: str
    origin: InspectionOrigin
    count: int


@dataclass(frozen=True)
class WorkloadRow:
    staff_id: str
    department: str | None
    """The inspector's registry department (None if not in the registry)."""
    origin: InspectionOrigin
    assigned: int
    done: int
    as_lead: int


@dataclass(frozen=True)
class RepeatRow:
    department: str | None
    """None: the district (subjects counted across every department)."""
    subjects: int
    repeated: int


@dataclass(frozen=True)
class Facts:
    """Everything the SQL read for one year."""

    departments: tuple[str, ...]
    registry: Mapping[str, int]
    inspections: tuple[InspectionGroup, ...] = ()
    draws: tuple[DrawPopulation, ...] = ()
    items: tuple[ItemGroup, ...] = ()
    codes: tuple[CodeCount, ...] = ()
    joint: tuple[JointCount, ...] = ()
    workload: tuple[WorkloadRow, ...] = ()
    repeats: tuple[RepeatRow, ...] = ()


# The figures
def ratio(numerator: int, denominator: int | None) -> float | None:
    """``numerator / denominator``, None when the denominator is None or 0."""
    return numerator / denominator if denominator else None


@dataclass
class CodeFigure:
    code: ResultCode
    count: int
    share: float | None


@dataclass
class ItemCoverage:
    item: str
    inspections: int = 0
    inspected: int = 0
    subjects: int = 0
    population: int | None = None

    @property
    def coverage(self) -> float | None:
        return ratio(self.inspected, self.population)


@dataclass
class Workload:
    staff_id: str
    origin: InspectionOrigin
    assigned: int = 0
    done: int = 0
    as_lead: int = 0


@dataclass
class OriginFigures:
    """The figures of one origin (RANDOM, SPECIAL or CASE) for one department or the
    district."""

    origin: InspectionOrigin
    draws: int = 0
    population: int | None = None
    """None for cases (they are not drawn)."""
    drawn: int = 0
    joint_participation: int = 0
    inspected: int = 0
    approved: int = 0
    published: int = 0
    published_on_time: int = 0
    published_late: int = 0
    overdue: int = 0
    deadline_unknown: int = 0
    codes: dict[ResultCode, int] = field(default_factory=dict)
    items: dict[str, ItemCoverage] = field(default_factory=dict)

    def count_outcome(self, outcome: str | None, n: int) -> None:
        """``n`` inspections with this publication outcome (``publication_outcome``)."""
        if outcome == "on_time":
            self.published_on_time += n
        elif outcome == "late":
            self.published_late += n
        elif outcome == "overdue":
            self.overdue += n
        elif outcome == "unknown":
            self.deadline_unknown += n

    @property
    def results(self) -> int:
        """Item results of the inspected inspections."""
        return sum(self.codes.values())

    @property
    def problems(self) -> int:
        return sum(n for c, n in self.codes.items() if c in PROBLEM_CODES)

    @property
    def problem_rate(self) -> float | None:
        return ratio(self.problems, self.results)

    def by_code(self) -> list[CodeFigure]:
        """Every result code in the standard order, with its count and share."""
        total = self.results
        return [
            CodeFigure(c, self.codes.get(c, 0), ratio(self.codes.get(c, 0), total))
            for c in ResultCode
        ]

    def coverage(self) -> list[ItemCoverage]:
        return [self.items[k] for k in sorted(self.items)]


@dataclass
class Repeat:
    subjects: int = 0
    repeated: int = 0

    @property
    def rate(self) -> float | None:
        return ratio(self.repeated, self.subjects)


@dataclass
class DepartmentFigures:
    """One department's figures (``department`` None: the whole district)."""

    department: str | None
    registry_subjects: int = 0
    origins: dict[InspectionOrigin, OriginFigures] = field(
        default_factory=lambda: {o: OriginFigures(o) for o in ORIGINS}
    )
    repeat: Repeat = field(default_factory=Repeat)
    workload: dict[tuple[str, InspectionOrigin], Workload] = field(default_factory=dict)

    def by_origin(self) -> list[OriginFigures]:
        return [self.origins[o] for o in ORIGINS]

    def workloads(self) -> list[Workload]:
        order = {o: i for i, o in enumerate(ORIGINS)}
        return [self.workload[k] for k in sorted(self.workload, key=lambda k: (k[0], order[k[1]]))]


@dataclass
class YearFigures:
    year: int
    today: date
    departments: list[DepartmentFigures]
    district: DepartmentFigures


def publication_outcome(
    completed_on: date | None, days: int, published_on: date | None, today: date, deadline: Deadline
) -> str | None:
    """Which publication figure an inspection falls under: ``on_time``, ``late``, ``overdue``,
    ``unknown`` (the answer depends on a deadline that is not computable) or None (not
    published, deadline not passed or not started).

    A deadline that runs into year N without a schedule is on or after N-01-01 (every day
    before was counted), so what that settles is decided (as domain/deadlines.assess does):
    published before N-01-01 is on time, unpublished before N-01-01 is not overdue; anything
    else is ``unknown``, never guessed."""
    if completed_on is None:
        # Its task is not complete: the deadline has not started running.
        return "on_time" if published_on is not None else None
    try:
        last = deadline(completed_on, days)
    except NoHolidaySchedule as missing:
        earliest = date(missing.year, 1, 1)
        if published_on is not None:
            return "on_time" if published_on < earliest else "unknown"
        return None if today < earliest else "unknown"
    if published_on is not None:
        return "on_time" if published_on <= last else "late"
    return "overdue" if today > last else None


class _DeadlineMemo:
    """``deadline`` once per (completion day, working days); a missing holiday schedule is
    remembered and raised again."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline
        self.memo: dict[tuple[date, int], date | NoHolidaySchedule] = {}

    def __call__(self, completed_on: date, days: int) -> date:
        key = (completed_on, days)
        if key not in self.memo:
            try:
                self.memo[key] = self.deadline(completed_on, days)
            except NoHolidaySchedule as missing:
                self.memo[key] = missing
        last = self.memo[key]
        if isinstance(last, NoHolidaySchedule):
            raise last
        return last


@dataclass
class _Tally:
    """The figures being summed: the district and each department counted."""

    district: DepartmentFigures
    depts: dict[str, DepartmentFigures]

    def targets(self, department: str | None) -> list[DepartmentFigures]:
        """The district, and the department if it is counted."""
        out = [self.district]
        if department is not None and department in self.depts:
            out.append(self.depts[department])
        return out

    def inspections(self, facts: Facts, today: date, deadline: Deadline) -> None:
        cached = _DeadlineMemo(deadline)
        for g in facts.inspections:
            outcome = publication_outcome(g.completed_on, g.days, g.published_on, today, cached)
            for t in self.targets(g.department):
                f = t.origins[g.origin]
                f.drawn += g.count
                f.inspected += g.count if g.inspected else 0
                f.approved += g.count if g.approved else 0
                f.published += g.count if g.published_on is not None else 0
                f.count_outcome(outcome, g.count)

    def draws(self, facts: Facts) -> None:
        for d in facts.draws:
            for t in self.targets(d.department):
                f = t.origins[d.origin]
                f.draws += 1
                f.population = (f.population or 0) + d.size
                for item in d.items:
                    c = f.items.setdefault(item, ItemCoverage(item))
                    c.population = (c.population or 0) + d.size
        for o in DRAWN_ORIGINS:  # a drawn origin with no draw has a population of 0
            for t in [self.district, *self.depts.values()]:
                if t.origins[o].population is None:
                    t.origins[o].population = 0

    def items(self, facts: Facts) -> None:
        for i in facts.items:
            for t in self.targets(i.department):
                c = t.origins[i.origin].items.setdefault(i.item, ItemCoverage(i.item))
                c.inspections += i.inspections
                c.inspected += i.inspected
                c.subjects += i.subjects

    def codes(self, facts: Facts) -> None:
        for cc in facts.codes:
            for t in self.targets(cc.department):
                f = t.origins[cc.origin]
                f.codes[cc.code] = f.codes.get(cc.code, 0) + cc.count

    def joint(self, facts: Facts) -> None:
        for j in facts.joint:
            if j.department in self.depts:
                self.depts[j.department].origins[j.origin].joint_participation += j.count

    def workload(self, facts: Facts) -> None:
        for w in facts.workload:
            for t in self.targets(w.department):
                k = (w.staff_id, w.origin)
                acc = t.workload.setdefault(k, Workload(w.staff_id, w.origin))
                acc.assigned += w.assigned
                acc.done += w.done
                acc.as_lead += w.as_lead

    def repeats(self, facts: Facts) -> None:
        for r in facts.repeats:
            target = self.district if r.department is None else self.depts.get(r.department)
            if target is not None:
                target.repeat = Repeat(r.subjects, r.repeated)


def aggregate(
    facts: Facts, year: int, today: date, deadline: Deadline, only: str | None = None
) -> YearFigures:
    """The year's figures from grouped counts: per department (only ``only`` if given; every
    known department otherwise) and for the district."""
    codes = sorted(
        set(facts.departments)
        | {g.department for g in facts.inspections}
        | {d.department for d in facts.draws}
    )
    if only is not None:
        codes = [only]
    tally = _Tally(
        district=DepartmentFigures(None, registry_subjects=sum(facts.registry.values())),
        depts={c: DepartmentFigures(c, registry_subjects=facts.registry.get(c, 0)) for c in codes},
    )
    tally.inspections(facts, today, deadline)
    tally.draws(facts)
    tally.items(facts)
    tally.codes(facts)
    tally.joint(facts)
    tally.workload(facts)
    tally.repeats(facts)
    return YearFigures(
        year=year,
        today=today,
        departments=[tally.depts[c] for c in codes],
        district=tally.district,
    )


def origin_of_task(kind: str | None) -> InspectionOrigin:
    """A task of kind SPECIAL (专项检查) gives SPECIAL inspections; any other, RANDOM."""
    return InspectionOrigin.SPECIAL if kind == "SPECIAL" else InspectionOrigin.RANDOM


# Per credit risk class (差异化监管)
@dataclass(frozen=True)
class StratumCount:
    """What the SQL returns for one class: the year's class-stratified draws' strata of that
    id, summed."""

    risk_class: str
    draws: int
    """Draws with a stratum of this class."""
    population: int
    drawn: int
    inspected: int


@dataclass(frozen=True)
class RiskClassFigure:
    risk_class: RiskClass
    draws: int = 0
    population: int = 0
    drawn: int = 0
    inspected: int = 0

    @property
    def draw_ratio(self) -> float | None:
        """抽查比例 drawn / population."""
        return ratio(self.drawn, self.population)

    @property
    def inspection_rate(self) -> float | None:
        """检查率 inspected / population."""
        return ratio(self.inspected, self.population)


def risk_class_figures(counts: Iterable[StratumCount]) -> tuple[RiskClassFigure, ...]:
    """A to D in order, each class's counts summed (zeros for a class no draw stratified);
    strata of any other id (``ALL``) are not a class and are left out."""
    by_class = {c: RiskClassFigure(c) for c in RiskClass}
    for n in counts:
        if n.risk_class not in RiskClass.__members__:
            continue
        c = RiskClass(n.risk_class)
        f = by_class[c]
        by_class[c] = RiskClassFigure(
            c,
            f.draws + n.draws,
            f.population + n.population,
            f.drawn + n.drawn,
            f.inspected + n.inspected,
        )
    return tuple(by_class[c] for c in RiskClass)


# The entry point
def check_arguments(year: int, department: str | None, departments: frozenset[str]) -> None:
    """The query's arguments: a year from 2000 to 2100, a known department."""
    p = Problems()
    if not MIN_YEAR <= year <= MAX_YEAR:
        p.add(ErrorCode.OUT_OF_RANGE, "year", f"a year from {MIN_YEAR} to {MAX_YEAR}")
    if department is not None and department not in departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {department!r}")
    p.raise_if_any()
