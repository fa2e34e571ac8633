"""抽查任务 inspection task of an annual plan: what is drawn, from which population, by whom, when.

Stream ``task-{task_id}``.  A task belongs to an annual plan (年度抽查工作计划, ``domain/plan.py``)
and fixes the inspection items, the population filter (检查对象范围: kind, region, industry,
risk class, registration status, tags), the sampling (抽查比例或数量, per stratum), exclusions,
the inspector rules (at least 2 inspectors per subject, experts, workload cap) and the dates.
The draw itself (第一个随机、第二个随机) lives in the draw aggregate (``draw-{task_id}``), which
reads this task.

Lifecycle: DRAFT (草稿, revisable) → PUBLISHED (已发布: ready to be drawn; the plan must be filed
first) → CANCELLED (已撤销, with a reason).  A draft may also be cancelled.  Publishing checks
the whole definition again against the registries as they are then (items still in force, caps
unchanged, regions known).

Departments: the lead department (牵头部门) is the plan's department unless another participating
department of the plan is named; the task's departments are the lead followed by the owners of
its items.  A task with more than one department is joint (联合抽查, 进一次门、查多项事): each
department sends at least one inspector, so ``officers_per_subject`` is at least the number of
departments.

Sampling rules:
- 一般检查事项 general items cap the sampling ratio: no stratum's ``ratio_percent`` may exceed the
  lowest cap among the task's general items (RATIO_CAP_EXCEEDED).  A stratum given as a
  ``count`` is checked against the caps when a draw is committed, by the draws area, because
  the ratio a count makes depends on the population size at that moment.
- 重点检查事项 key items have no cap; when every item is key, the order of batches may itself be
  drawn (``draw_batch_order`` with 2-50 batch labels).
- Strata: stratified by credit risk class (信用风险分类), ids are a subset of A, B, C, D; else one
  stratum ``ALL``.  Each stratum has either a ratio (0 < r ≤ 100 percent) or a count (≥ 1).

Kind: ROUTINE (日常抽查, the default) or SPECIAL (专项检查: made for a stated trigger, a cluster of
complaints or risk monitoring, with a description; still double-random).  A SPECIAL task needs
its trigger; a ROUTINE task takes none.  Inspections drawn by a SPECIAL task have origin SPECIAL
(``domain/inspection.py``).

Who: the system administrator or the lead department's administrator.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import assert_never

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor, Role
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.item import ItemCategory
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.plan import ItemInForce, Plan, PlanStatus, check_item
from spotcheck.domain.regions import Regions
from spotcheck.domain.subject import (
    MAX_TAG,
    MAX_TAGS,
    RegistrationStatus,
    RiskClass,
    industry_prefix,
)

ALL = "ALL"
"""The one stratum's id when the task is not stratified by risk class."""
RISK_STRATA = tuple(r.value for r in RiskClass)
MIN_OFFICERS = 2
MAX_OFFICERS = 10
MAX_EXPERTS = 10
MAX_TASK_ITEMS = 50
MIN_BATCHES = 2
MAX_BATCHES = 50
MAX_BATCH_LABEL = 50
MAX_INDUSTRIES = 100
MAX_RECENT_DAYS = 3650
MAX_WORKLOAD = 100_000
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


class StratumSpec(msgspec.Struct, frozen=True, kw_only=True):
    """抽查层 One stratum of the draw and how much of it is drawn."""

    id: str
    """"A".."D" when stratified by credit risk class, else "ALL"."""
    ratio_percent: Decimal | None = None
    """抽查比例 (%) 0 < r ≤ 100 (percent, like item caps)."""
    count: int | None = None
    """抽查数量 ≥ 1.  Exactly one of ratio_percent / count."""


class PopulationFilter(msgspec.Struct, frozen=True, kw_only=True):
    """检查对象范围 Which subjects of the registry may be drawn.  An empty list means any."""

    kinds: list[SubjectKind] = msgspec.field(default_factory=list)
    regions: list[str] = msgspec.field(default_factory=list)
    industries: list[str] = msgspec.field(default_factory=list)
    """GB/T 4754 prefixes with their section letter (``subject.industry_prefix``), e.g. F52."""
    risk_classes: list[RiskClass] = msgspec.field(default_factory=list)
    statuses: list[RegistrationStatus] = msgspec.field(
        default_factory=lambda: [RegistrationStatus.ACTIVE]
    )
    tags: list[str] = msgspec.field(default_factory=list)
    """A subject qualifies if it has any of them."""
    applicable_items_only: bool = False
    """Only subjects whose ``items`` include one of the task's items."""


