"""年度抽查工作计划 annual inspection plan of a department, or a joint plan of several.

Stream ``plan-{plan_id}`` (e.g. ``plan-2026-SCJG``).  Each member department makes an annual plan
holding the inspection items it will check that year (一般检查事项 and 重点检查事项); a joint plan
(联合抽查计划) belongs to the lead department (牵头部门) and lists the participating departments
(参与部门), lead first.  A plan is a draft (草稿) until it is filed (备案, FILED); a filed plan is
read-only.  Its tasks (抽查任务, ``domain/task/``) are separate aggregates that name the plan.

Items: only items in force (现行, a published version) that are suitable for random inspection
(适宜随机抽查), each owned by a participating department.  Filing re-checks that every item is
still in force and records which version of each item was in force when the plan was filed.

Who: the system administrator or the lead department's administrator (``Actor.maintains``), for
a department's own plan and a joint plan alike; participating departments read the draft.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal

import msgspec
from msgspec.structs import replace

from spotcheck.domain import rules
from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event
from spotcheck.domain.errors import DomainError, ErrorCode, Problems
from spotcheck.domain.item import ItemCategory
from spotcheck.domain.kinds import SubjectKind

MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_PLAN_ITEMS = 500
MAX_DEPARTMENTS = 50
DEFAULT_PUBLICATION_WORKING_DAYS = 20
"""Results are published within 20 working days of the task's completion (企业信息公示暂行条例)."""
MAX_PUBLICATION_WORKING_DAYS = 60
PUBLISHED = "PUBLISHED"
"""The status of an inspection item with a version in force."""


class PlanStatus(enum.Enum):
    """计划状态 Status of an annual plan."""

    DRAFT = "DRAFT"
    """草稿 Draft: the lead department may still revise it."""
    FILED = "FILED"
    """已备案 Filed upward; read-only."""


class ItemInForce(msgspec.Struct, frozen=True, kw_only=True):
    """What plans and tasks need to know of an inspection item's version in force (现行版本)."""

    code: str
    version: int
    department: str
    """Owning department (主管部门)."""
    category: ItemCategory
    ratio_cap_percent: Decimal | None = None
    """抽查比例上限 (%) of a general item; None for a key item."""
    target_kind: SubjectKind
    suitable: bool = True
    """适宜随机抽查 Suitable for random inspection."""


class PlanRefs(msgspec.Struct, frozen=True, kw_only=True):
    """Reference data a plan decision checks against."""

    departments: frozenset[str]
    items: Mapping[str, ItemInForce]
    """Items in force, by code (at least those the command names)."""
    statuses: Mapping[str, str]
    """Every inspection item's status by code (DRAFT, PUBLISHED, RETIRED), for messages."""


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """Current state of an annual plan."""

    plan_id: str
    year: int
    department: str
    """牵头部门 The lead (owning) department."""
    departments: list[str]
    """参与部门 Participating departments, lead first; a joint plan when more than one."""
    title: str
    items: list[str]
    """Codes of the inspection items in the plan."""
    status: PlanStatus = PlanStatus.DRAFT
    publication_working_days: int = DEFAULT_PUBLICATION_WORKING_DAYS
    """公示时限 Results of the plan's tasks are published within this many working days of the
    task's completion (1 to 60; 20 by default)."""
    filed_item_versions: dict[str, int] = msgspec.field(default_factory=dict)
    """Item code → the version in force when the plan was filed (备案)."""

    @property
    def joint(self) -> bool:
        return len(self.departments) > 1


# Commands
class CreatePlan(Command, frozen=True, kw_only=True):
    plan_id: str
    year: int
    department: str
    title: str
    items: list[str] = msgspec.field(default_factory=list)
    departments: list[str] = msgspec.field(default_factory=list)
    """Participating departments besides the lead (the lead is always first)."""
    publication_working_days: int = DEFAULT_PUBLICATION_WORKING_DAYS


class RevisePlan(Command, frozen=True, kw_only=True):
    """Revise a draft plan; ``None`` leaves a field unchanged, a list replaces the whole list."""

    plan_id: str
    title: str | None = None
    items: list[str] | None = None
    departments: list[str] | None = None
    publication_working_days: int | None = None
    reason: str | None = None


