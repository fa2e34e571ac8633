"""年度工作总结 The annual assessment's figures, per department and for the district: what each
figure counts, its arithmetic, and which events prove it.  Pure: the rows come from
``spotcheck.services.annual`` (read tables, one snapshot), the proofs are resolved to ledger
positions by ``spotcheck.report.annual``.

Definitions (year Y; a department's figure counts what it leads, 牵头部门; the district's
counts everything once; every figure is ``numerator / denominator``, None when nothing counts):

* **Plan filed on time** (计划按时备案): the annual plans of year Y led by the department;
  on time when filed (``AnnualPlanFiled``, its Beijing date) on or before the filing deadline,
  by default Y-01-01 (filed by the first day of the plan year), configurable as ``MM-DD`` of
  the plan year (``SPOTCHECK_PLAN_FILING_DEADLINE``).  A plan never filed, or filed later,
  is not on time.
* **Coverage of items** (计划事项覆盖率): the items of the year's filed plans; an item is
  covered when at least one inspection of a task of that plan has results submitted
  (``InspectionResultsSubmitted``).
* **Published within the deadline** (按期公示率): the year's inspections (year and lead
  department as in ``domain.statistics``) whose publication is settled: published on time,
  late, or overdue (``statistics.publication_outcome``: 20 working days from the task's
  completion, or the plan's own period); inspections not yet due, or whose deadline needs a
  missing holiday schedule, are counted apart and not in the denominator.
* **Follow-ups done on time** (后续处置按期完成率): orders to correct (责令改正) of the year's
  inspections: on time when rechecked as corrected on or before the ``correct by`` date;
  late when rechecked later; overdue when not corrected and the date has passed; not yet due
  otherwise (not counted).  Transfers have no deadline: counted apart (done = closed or
  declined), never in the rate.
* **Repeat-inspection rate** (重复检查率): as ``domain.statistics`` (RANDOM and SPECIAL
  inspections; subjects inspected more than once over subjects inspected); proved by the draws
  that selected the repeated subjects (``DrawExecuted``).
* **Action items done on time** (议定事项按期办结率): action items due in Y assigned to the
  department: done on or before the due date over those done, or open past their due date
  (``services.jointmeeting.action_items_by_department``).
* **Objection answers on time** (异议按期答复率): objections filed in Y to the department's
  results: answered by the deadline over those answered, or unanswered past it
  (``services.objections.answer_deadlines``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from spotcheck.domain.statistics import Deadline, publication_outcome, ratio

PLAN_FILING_SETTING = "SPOTCHECK_PLAN_FILING_DEADLINE"
DEFAULT_PLAN_FILING = (1, 1)
"""(month, day) of the plan year by which a plan is filed on time (备案)."""


def parse_filing_deadline(raw: str | None) -> tuple[int, int]:
    """``MM-DD`` (empty: the default); ValueError naming the setting when it is not a day."""
    text = (raw or "").strip()
    if not text:
        return DEFAULT_PLAN_FILING
    try:
        month, day = (int(x) for x in text.split("-"))
        date(2024, month, day)  # a leap year: 02-29 is a day
    except ValueError:
        raise ValueError(f"{PLAN_FILING_SETTING} must be MM-DD, e.g. 01-01") from None
    return month, day


def filing_deadline(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    if (month, day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return date(year, month, day)


@dataclass(frozen=True)
class ProofRef:
    """The events of one stream, of the given types, that prove part of a figure."""

    stream_id: str
    event_types: tuple[str, ...]
    note: str


@dataclass
class Figure:
    key: str
    title: str
    numerator: int = 0
    denominator: int = 0
    details: dict[str, int] = field(default_factory=dict)
    """Counts around the ratio (late, overdue, not yet due …), by name."""
    proofs: list[ProofRef] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return ratio(self.numerator, self.denominator)

    def add(self, name: str, n: int = 1) -> None:
        self.details[name] = self.details.get(name, 0) + n


def _mine(department: str | None, row_department: str | None) -> bool:
    return department is None or row_department == department


# Rows (what the SQL reads)
@dataclass(frozen=True)
class PlanRow:
    plan_id: str
    department: str
    filed_on: date | None
    """The Beijing date of ``AnnualPlanFiled``; None: not filed."""
    items: tuple[str, ...]
    covered: dict[str, str]
    """Item → the first inspection (of a task of the plan) with results submitted."""


@dataclass(frozen=True)
class PublicationRow:
    inspection_id: str
    department: str
    completed_on: date | None
    days: int
    published_on: date | None


@dataclass(frozen=True)
class FollowUpRow:
    inspection_id: str
    item: str
    department: str
    kind: str
    correct_by: date | None
    rechecked_on: date | None
    corrected: bool | None
    transfer_status: str | None


@dataclass(frozen=True)
class RepeatRow:
    department: str
    subject_key: str
    task_id: str | None


@dataclass(frozen=True)
class ActionRow:
    action_id: str
    department: str
    due_date: date
    done_on: date | None


@dataclass(frozen=True)
class AnswerRow:
    objection_id: str
    department: str
    status: str
    """services.objections.AnswerStatus value: DUE, OVERDUE, ON_TIME, LATE, UNDETERMINED."""


def _stream(prefix: str, key: str) -> str:
    return prefix + key


# The figures
def plan_filing(plans: Iterable[PlanRow], due: date, department: str | None) -> Figure:
    f = Figure("planFiledOnTime", "年度抽查计划按时备案")
    for p in plans:
        if not _mine(department, p.department):
            continue
        f.denominator += 1
        if p.filed_on is None:
            f.add("notFiled")
            continue
        on_time = p.filed_on <= due
        f.numerator += on_time
        f.add("filedOnTime" if on_time else "filedLate")
        why = "按时" if on_time else "逾期"
        f.proofs.append(
            ProofRef(
                _stream("plan-", p.plan_id),
                ("AnnualPlanFiled",),
                f"{p.plan_id} {p.filed_on} 备案（期限 {due}，{why}）",
            )
        )
    return f


def item_coverage(plans: Iterable[PlanRow], department: str | None) -> Figure:
    f = Figure("itemCoverage", "计划抽查事项覆盖率")
    for p in plans:
        if p.filed_on is None or not _mine(department, p.department):
            continue
        for item in p.items:
            f.denominator += 1
            inspection = p.covered.get(item)
            if inspection is None:
                f.add("notCovered")
                continue
            f.numerator += 1
            f.proofs.append(
                ProofRef(
                    _stream("inspection-", inspection),
                    ("InspectionResultsSubmitted",),
                    f"{p.plan_id} 事项 {item} 已检查（{inspection}）",
                )
            )
    return f


def publication(
    rows: Iterable[PublicationRow], today: date, deadline: Deadline, department: str | None
) -> Figure:
    f = Figure("publishedOnTime", "检查结果按期公示率（20 个工作日）")
    for r in rows:
        if not _mine(department, r.department):
            continue
        outcome = publication_outcome(r.completed_on, r.days, r.published_on, today, deadline)
        if outcome is None:
            f.add("notDue")
            continue
        if outcome == "unknown":
            f.add("deadlineUnknown")
            continue
        f.denominator += 1
        f.numerator += outcome == "on_time"
        f.add({"on_time": "onTime", "late": "late", "overdue": "overdue"}[outcome])
        kind = "InspectionResultsApproved" if outcome == "overdue" else "InspectionResultsPublished"
        label = {"on_time": "按期公示", "late": "逾期公示", "overdue": "逾期未公示"}[outcome]
        f.proofs.append(
            ProofRef(_stream("inspection-", r.inspection_id), (kind,), f"{r.inspection_id} {label}")
        )
    return f


def follow_ups(rows: Iterable[FollowUpRow], today: date, department: str | None) -> Figure:
    f = Figure("followUpsOnTime", "后续处置按期完成率")
    for r in rows:
        if not _mine(department, r.department):
            continue
        if r.kind != "ORDER_TO_CORRECT":
            f.add("transfers")
            f.add("transfersDone", r.transfer_status in ("CLOSED", "DECLINED"))
            continue
        due = r.correct_by
        if r.corrected and r.rechecked_on is not None:
            on_time = due is None or r.rechecked_on <= due
            outcome = "onTime" if on_time else "late"
        elif due is not None and due < today:
            outcome = "overdue"
        else:
            f.add("notDue")
            continue
        f.denominator += 1
        f.numerator += outcome == "onTime"
        f.add(outcome)
        kinds = ("CorrectionRechecked",) if outcome != "overdue" else ("InspectionResultsApproved",)
        f.proofs.append(
            ProofRef(
                _stream("inspection-", r.inspection_id),
                kinds,
                f"{r.inspection_id} 事项 {r.item} 限期 {due} 改正：{outcome}",
            )
        )
    return f


def repeats(rows: Iterable[RepeatRow], department: str | None) -> Figure:
    f = Figure("repeatInspection", "重复检查率")
    tasks: dict[str, set[str]] = {}
    for r in rows:
        if _mine(department, r.department):
            tasks.setdefault(r.subject_key, set()).add(r.task_id or "")
    per: dict[str, int] = {}
    for r in rows:
        if _mine(department, r.department):
            per[r.subject_key] = per.get(r.subject_key, 0) + 1
    f.denominator = len(per)
    for subject in sorted(per):
        if per[subject] <= 1:
            continue
        f.numerator += 1
        for task in sorted(t for t in tasks[subject] if t):
            f.proofs.append(
                ProofRef(_stream("draw-", task), ("DrawExecuted",), f"{subject} 经 {task} 抽取")
            )
    return f


def action_items(rows: Iterable[ActionRow], today: date, department: str | None) -> Figure:
    f = Figure("actionItemsOnTime", "联席会议议定事项按期办结率")
    for r in rows:
        if not _mine(department, r.department):
            continue
        if r.done_on is not None:
            outcome = "onTime" if r.done_on <= r.due_date else "late"
        elif r.due_date < today:
            outcome = "overdue"
        else:
            f.add("open")
            continue
        f.denominator += 1
        f.numerator += outcome == "onTime"
        f.add(outcome)
        kinds = ("ActionItemCompleted",) if r.done_on else ("ActionItemAssigned",)
        f.proofs.append(
            ProofRef(
                _stream("action-item-", r.action_id),
                kinds,
                f"{r.action_id} 限 {r.due_date} 办结：{outcome}",
            )
        )
    return f


def objection_answers(rows: Iterable[AnswerRow], department: str | None) -> Figure:
    f = Figure("objectionAnswersOnTime", "异议按期答复率")
    names = {"ON_TIME": "onTime", "LATE": "late", "OVERDUE": "overdue"}
    for r in rows:
        if not _mine(department, r.department):
            continue
        if r.status not in names:
            f.add("notDue" if r.status == "DUE" else "deadlineUnknown")
            continue
        f.denominator += 1
        f.numerator += r.status == "ON_TIME"
        f.add(names[r.status])
        kinds = ("ObjectionFiled",) if r.status == "OVERDUE" else ("ObjectionAnswered",)
        f.proofs.append(
            ProofRef(_stream("objection-", r.objection_id), kinds, f"{r.objection_id}：{r.status}")
        )
    return f