class Exclusions(msgspec.Struct, frozen=True, kw_only=True):
    """排除规则 Subjects left out of the draw."""

    recent_inspection_days: int | None = None
    """Drop subjects inspected at random for any of the same items within N days before
    start_date (1-3650)."""
    exclude_drawn_same_period: bool = True
    """Drop subjects drawn by another task whose dates overlap."""


class InspectorRules(msgspec.Struct, frozen=True, kw_only=True):
    """执法检查人员匹配规则 How inspectors are matched with each drawn subject."""

    officers_per_subject: int = 2
    """At least 2 (one of them the lead, 主检); in a joint task at least one per department."""
    experts_per_subject: int = 0
    workload_cap: int | None = None
    """Max subjects per inspector in this draw."""


class TaskKind(enum.Enum):
    """任务类型 Kind of inspection task."""

    ROUTINE = "ROUTINE"
    """日常抽查 A routine random inspection task."""
    SPECIAL = "SPECIAL"
    """专项检查 A special inspection for a stated trigger; still double-random."""


class TriggerKind(enum.Enum):
    """专项检查的起因 Why a special inspection is made."""

    COMPLAINT_CLUSTER = "COMPLAINT_CLUSTER"
    """投诉举报集中 A cluster of complaints."""
    RISK_MONITORING = "RISK_MONITORING"
    """风险监测 Risk monitoring."""
    OTHER = "OTHER"
    """其他 Other."""


class SpecialTrigger(msgspec.Struct, frozen=True, kw_only=True):
    """专项检查的起因 The stated trigger of a SPECIAL task."""

    kind: TriggerKind
    description: str


MAX_TRIGGER_DESCRIPTION = 1000


class TaskStatus(enum.Enum):
    """任务状态 Status of an inspection task (the draw lifecycle lives in the draw aggregate)."""

    DRAFT = "DRAFT"
    """草稿 Draft: revisable, not yet drawn."""
    PUBLISHED = "PUBLISHED"
    """已发布 Published: ready to be drawn."""
    CANCELLED = "CANCELLED"
    """已撤销 Cancelled (with a reason)."""


