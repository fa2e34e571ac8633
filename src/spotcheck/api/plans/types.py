"""GraphQL types for annual plans (年度抽查工作计划) and inspection tasks (抽查任务).

Who sees what (一公开: items, plans and results are published): everyone, the public included,
sees filed plans and tasks that were published (also after a cancellation).  Draft plans and
draft tasks are seen by SYSTEM_ADMIN and AUDITOR and by the staff of the participating
departments.  ``node(id)`` and the lists apply the same rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from spotcheck.api.common.enums import register_enum
from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.departments.types import Department, load_department, load_departments
from spotcheck.api.items.types import InspectionItem, load_items
from spotcheck.api.regions import RegionType, region_of
from spotcheck.api.subjects import types as _subject_types  # noqa: F401 - registers RiskClass
from spotcheck.domain import plan as p
from spotcheck.domain import task as t
from spotcheck.domain.actor import Actor
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.subject import RegistrationStatus, RiskClass
from spotcheck.projections import state_tables

PLANS = state_tables.PLANS
TASKS = state_tables.TASKS


register_enum(
    p.PlanStatus,
    "AnnualPlanStatus",
    "计划状态 Status of an annual plan.",
    {
        "DRAFT": "草稿 Draft: the lead department may still revise it.",
        "FILED": "已备案 Filed upward; read-only and public.",
    },
)
register_enum(
    t.TaskStatus,
    "InspectionTaskStatus",
    "任务状态 Status of an inspection task (the draw has its own status).",
    {
        "DRAFT": "草稿 Draft: revisable, not yet drawn.",
        "PUBLISHED": "已发布 Published: ready to be drawn; public.",
        "CANCELLED": "已撤销 Cancelled, with a reason.",
    },
)


register_enum(
    t.TaskKind,
    "InspectionTaskKind",
    "任务类型 Kind of inspection task.",
    {
        "ROUTINE": "日常抽查 Routine random inspection.",
        "SPECIAL": "专项检查 Special inspection for a stated trigger; still double-random.",
    },
)
register_enum(
    t.TriggerKind,
    "SpecialTriggerKind",
    "专项检查的起因 Why a special inspection is made.",
    {
        "COMPLAINT_CLUSTER": "投诉举报集中 A cluster of complaints.",
        "RISK_MONITORING": "风险监测 Risk monitoring.",
        "OTHER": "其他 Other.",
    },
)


@strawberry.type(description="专项检查的起因 The stated trigger of a special task.")
class SpecialTrigger:
    kind: t.TriggerKind = strawberry.field(description="起因类别 Kind of trigger.")
    description: str = strawberry.field(description="说明 What happened.")


def _staff_of(actor: Actor, departments: list[str]) -> bool:
    return actor.is_staff and actor.department is not None and actor.department in departments


def may_see_plan(actor: Actor, state: p.Plan) -> bool:
    return (
        state.status is p.PlanStatus.FILED
        or actor.reads_everything
        or _staff_of(actor, state.departments)
    )


def may_see_task(actor: Actor, state: t.Task) -> bool:
    return state.published_once or actor.reads_everything or _staff_of(actor, state.departments)


def _visible_departments(actor: Actor) -> str | None:
    """The department whose drafts the actor sees in lists (None: only public rows)."""
    return actor.department if actor.is_staff else None


@strawberry.type(
    description="备案时的事项版本 The version of an item in force when the plan was filed."
)
class PlanItemVersion:
    code: str = strawberry.field(description="事项编码 Item code.")
    version: int = strawberry.field(description="The item's version number then in force.")


@strawberry.type(
    description="年度抽查工作计划 Annual inspection plan of a department, or a joint plan "
    "(联合抽查计划) of several led by one (牵头部门). Filed plans (已备案) are public and "
    "read-only."
)
class AnnualPlan(relay.Node):
    plan_id: str = strawberry.field(description="计划编号 Plan id, e.g. 2026-SCJG.")
    year: int = strawberry.field(description="年度 The plan's year; its tasks fall inside it.")
    title: str = strawberry.field(description="计划名称 Title.")
    status: p.PlanStatus = strawberry.field(description="计划状态 DRAFT or FILED.")
    joint: bool = strawberry.field(description="联合抽查 More than one participating department.")
    item_codes: list[str] = strawberry.field(description="Codes of the plan's inspection items.")
    publication_working_days: int = strawberry.field(
        description="公示时限 Results of the plan's tasks are published within this many working "
        "days (工作日) of the task's completion (every inspection approved)."
    )
    filed_items: list[PlanItemVersion] = strawberry.field(
        description="备案 The version of each item in force when the plan was filed; empty for "
        "a draft."
    )
    _state: strawberry.Private[p.Plan]

    @classmethod
    def resolve_id(cls, root: AnnualPlan, *, info: strawberry.Info) -> str:
        return root.plan_id

    @classmethod
    def from_state(cls, s: p.Plan) -> AnnualPlan:
        return cls(
            plan_id=s.plan_id,
            year=s.year,
            title=s.title,
            status=s.status,
            joint=s.joint,
            item_codes=list(s.items),
            publication_working_days=s.publication_working_days,
            filed_items=[
                PlanItemVersion(code=c, version=v) for c, v in sorted(s.filed_item_versions.items())
            ],
            _state=s,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_plans(info, list(node_ids))

    @strawberry.field(description="牵头部门 The lead department, which keeps the plan.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._state.department)

    @strawberry.field(description="参与部门 Participating departments, lead first.")
    async def departments(self, info: strawberry.Info[Context, None]) -> list[Department]:
        found = await load_departments(info, list(self._state.departments))
        return [d for d in found if d is not None]

    @strawberry.field(
        description="抽查事项 The plan's inspection items (一般检查事项 and 重点检查事项)."
    )
    async def items(self, info: strawberry.Info[Context, None]) -> list[InspectionItem]:
        found = await load_items(info, list(self._state.items))
        return [i for i in found if i is not None]

    @strawberry.field(description="抽查任务 The plan's tasks the caller may see, by task id.")
    async def tasks(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        status: t.TaskStatus | None = None,
    ) -> Connection[InspectionTask]:
        return await task_page(info, first, after, self._state.plan_id, None, status)


@strawberry.type(description="抽查层 One stratum of the draw and how much of it is drawn.")
class TaskStratum:
    id: str = strawberry.field(
        description="A, B, C or D (信用风险分类) when stratified by credit risk class, else ALL."
    )
    ratio_percent: Decimal | None = strawberry.field(
        description="抽查比例 Share drawn, in percent (0 < r ≤ 100); null when a count is given."
    )
    count: int | None = strawberry.field(
        description="抽查数量 Number drawn; null when a ratio is given."
    )


@strawberry.type(description="检查对象范围 Which subjects may be drawn; an empty list means any.")
class TaskPopulation:
    kinds: list[SubjectKind] = strawberry.field(description="检查对象类型 Kinds of subject.")
    industries: list[str] = strawberry.field(
        description="行业 GB/T 4754 prefixes with their section letter, e.g. F52."
    )
    risk_classes: list[RiskClass] = strawberry.field(description="信用风险分类 Risk classes.")
    statuses: list[RegistrationStatus] = strawberry.field(
        description="登记状态 Registration statuses (ACTIVE by default)."
    )
    tags: list[str] = strawberry.field(description="标签 A subject qualifies with any of them.")
    applicable_items_only: bool = strawberry.field(
        description="Only subjects to which one of the task's items applies (适用抽查事项)."
    )
    _regions: strawberry.Private[list[str]]

    @strawberry.field(description="所在街道、乡镇 Streets and towns.")
    def regions(self, info: strawberry.Info[Context, None]) -> list[RegionType]:
        return [region_of(info, code) for code in self._regions]


@strawberry.type(description="排除规则 Subjects left out of the draw.")
class TaskExclusions:
    recent_inspection_days: int | None = strawberry.field(
        description="Leave out subjects inspected at random for one of the same items within "
        "this many days before the start date."
    )
    exclude_drawn_same_period: bool = strawberry.field(
        description="Leave out subjects drawn by another task whose dates overlap."
    )


@strawberry.type(
    description="执法检查人员匹配规则 How inspectors are matched with each drawn subject."
)
class TaskInspectorRules:
    officers_per_subject: int = strawberry.field(
        description="Inspectors per subject: at least 2 (one of them the lead, 主检); in a joint "
        "task at least one of each department."
    )
    experts_per_subject: int = strawberry.field(description="专家 Experts per subject.")
    workload_cap: int | None = strawberry.field(
        description="Most subjects one inspector gets in a draw; null for no cap."
    )


@strawberry.type(
    description="抽查任务 Inspection task of an annual plan: items, population, sampling, "
    "inspector rules and dates of a draw (双随机). Published tasks are public."
)
class InspectionTask(relay.Node):
    task_id: str = strawberry.field(description="任务编号 Task id.")
    title: str = strawberry.field(description="任务名称 Title.")
    status: t.TaskStatus = strawberry.field(description="任务状态 DRAFT, PUBLISHED or CANCELLED.")
    joint: bool = strawberry.field(
        description="联合抽查 More than one department (进一次门、查多项事)."
    )
    item_codes: list[str] = strawberry.field(description="Codes of the task's inspection items.")
    stratify_by_risk_class: bool = strawberry.field(
        description="按信用风险分类分层 Strata are credit risk classes A-D."
    )
    strata: list[TaskStratum] = strawberry.field(description="抽查层 Sampling per stratum.")
    population: TaskPopulation = strawberry.field(description="检查对象范围 Population filter.")
    exclusions: TaskExclusions = strawberry.field(description="排除规则 Exclusions.")
    inspector_rules: TaskInspectorRules = strawberry.field(
        description="执法检查人员匹配规则 Inspector rules."
    )
    start_date: dt.date = strawberry.field(description="开始日期 First day (Beijing date).")
    end_date: dt.date = strawberry.field(description="结束日期 Last day (Beijing date).")
    draw_batch_order: bool = strawberry.field(
        description="随机确定批次顺序 The order of the batches is drawn (key items only)."
    )
    batches: list[str] = strawberry.field(description="批次 Batch labels when drawBatchOrder.")
    kind: t.TaskKind = strawberry.field(
        description="任务类型 ROUTINE (日常抽查) or SPECIAL (专项检查)."
    )
    trigger: SpecialTrigger | None = strawberry.field(
        description="专项检查的起因 The trigger of a special task; null for a routine task."
    )
    cancel_reason: str | None = strawberry.field(description="撤销原因 Why it was cancelled.")
    _state: strawberry.Private[t.Task]

    @classmethod
    def resolve_id(cls, root: InspectionTask, *, info: strawberry.Info) -> str:
        return root.task_id

    @classmethod
    def from_state(cls, s: t.Task) -> InspectionTask:
        pop = s.population
        return cls(
            task_id=s.task_id,
            title=s.title,
            status=s.status,
            joint=s.joint,
            item_codes=list(s.items),
            stratify_by_risk_class=s.stratify_by_risk_class,
            strata=[
                TaskStratum(id=x.id, ratio_percent=x.ratio_percent, count=x.count) for x in s.strata
            ],
            population=TaskPopulation(
                kinds=list(pop.kinds),
                industries=list(pop.industries),
                risk_classes=list(pop.risk_classes),
                statuses=list(pop.statuses),
                tags=list(pop.tags),
                applicable_items_only=pop.applicable_items_only,
                _regions=list(pop.regions),
            ),
            exclusions=TaskExclusions(
                recent_inspection_days=s.exclusions.recent_inspection_days,
                exclude_drawn_same_period=s.exclusions.exclude_drawn_same_period,
            ),
            inspector_rules=TaskInspectorRules(
                officers_per_subject=s.inspector_rules.officers_per_subject,
                experts_per_subject=s.inspector_rules.experts_per_subject,
                workload_cap=s.inspector_rules.workload_cap,
            ),
            start_date=s.start_date,
            end_date=s.end_date,
            draw_batch_order=s.draw_batch_order,
            batches=list(s.batches),
            kind=s.kind,
            trigger=SpecialTrigger(kind=s.trigger.kind, description=s.trigger.description)
            if s.trigger is not None
            else None,
            cancel_reason=s.cancel_reason,
            _state=s,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_tasks(info, list(node_ids))

    @strawberry.field(description="年度抽查工作计划 The plan the task belongs to.")
    async def plan(self, info: strawberry.Info[Context, None]) -> AnnualPlan | None:
        return await load_plan(info, self._state.plan_id)

    @strawberry.field(description="牵头部门 The lead department, which keeps the task.")
    async def department(self, info: strawberry.Info[Context, None]) -> Department | None:
        return await load_department(info, self._state.department)

    @strawberry.field(
        description="参与部门 The lead, then the departments owning the task's items."
    )
    async def departments(self, info: strawberry.Info[Context, None]) -> list[Department]:
        found = await load_departments(info, list(self._state.departments))
        return [d for d in found if d is not None]

    @strawberry.field(description="抽查事项 The task's inspection items.")
    async def items(self, info: strawberry.Info[Context, None]) -> list[InspectionItem]:
        found = await load_items(info, list(self._state.items))
        return [i for i in found if i is not None]


async def load_plans(
    info: strawberry.Info[Context, None], plan_ids: list[str]
) -> list[AnnualPlan | None]:
    actor = info.context.actor
    states = await info.context.loaders.state(p.SPEC, PLANS).load_many(plan_ids)
    return [
        AnnualPlan.from_state(s) if s is not None and may_see_plan(actor, s) else None
        for s in states
    ]


async def load_plan(info: strawberry.Info[Context, None], plan_id: str) -> AnnualPlan | None:
    return (await load_plans(info, [plan_id]))[0]


async def load_tasks(
    info: strawberry.Info[Context, None], task_ids: list[str]
) -> list[InspectionTask | None]:
    actor = info.context.actor
    states = await info.context.loaders.state(t.SPEC, TASKS).load_many(task_ids)
    return [
        InspectionTask.from_state(s) if s is not None and may_see_task(actor, s) else None
        for s in states
    ]


async def load_task(info: strawberry.Info[Context, None], task_id: str) -> InspectionTask | None:
    return (await load_tasks(info, [task_id]))[0]


_PLANS = f"""
SELECT id, state FROM {PLANS}
 WHERE ($1::text IS NULL OR id > $1)
   AND ($2::integer IS NULL OR year = $2)
   AND ($3::text IS NULL OR state->'departments' ? $3)
   AND ($4::text IS NULL OR status = $4)
   AND ($5::boolean OR status = 'FILED'
        OR ($6::text IS NOT NULL AND state->'departments' ? $6))
 ORDER BY id LIMIT $7