class FilePlan(Command, frozen=True, kw_only=True):
    plan_id: str


PlanCommand = CreatePlan | RevisePlan | FilePlan


# Events
class AnnualPlanCreated(Event, frozen=True, kw_only=True):
    plan_id: str
    year: int
    department: str
    departments: list[str]
    title: str
    items: list[str]
    publication_working_days: int = DEFAULT_PUBLICATION_WORKING_DAYS


class AnnualPlanRevised(Event, frozen=True, kw_only=True):
    """The draft's title, items and participating departments after the revision."""

    title: str
    items: list[str]
    departments: list[str]
    reason: str | None = None
    publication_working_days: int | None = None
    """None in events recorded before the field existed: unchanged."""


class AnnualPlanFiled(Event, frozen=True, kw_only=True):
    """备案 The plan was filed; records the version of each item in force at that moment."""

    item_versions: dict[str, int]


# Rules shared with tasks
def check_item(
    p: Problems,
    field: str,
    code: str,
    items: Mapping[str, ItemInForce],
    statuses: Mapping[str, str],
) -> ItemInForce | None:
    """The item must be in force and suitable for random inspection; returns its version."""
    found = items.get(code)
    if found is None:
        status = statuses.get(code)
        if status is None:
            p.add(ErrorCode.UNKNOWN_ITEM, field, f"no inspection item {code!r}")
        else:
            p.add(
                ErrorCode.UNKNOWN_ITEM,
                field,
                f"inspection item {code!r} is not in force ({status}); only published items "
                "(现行) may be planned and drawn",
            )
        return None
    if not found.suitable:
        p.add(
            ErrorCode.ITEM_NOT_SUITABLE,
            field,
            f"inspection item {code!r} is listed as unsuitable for random inspection "
            "(不适宜随机抽查)",
        )
        return None
    return found


def _departments(p: Problems, lead: str, given: list[str], known: frozenset[str]) -> list[str]:
    out = [lead]
    for n, code in enumerate(given):
        code = code.strip()
        if code not in known:
            p.add(ErrorCode.UNKNOWN_DEPARTMENT, f"departments.{n}", f"no department {code!r}")
        elif code not in out:
            out.append(code)
    if len(out) > MAX_DEPARTMENTS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "departments",
            f"{len(out)} departments; at most {MAX_DEPARTMENTS}",
        )
    return out


def _items(p: Problems, codes: list[str], departments: list[str], refs: PlanRefs) -> list[str]:
    out: list[str] = []
    for n, raw in enumerate(codes):
        code = raw.strip()
        if code in out:
            continue
        field = f"items.{n}"
        found = check_item(p, field, code, refs.items, refs.statuses)
        if found is not None and found.department not in departments:
            p.add(
                ErrorCode.DEPARTMENT_NOT_PARTICIPATING,
                field,
                f"inspection item {code!r} belongs to {found.department!r}, which does not "
                "take part in the plan; add it to departments",
            )
        out.append(code)
    if len(out) > MAX_PLAN_ITEMS:
        p.add(ErrorCode.OUT_OF_RANGE, "items", f"{len(out)} items; at most {MAX_PLAN_ITEMS}")
    return out


def _publication_days(p: Problems, value: int) -> None:
    if not 1 <= value <= MAX_PUBLICATION_WORKING_DAYS:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "publicationWorkingDays",
            f"publicationWorkingDays {value} is not between 1 and {MAX_PUBLICATION_WORKING_DAYS}",
        )


def _forbidden(field: str | None = None) -> DomainError:
    return rules.forbid(
        "only the system administrator or the lead department's administrator keeps an annual "
        "plan (年度抽查工作计划)",
        field,
    )


def decide(state: Plan | None, command: PlanCommand, actor: Actor, refs: PlanRefs) -> list[Event]:
    if isinstance(command, CreatePlan):
        return _create(state, command, actor, refs)
    if state is None:
        raise rules.not_found("annual plan", command.plan_id, "planId")
    if not actor.maintains(state.department):
        raise _forbidden()
    if state.status is PlanStatus.FILED:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            None,
            "the plan is filed (已备案) and read-only",
        )
    match command:
        case RevisePlan():
            return _revise(state, command, refs)
        case FilePlan():
            return _file(state, refs)