class Task(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an inspection task."""

    task_id: str
    plan_id: str
    title: str
    department: str
    """牵头部门 The lead department."""
    departments: list[str]
    """Participating departments, lead first; joint when more than one."""
    items: list[str]
    """Item codes (each in force; each owned by a participating department)."""
    stratify_by_risk_class: bool
    strata: list[StratumSpec]
    population: PopulationFilter
    exclusions: Exclusions
    inspector_rules: InspectorRules
    start_date: date
    end_date: date
    draw_batch_order: bool = False
    """Only for tasks whose items are all KEY."""
    batches: list[str] = msgspec.field(default_factory=list)
    """Batch labels when draw_batch_order."""
    kind: TaskKind = TaskKind.ROUTINE
    trigger: SpecialTrigger | None = None
    """Required for SPECIAL, none for ROUTINE."""
    status: TaskStatus
    published_once: bool = False
    """Was published (一公开): it stays public after a cancellation."""
    cancel_reason: str | None = None

    @property
    def joint(self) -> bool:
        return len(self.departments) > 1


class TaskDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a task fixes, validated and normalised (what creating and revising record)."""

    title: str
    department: str
    departments: list[str]
    items: list[str]
    stratify_by_risk_class: bool
    strata: list[StratumSpec]
    population: PopulationFilter
    exclusions: Exclusions
    inspector_rules: InspectorRules
    start_date: date
    end_date: date
    draw_batch_order: bool = False
    batches: list[str] = msgspec.field(default_factory=list)
    kind: TaskKind = TaskKind.ROUTINE
    trigger: SpecialTrigger | None = None


class TaskRefs(msgspec.Struct, frozen=True, kw_only=True):
    """Reference data a task decision checks against."""

    plan: Plan | None
    """The task's annual plan (the command's plan for a new task)."""
    departments: frozenset[str]
    regions: Regions
    items: Mapping[str, ItemInForce]
    """Items in force, by code (at least those the command names)."""
    statuses: Mapping[str, str]
    """Every inspection item's status by code, for messages."""


# Commands
class _TaskFields(Command, frozen=True, kw_only=True):
    title: str
    items: list[str]
    department: str | None = None
    """The lead department: for a new task, the plan's department when None; for a revision,
    unchanged when None."""
    stratify_by_risk_class: bool = False
    strata: list[StratumSpec]
    population: PopulationFilter = msgspec.field(default_factory=PopulationFilter)
    exclusions: Exclusions = msgspec.field(default_factory=Exclusions)
    inspector_rules: InspectorRules = msgspec.field(default_factory=InspectorRules)
    start_date: date
    end_date: date
    draw_batch_order: bool = False
    batches: list[str] = msgspec.field(default_factory=list)
    kind: TaskKind = TaskKind.ROUTINE
    trigger: SpecialTrigger | None = None


class CreateTask(_TaskFields, frozen=True, kw_only=True):
    task_id: str
    plan_id: str


class ReviseTask(_TaskFields, frozen=True, kw_only=True):
    """Replace a draft task's whole definition."""

    task_id: str
    reason: str | None = None


class PublishTask(Command, frozen=True, kw_only=True):
    task_id: str


class CancelTask(Command, frozen=True, kw_only=True):
    task_id: str
    reason: str | None = None


TaskCommand = CreateTask | ReviseTask | PublishTask | CancelTask


# Events
class InspectionTaskCreated(Event, frozen=True, kw_only=True):
    task_id: str
    plan_id: str
    definition: TaskDefinition


class InspectionTaskRevised(Event, frozen=True, kw_only=True):
    definition: TaskDefinition
    reason: str | None = None


class InspectionTaskPublished(Event, frozen=True, kw_only=True):
    """发布 Ready to be drawn."""


class InspectionTaskCancelled(Event, frozen=True, kw_only=True):
    reason: str
    previous: TaskStatus


# Rules
def _lead(p: Problems, lead: str, plan: Plan, refs: TaskRefs) -> None:
    if lead not in refs.departments:
        p.add(ErrorCode.UNKNOWN_DEPARTMENT, "department", f"no department {lead!r}")
    elif lead not in plan.departments:
        p.add(
            ErrorCode.DEPARTMENT_NOT_PARTICIPATING,
            "department",
            f"department {lead!r} does not take part in plan {plan.plan_id!r}",
        )


def _items(p: Problems, codes: list[str], plan: Plan, refs: TaskRefs) -> list[ItemInForce]:
    """The task's items in force, in order without repeats; problems for the others."""
    found: list[ItemInForce] = []
    seen: set[str] = set()
    if not codes:
        p.add(ErrorCode.REQUIRED, "items", "a task checks at least one inspection item")
    for n, raw in enumerate(codes):
        code = raw.strip()
        if code in seen:
            continue
        seen.add(code)
        field = f"items.{n}"
        item = check_item(p, field, code, refs.items, refs.statuses)
        if item is None:
            continue
        if code not in plan.items:
            p.add(
                ErrorCode.ITEM_NOT_IN_PLAN,
                field,
                f"inspection item {code!r} is not in plan {plan.plan_id!r}",
            )
            continue
        found.append(item)
    if len(seen) > MAX_TASK_ITEMS:
        p.add(ErrorCode.OUT_OF_RANGE, "items", f"{len(seen)} items; at most {MAX_TASK_ITEMS}")
    return found


def _ratio(p: Problems, field: str, r: Decimal) -> bool:
    if not r.is_finite() or not 0 < r <= _HUNDRED:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            field,
            f"the ratio is a percentage above 0 and at most 100, not {r}",
        )
        return False
    if r != r.quantize(_CENT):
        p.add(ErrorCode.INVALID_FORMAT, field, "the ratio has at most 2 decimal places")
        return False
    return True