"""

_TASKS = f"""
SELECT id, state FROM {TASKS}
 WHERE ($1::text IS NULL OR id > $1)
   AND ($2::text IS NULL OR plan_id = $2)
   AND ($3::text IS NULL OR state->'departments' ? $3)
   AND ($4::text IS NULL OR status = $4)
   AND ($5::boolean OR public OR ($6::text IS NOT NULL AND state->'departments' ? $6))
 ORDER BY id LIMIT $7
"""


async def _page(
    info: strawberry.Info[Context, None],
    sql: str,
    first: int | None,
    after: str | None,
    filters: tuple[object, ...],
) -> list[Any]:
    """A keyset page of (id, state) rows the caller may see: ``sql`` takes the cursor, the
    filters, whether the caller reads everything, the caller's departments, and the limit."""
    actor = info.context.actor
    return list(
        await info.context.pool.fetch(
            sql,
            decode_cursor(after),
            *filters,
            actor.reads_everything,
            _visible_departments(actor),
            page_size(first) + 1,
        )
    )


async def plan_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    year: int | None,
    department: str | None,
    status: p.PlanStatus | None,
) -> Connection[AnnualPlan]:
    filters = (year, department, status.value if status else None)
    rows = await _page(info, _PLANS, first, after, filters)
    return connection(
        [(r["id"], AnnualPlan.from_state(p.SPEC.state_from_data(r["state"]))) for r in rows],
        page_size(first),
    )


async def task_page(
    info: strawberry.Info[Context, None],
    first: int | None,
    after: str | None,
    plan_id: str | None,
    department: str | None,
    status: t.TaskStatus | None,
) -> Connection[InspectionTask]:
    filters = (plan_id, department, status.value if status else None)
    rows = await _page(info, _TASKS, first, after, filters)
    return connection(
        [(r["id"], InspectionTask.from_state(t.SPEC.state_from_data(r["state"]))) for r in rows],
        page_size(first),
    )