def _create(state: Plan | None, command: CreatePlan, actor: Actor, refs: PlanRefs) -> list[Event]:
    p = Problems()
    if not actor.maintains(command.department):
        raise _forbidden("department")
    rules.code(p, "planId", command.plan_id, max_len=40)
    if not MIN_YEAR <= command.year <= MAX_YEAR:
        p.add(
            ErrorCode.OUT_OF_RANGE,
            "year",
            f"year {command.year} is not between {MIN_YEAR} and {MAX_YEAR}",
        )
    if command.department not in refs.departments:
        p.add(
            ErrorCode.UNKNOWN_DEPARTMENT,
            "department",
            f"no department {command.department!r}",
        )
    rules.text(p, "title", command.title, max_len=200)
    _publication_days(p, command.publication_working_days)
    departments = _departments(p, command.department, command.departments, refs.departments)
    items = _items(p, command.items, departments, refs)
    p.raise_if_any()
    if state is not None:
        raise DomainError.one(
            ErrorCode.ALREADY_EXISTS, "planId", f"annual plan {command.plan_id!r} exists"
        )
    return [
        AnnualPlanCreated(
            plan_id=command.plan_id,
            year=command.year,
            department=command.department,
            departments=departments,
            title=command.title.strip(),
            items=items,
            publication_working_days=command.publication_working_days,
        )
    ]


def _revise(state: Plan, command: RevisePlan, refs: PlanRefs) -> list[Event]:
    p = Problems()
    title = state.title
    if command.title is not None:
        rules.text(p, "title", command.title, max_len=200)
        title = command.title.strip()
    departments = state.departments
    if command.departments is not None:
        departments = _departments(p, state.department, command.departments, refs.departments)
    items = state.items
    if command.items is not None:
        items = _items(p, command.items, departments, refs)
    elif command.departments is not None:
        # Dropping a department must not orphan the items it owns.
        _items(p, state.items, departments, refs)
    days = state.publication_working_days
    if command.publication_working_days is not None:
        _publication_days(p, command.publication_working_days)
        days = command.publication_working_days
    rules.text(p, "reason", command.reason, max_len=1000, required=False, multiline=True)
    p.raise_if_any()
    if (title, items, departments, days) == (
        state.title,
        state.items,
        state.departments,
        state.publication_working_days,
    ):
        return []
    reason = command.reason.strip() if command.reason and command.reason.strip() else None
    return [
        AnnualPlanRevised(
            title=title,
            items=items,
            departments=departments,
            reason=reason,
            publication_working_days=days,
        )
    ]


def _file(state: Plan, refs: PlanRefs) -> list[Event]:
    p = Problems()
    if not state.items:
        raise DomainError.one(
            ErrorCode.REQUIRED, "items", "a plan is filed with at least one inspection item"
        )
    for n, code in enumerate(state.items):
        check_item(p, f"items.{n}", code, refs.items, refs.statuses)
    p.raise_if_any()
    return [AnnualPlanFiled(item_versions={c: refs.items[c].version for c in state.items})]


def evolve(state: Plan | None, event: Event) -> Plan:
    if isinstance(event, AnnualPlanCreated):
        return Plan(
            plan_id=event.plan_id,
            year=event.year,
            department=event.department,
            departments=list(event.departments),
            title=event.title,
            items=list(event.items),
            publication_working_days=event.publication_working_days,
        )
    assert state is not None, f"{type(event).__name__} before AnnualPlanCreated"
    if isinstance(event, AnnualPlanRevised):
        return replace(
            state,
            title=event.title,
            items=list(event.items),
            departments=list(event.departments),
            publication_working_days=(
                state.publication_working_days
                if event.publication_working_days is None
                else event.publication_working_days
            ),
        )
    if isinstance(event, AnnualPlanFiled):
        return replace(
            state, status=PlanStatus.FILED, filed_item_versions=dict(event.item_versions)
        )
    raise TypeError(f"not an annual plan event: {event!r}")


SPEC: AggregateSpec[Plan] = AggregateSpec(
    name="annual_plan",
    stream_prefix="plan-",
    events=(AnnualPlanCreated, AnnualPlanRevised, AnnualPlanFiled),
    evolve=evolve,
    state_type=Plan,
)