def _strata(
    p: Problems,
    stratified: bool,
    strata: list[StratumSpec],
    risk_classes: list[RiskClass],
    items: list[ItemInForce],
) -> list[StratumSpec]:
    if not strata:
        p.add(ErrorCode.REQUIRED, "strata", "give the sampling: at least one stratum")
        return []
    if not stratified and len(strata) != 1:
        p.add(
            ErrorCode.INVALID_FORMAT,
            "strata",
            f"a task not stratified by risk class has exactly one stratum {ALL!r}",
        )
    general = [
        (i.ratio_cap_percent, i.code)
        for i in items
        if i.category is ItemCategory.GENERAL and i.ratio_cap_percent is not None
    ]
    cap = min(general) if general else None
    filtered = {r.value for r in risk_classes}
    seen: set[str] = set()
    out: list[StratumSpec] = []
    for n, s in enumerate(strata):
        field = f"strata.{n}"
        sid = s.id.strip().upper()
        if stratified:
            if sid not in RISK_STRATA:
                p.add(
                    ErrorCode.INVALID_FORMAT,
                    f"{field}.id",
                    f"{s.id!r} is not a credit risk class (信用风险分类) A, B, C or D",
                )
            elif sid in seen:
                p.add(ErrorCode.ALREADY_EXISTS, f"{field}.id", f"stratum {sid!r} appears twice")
            elif filtered and sid not in filtered:
                p.add(
                    ErrorCode.INVALID_FORMAT,
                    f"{field}.id",
                    f"stratum {sid!r} is outside the population's risk classes",
                )
        elif sid != ALL:
            p.add(
                ErrorCode.INVALID_FORMAT,
                f"{field}.id",
                f"a task not stratified by risk class has the one stratum {ALL!r}, not {s.id!r}",
            )
        seen.add(sid)
        if (s.ratio_percent is None) == (s.count is None):
            p.add(
                ErrorCode.INVALID_FORMAT,
                field,
                "give exactly one of ratioPercent (抽查比例) and count (抽查数量)",
            )
        elif s.ratio_percent is not None:
            rf = f"{field}.ratioPercent"
            if _ratio(p, rf, s.ratio_percent) and cap is not None and s.ratio_percent > cap[0]:
                p.add(
                    ErrorCode.RATIO_CAP_EXCEEDED,
                    rf,
                    f"{s.ratio_percent}% is above the cap of general item (一般检查事项) "
                    f"{cap[1]}: {cap[0]}%",
                )
        elif s.count is not None and s.count < 1:
            p.add(ErrorCode.OUT_OF_RANGE, f"{field}.count", f"count is at least 1, not {s.count}")
        out.append(StratumSpec(id=sid, ratio_percent=s.ratio_percent, count=s.count))
    return out


def _batches(
    p: Problems, order: bool, batches: list[str], items: list[ItemInForce], complete: bool
) -> list[str]:
    if not order:
        if batches:
            p.add(
                ErrorCode.INVALID_FORMAT,
                "batches",
                "batches are given only when the batch order is drawn (drawBatchOrder)",
            )
        return []
    if complete and any(i.category is not ItemCategory.KEY for i in items):
        general = next(i.code for i in items if i.category is not ItemCategory.KEY)
        p.add(
            ErrorCode.INVALID_FORMAT,
            "drawBatchOrder",
            "the batch order is drawn only when every item is a key item (重点检查事项); "
            f"{general!r} is a general item",
        )
    if not batches:
        p.add(ErrorCode.REQUIRED, "batches", "name the batches (批次) whose order is drawn")
        return []
    if not MIN_BATCHES <= len(batches) <= MAX_BATCHES:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "batches",
            f"{len(batches)} batches; between {MIN_BATCHES} and {MAX_BATCHES}",
        )
    out: list[str] = []
    for n, raw in enumerate(batches):
        label = raw.strip()
        field = f"batches.{n}"
        if not label:
            p.add(ErrorCode.REQUIRED, field, "a batch label may not be empty")
        elif len(label) > MAX_BATCH_LABEL:
            p.add(
                ErrorCode.TOO_LONG, field, f"a batch label has at most {MAX_BATCH_LABEL} characters"
            )
        elif label in out:
            p.add(ErrorCode.ALREADY_EXISTS, field, f"batch {label!r} appears twice")
        out.append(label)
    return out


def _inspector_rules(p: Problems, r: InspectorRules, departments: list[str]) -> None:
    f = "inspectorRules"
    if not MIN_OFFICERS <= r.officers_per_subject <= MAX_OFFICERS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.officersPerSubject",
            f"at least {MIN_OFFICERS} inspectors per subject (one of them the lead, 主检) and "
            f"at most {MAX_OFFICERS}, not {r.officers_per_subject}",
        )
    elif r.officers_per_subject < len(departments):
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.officersPerSubject",
            f"a joint task of {len(departments)} departments needs at least one inspector of "
            f"each: officersPerSubject ≥ {len(departments)}",
        )
    if not 0 <= r.experts_per_subject <= MAX_EXPERTS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.expertsPerSubject",
            f"between 0 and {MAX_EXPERTS} experts per subject",
        )
    if r.workload_cap is not None and not 1 <= r.workload_cap <= MAX_WORKLOAD:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            f"{f}.workloadCap",
            f"the workload cap is between 1 and {MAX_WORKLOAD} subjects per inspector",
        )


def _population(p: Problems, f: PopulationFilter, regions: Regions) -> PopulationFilter:
    out_regions: list[str] = []
    for n, code in enumerate(f.regions):
        code = code.strip()
        regions.check(p, f"population.regions.{n}", code)
        if code not in out_regions:
            out_regions.append(code)
    industries: list[str] = []
    for n, raw in enumerate(f.industries):
        prefix = industry_prefix(raw)
        if prefix is None:
            p.add(
                ErrorCode.INVALID_INDUSTRY,
                f"population.industries.{n}",
                f"{raw!r} is not a GB/T 4754 code or prefix (e.g. F, F52, 52, F5211)",
            )
        elif prefix not in industries:
            industries.append(prefix)
    if len(industries) > MAX_INDUSTRIES:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "population.industries",
            f"{len(industries)} industries; at most {MAX_INDUSTRIES}",
        )
    tags: list[str] = []
    for n, raw in enumerate(f.tags):
        tag = raw.strip()
        if not tag:
            p.add(ErrorCode.REQUIRED, f"population.tags.{n}", "a tag may not be empty")
        elif len(tag) > MAX_TAG:
            p.add(
                ErrorCode.TOO_LONG,
                f"population.tags.{n}",
                f"a tag has at most {MAX_TAG} characters",
            )
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        p.add(ErrorCode.OUT_OF_RANGE, "population.tags", f"{len(tags)} tags; at most {MAX_TAGS}")
    return PopulationFilter(
        kinds=list(dict.fromkeys(f.kinds)),
        regions=out_regions,
        industries=industries,
        risk_classes=list(dict.fromkeys(f.risk_classes)),
        statuses=list(dict.fromkeys(f.statuses)),
        tags=tags,
        applicable_items_only=f.applicable_items_only,
    )


def _dates(p: Problems, start: date, end: date, plan: Plan) -> None:
    rules.date_range(p, "endDate", start, end)
    for field, d in (("startDate", start), ("endDate", end)):
        if d.year != plan.year:
            p.add(
                ErrorCode.OUT_OF_RANGE,
                field,
                f"{d.isoformat()} is outside the plan's year {plan.year}",
            )


def _trigger(p: Problems, kind: TaskKind, trigger: SpecialTrigger | None) -> SpecialTrigger | None:
    """专项检查 needs its stated trigger; a routine task has none."""
    if kind is TaskKind.ROUTINE:
        if trigger is not None:
            p.add(
                ErrorCode.INVALID_FORMAT,
                "trigger",
                "only a special task (专项检查, kind SPECIAL) states a trigger",
            )
        return None
    if trigger is None:
        p.add(
            ErrorCode.REQUIRED,
            "trigger",
            "a special task (专项检查) states its trigger (a cluster of complaints, risk "
            "monitoring, other) with a description",
        )
        return None
    rules.text(
        p,
        "trigger.description",
        trigger.description,
        max_len=MAX_TRIGGER_DESCRIPTION,
        multiline=True,
    )
    return SpecialTrigger(kind=trigger.kind, description=trigger.description.strip())


def check_definition(
    p: Problems, fields: _TaskFields, lead: str, plan: Plan, refs: TaskRefs
) -> TaskDefinition:
    """Check every field of a task (adding problems to ``p``); return it normalised."""
    rules.text(p, "title", fields.title, max_len=200)
    _lead(p, lead, plan, refs)
    items = _items(p, fields.items, plan, refs)
    complete = len(items) == len(dict.fromkeys(c.strip() for c in fields.items))
    departments = list(dict.fromkeys([lead, *(i.department for i in items)]))
    population = _population(p, fields.population, refs.regions)
    strata = _strata(
        p, fields.stratify_by_risk_class, fields.strata, population.risk_classes, items
    )
    batches = _batches(p, fields.draw_batch_order, fields.batches, items, complete and bool(items))
    _inspector_rules(p, fields.inspector_rules, departments)
    days = fields.exclusions.recent_inspection_days
    if days is not None and not 1 <= days <= MAX_RECENT_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "exclusions.recentInspectionDays",
            f"between 1 and {MAX_RECENT_DAYS} days, not {days}",
        )
    _dates(p, fields.start_date, fields.end_date, plan)
    trigger = _trigger(p, fields.kind, fields.trigger)
    return TaskDefinition(
        title=fields.title.strip(),
        department=lead,
        departments=departments,
        items=[i.code for i in items],
        stratify_by_risk_class=fields.stratify_by_risk_class,
        strata=strata,
        population=population,
        exclusions=fields.exclusions,
        inspector_rules=fields.inspector_rules,
        start_date=fields.start_date,
        end_date=fields.end_date,
        draw_batch_order=fields.draw_batch_order,
        batches=batches,
        kind=fields.kind,
        trigger=trigger,
    )


def definition_of(state: Task) -> TaskDefinition:
    return TaskDefinition(
        title=state.title,
        department=state.department,
        departments=list(state.departments),
        items=list(state.items),
        stratify_by_risk_class=state.stratify_by_risk_class,
        strata=list(state.strata),
        population=state.population,
        exclusions=state.exclusions,
        inspector_rules=state.inspector_rules,
        start_date=state.start_date,
        end_date=state.end_date,
        draw_batch_order=state.draw_batch_order,
        batches=list(state.batches),
        kind=state.kind,
        trigger=state.trigger,
    )


def _as_fields(state: Task) -> ReviseTask:
    return ReviseTask(
        task_id=state.task_id,
        title=state.title,
        items=list(state.items),
        department=state.department,
        stratify_by_risk_class=state.stratify_by_risk_class,
        strata=list(state.strata),
        population=state.population,
        exclusions=state.exclusions,
        inspector_rules=state.inspector_rules,
        start_date=state.start_date,
        end_date=state.end_date,
        draw_batch_order=state.draw_batch_order,
        batches=list(state.batches),
        kind=state.kind,
        trigger=state.trigger,
    )


def _authorize(actor: Actor, lead: str | None, field: str | None = None) -> None:
    if lead is None:
        allowed = actor.is_admin or Role.DEPARTMENT_ADMIN in actor.roles
    else:
        allowed = actor.maintains(lead)
    if not allowed:
        raise rules.forbid(
            "only the system administrator or the lead department's administrator keeps an "
            "inspection task (抽查任务)",
            field,
        )


def _plan(refs: TaskRefs, plan_id: str) -> Plan:
    if refs.plan is None:
        raise rules.not_found("annual plan", plan_id, "planId")
    return refs.plan


def _not_draft(state: Task, what: str) -> DomainError:
    return DomainError.one(
        ErrorCode.INVALID_TRANSITION,
        None,
        f"only a draft task can be {what}; this one is {state.status.value}",
    )


def _existing(state: Task | None, task_id: str, actor: Actor) -> Task:
    """The task a command other than creating one is about; kept by its lead department."""
    if state is None:
        raise rules.not_found("inspection task", task_id, "taskId")
    _authorize(actor, state.department)
    return state


def _create(state: Task | None, command: CreateTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    p = Problems()
    lead = command.department or (refs.plan.department if refs.plan else None)
    _authorize(actor, lead, "department")
    rules.code(p, "taskId", command.task_id, max_len=40)
    plan = _plan(refs, command.plan_id)
    definition = check_definition(p, command, lead or plan.department, plan, refs)
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "taskId", f"inspection task {command.task_id!r} exists"
        )
    return [
        InspectionTaskCreated(
            task_id=command.task_id, plan_id=command.plan_id, definition=definition
        )
    ]


def _revise(state: Task, command: ReviseTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    p = Problems()
    lead = command.department or state.department
    _authorize(actor, lead, "department")
    if state.status is not TaskStatus.DRAFT:
        raise _not_draft(state, "revised")
    definition = check_definition(p, command, lead, _plan(refs, state.plan_id), refs)
    rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    if definition == definition_of(state):
        return []
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [InspectionTaskRevised(definition=definition, reason=reason)]


def _publish(state: Task, command: PublishTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    if state.status is not TaskStatus.DRAFT:
        raise _not_draft(state, "published")
    plan = _plan(refs, state.plan_id)
    if plan.status is not PlanStatus.FILED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            "planId",
            f"plan {plan.plan_id!r} is not filed (备案) yet; file it before publishing its tasks",
        )
    # The registries may have changed since the draft was written: check it all again.
    p = Problems()
    check_definition(p, _as_fields(state), state.department, plan, refs)
    p.raise_if_any()
    return [InspectionTaskPublished()]


def _cancel(state: Task, command: CancelTask, actor: Actor, refs: TaskRefs) -> list[Event]:
    p = Problems()
    rules.reason(p, command.reason, "cancelling a task")
    p.raise_if_any()
    if state.status is TaskStatus.CANCELLED:
        raise DomainError.one(ErrorCode.INVALID_TRANSITION, None, "the task is already cancelled")
    return [InspectionTaskCancelled(reason=str(command.reason).strip(), previous=state.status)]


def decide(state: Task | None, command: TaskCommand, actor: Actor, refs: TaskRefs) -> list[Event]:
    """One function per command."""
    match command:
        case CreateTask():
            return _create(state, command, actor, refs)
        case ReviseTask():
            return _revise(_existing(state, command.task_id, actor), command, actor, refs)
        case PublishTask():
            return _publish(_existing(state, command.task_id, actor), command, actor, refs)
        case CancelTask():
            return _cancel(_existing(state, command.task_id, actor), command, actor, refs)
        case _:
            assert_never(command)


def _from_definition(task_id: str, plan_id: str, d: TaskDefinition) -> Task:
    return Task(
        task_id=task_id,
        plan_id=plan_id,
        title=d.title,
        department=d.department,
        departments=list(d.departments),
        items=list(d.items),
        stratify_by_risk_class=d.stratify_by_risk_class,
        strata=list(d.strata),
        population=d.population,
        exclusions=d.exclusions,
        inspector_rules=d.inspector_rules,
        start_date=d.start_date,
        end_date=d.end_date,
        draw_batch_order=d.draw_batch_order,
        batches=list(d.batches),
        kind=d.kind,
        trigger=d.trigger,
        status=TaskStatus.DRAFT,
    )


def evolve(state: Task | None, event: Event) -> Task:
    if isinstance(event, InspectionTaskCreated):
        return _from_definition(event.task_id, event.plan_id, event.definition)
    assert state is not None, f"{type(event).__name__} before InspectionTaskCreated"
    if isinstance(event, InspectionTaskRevised):
        return _from_definition(state.task_id, state.plan_id, event.definition)
    if isinstance(event, InspectionTaskPublished):
        return replace(state, status=TaskStatus.PUBLISHED, published_once=True)
    if isinstance(event, InspectionTaskCancelled):
        return replace(state, status=TaskStatus.CANCELLED, cancel_reason=event.reason)
    raise TypeError(f"not an inspection task event: {event!r}")


SPEC: AggregateSpec[Task] = AggregateSpec(
    name="inspection_task",
    stream_prefix="task-",
    events=(
        InspectionTaskCreated,
        InspectionTaskRevised,
        InspectionTaskPublished,
        InspectionTaskCancelled,
    ),
    evolve=evolve,
    state_type=Task,
)
