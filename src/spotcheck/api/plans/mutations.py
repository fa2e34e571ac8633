"""Mutations on annual plans (create, revise, file) and inspection tasks (create, revise,
publish, cancel)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import strawberry

from spotcheck.api.common.commands import command_from
from spotcheck.api.common.errors import UserError
from spotcheck.api.common.mutations import idempotency_field, run_mutation
from spotcheck.api.context import Context
from spotcheck.api.plans.types import AnnualPlan, InspectionTask
from spotcheck.domain import plan as p
from spotcheck.domain import task as t
from spotcheck.domain.kinds import SubjectKind
from spotcheck.domain.subject import RegistrationStatus, RiskClass
from spotcheck.services import plans as plan_service
from spotcheck.services import tasks as task_service

ROLES = "SYSTEM_ADMIN, or the lead department's DEPARTMENT_ADMIN"


# Plans
@strawberry.input(description="新建年度抽查工作计划 A new annual plan, as a draft.")
class CreatePlanInput:
    plan_id: str = strawberry.field(description="计划编号 Plan id, e.g. 2026-SCJG.")
    year: int = strawberry.field(description="年度 Year (2000-2100).")
    department: str = strawberry.field(description="牵头部门 The lead department's code.")
    title: str = strawberry.field(description="计划名称 Title (at most 200 characters).")
    items: list[str] = strawberry.field(
        default_factory=list,
        description="抽查事项 Codes of inspection items in force, each owned by a participating "
        "department.",
    )
    departments: list[str] = strawberry.field(
        default_factory=list,
        description="参与部门 Other participating departments of a joint plan (联合抽查计划).",
    )
    publication_working_days: int = strawberry.field(
        default=p.DEFAULT_PUBLICATION_WORKING_DAYS,
        description="公示时限 Working days (工作日) after a task's completion within which its "
        "results are published: 1 to 60, 20 by default.",
    )
    idempotency_key: str | None = idempotency_field()

    def command(self) -> p.CreatePlan:
        return command_from(self, p.CreatePlan)


@strawberry.input(
    description="修订计划 Revise a draft plan: null leaves a field unchanged; a list replaces "
    "the whole list."
)
class RevisePlanInput:
    plan_id: str
    title: str | None = None
    items: list[str] | None = None
    departments: list[str] | None = strawberry.field(
        default=None, description="参与部门 Participating departments besides the lead."
    )
    publication_working_days: int | None = strawberry.field(
        default=None,
        description="公示时限 Working days (工作日) after a task's completion within which its "
        "results are published: 1 to 60.",
    )
    reason: str | None = strawberry.field(default=None, description="Why (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> p.RevisePlan:
        return command_from(self, p.RevisePlan)


@strawberry.input(description="备案 File a draft plan; it becomes read-only and public.")
class FilePlanInput:
    plan_id: str
    idempotency_key: str | None = idempotency_field()

    def command(self) -> p.FilePlan:
        return command_from(self, p.FilePlan)


@strawberry.type
class PlanPayload:
    plan: AnnualPlan | None
    errors: list[UserError]


# Tasks
@strawberry.input(description="抽查层 One stratum: exactly one of ratioPercent and count.")
class TaskStratumInput:
    id: str = strawberry.field(
        description="A, B, C or D when stratified by credit risk class (信用风险分类), else ALL."
    )
    ratio_percent: Decimal | None = strawberry.field(
        default=None,
        description="抽查比例 Percent drawn, 0 < r ≤ 100 with at most 2 decimals; at most the "
        "lowest cap of the task's general items (一般检查事项).",
    )
    count: int | None = strawberry.field(default=None, description="抽查数量 Number drawn, ≥ 1.")


@strawberry.input(description="检查对象范围 Population filter; an empty list means any.")
class TaskPopulationInput:
    kinds: list[SubjectKind] = strawberry.field(default_factory=list)
    regions: list[str] = strawberry.field(
        default_factory=list, description="所在街道、乡镇 Region codes (see `regions`)."
    )
    industries: list[str] = strawberry.field(
        default_factory=list, description="行业 GB/T 4754 codes or prefixes: F, F52, 52, F5211."
    )
    risk_classes: list[RiskClass] = strawberry.field(default_factory=list)
    statuses: list[RegistrationStatus] = strawberry.field(
        default_factory=lambda: [RegistrationStatus.ACTIVE],
        description="登记状态 Registration statuses; ACTIVE when not given.",
    )
    tags: list[str] = strawberry.field(
        default_factory=list, description="标签 A subject qualifies with any of them."
    )
    applicable_items_only: bool = strawberry.field(
        default=False,
        description="Only subjects to which one of the task's items applies (适用抽查事项).",
    )


@strawberry.input(description="排除规则 Subjects left out of the draw.")
class TaskExclusionsInput:
    recent_inspection_days: int | None = strawberry.field(
        default=None,
        description="Leave out subjects inspected at random for one of the same items within "
        "this many days (1-3650) before the start date.",
    )
    exclude_drawn_same_period: bool = strawberry.field(
        default=True, description="Leave out subjects drawn by another task whose dates overlap."
    )


@strawberry.input(description="执法检查人员匹配规则 Inspector rules.")
class TaskInspectorRulesInput:
    officers_per_subject: int = strawberry.field(
        default=2,
        description="At least 2 (one of them the lead, 主检), at most 10; in a joint task at "
        "least the number of departments.",
    )
    experts_per_subject: int = strawberry.field(default=0, description="专家 0-10.")
    workload_cap: int | None = strawberry.field(
        default=None, description="Most subjects one inspector gets in a draw (≥ 1)."
    )


@strawberry.input(description="专项检查的起因 The stated trigger of a special task.")
class SpecialTriggerInput:
    kind: t.TriggerKind = strawberry.field(description="起因类别 Kind of trigger.")
    description: str = strawberry.field(description="说明 What happened (at most 1000 characters).")


@strawberry.input(description="A task's whole definition.")
class TaskDefinitionInput:
    title: str = strawberry.field(description="任务名称 Title (at most 200 characters).")
    items: list[str] = strawberry.field(
        description="抽查事项 Codes of items of the plan, each in force (at most 50)."
    )
    department: str | None = strawberry.field(
        default=None,
        description="牵头部门 The lead department, a participating department of the plan; "
        "for a new task the plan's department when null, for a revision unchanged when null.",
    )
    stratify_by_risk_class: bool = strawberry.field(
        default=False, description="按信用风险分类分层 Strata are the risk classes A-D."
    )
    strata: list[TaskStratumInput] = strawberry.field(
        description="抽查层 Stratified: a subset of A, B, C, D; else exactly one stratum ALL."
    )
    population: TaskPopulationInput = strawberry.field(
        default_factory=TaskPopulationInput, description="检查对象范围 Population filter."
    )
    exclusions: TaskExclusionsInput = strawberry.field(
        default_factory=TaskExclusionsInput, description="排除规则 Exclusions."
    )
    inspector_rules: TaskInspectorRulesInput = strawberry.field(
        default_factory=TaskInspectorRulesInput, description="Inspector rules."
    )
    start_date: dt.date = strawberry.field(description="开始日期 Inside the plan's year.")
    end_date: dt.date = strawberry.field(description="结束日期 Not before the start date.")
    draw_batch_order: bool = strawberry.field(
        default=False,
        description="随机确定批次顺序 Draw the order of the batches (only when every item is a "
        "key item, 重点检查事项).",
    )
    batches: list[str] = strawberry.field(
        default_factory=list, description="批次 2-50 unique labels when drawBatchOrder."
    )
    kind: t.TaskKind = strawberry.field(
        default=t.TaskKind.ROUTINE,
        description="任务类型 ROUTINE (日常抽查, default) or SPECIAL (专项检查, needs a trigger).",
    )
    trigger: SpecialTriggerInput | None = strawberry.field(
        default=None,
        description="专项检查的起因 Required for a SPECIAL task; not given for a ROUTINE task.",
    )


@strawberry.input(description="新建抽查任务 A new inspection task of a plan, as a draft.")
class CreateTaskInput(TaskDefinitionInput):
    task_id: str = strawberry.field(description="任务编号 Task id, e.g. 2026-SCJG-001.")
    plan_id: str = strawberry.field(description="The plan's id.")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> t.CreateTask:
        return command_from(self, t.CreateTask)


@strawberry.input(description="修订抽查任务 Replace a draft task's whole definition.")
class ReviseTaskInput(TaskDefinitionInput):
    task_id: str
    reason: str | None = strawberry.field(default=None, description="Why (optional).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> t.ReviseTask:
        return command_from(self, t.ReviseTask)


@strawberry.input(description="发布 Publish a draft task: ready to be drawn, and public.")
class PublishTaskInput:
    task_id: str
    idempotency_key: str | None = idempotency_field()

    def command(self) -> t.PublishTask:
        return command_from(self, t.PublishTask)


@strawberry.input(description="撤销 Cancel a task (reason required).")
class CancelTaskInput:
    task_id: str
    reason: str = strawberry.field(description="撤销原因 Why the task is cancelled (required).")
    idempotency_key: str | None = idempotency_field()

    def command(self) -> t.CancelTask:
        return command_from(self, t.CancelTask)


@strawberry.type
class TaskPayload:
    task: InspectionTask | None
    errors: list[UserError]


async def _plan(
    info: strawberry.Info[Context, None], key: str | None, command: p.PlanCommand
) -> PlanPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: plan_service.handle(ctx.runner, caller, command),
        PlanPayload,
        "plan",
        AnnualPlan.from_state,
    )


async def _task(
    info: strawberry.Info[Context, None], key: str | None, command: t.TaskCommand
) -> TaskPayload:
    ctx = info.context
    return await run_mutation(
        info,
        key,
        lambda caller: task_service.handle(ctx.runner, caller, command, ctx.regions),
        TaskPayload,
        "task",
        InspectionTask.from_state,
    )


@strawberry.type
class PlanMutations:
    @strawberry.mutation(
        description=f"新建年度抽查工作计划 Create an annual plan as a draft ({ROLES})."
    )
    async def create_plan(
        self, info: strawberry.Info[Context, None], input: CreatePlanInput
    ) -> PlanPayload:
        return await _plan(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"修订计划 Revise a draft plan; a filed plan is read-only ({ROLES})."
    )
    async def revise_plan(
        self, info: strawberry.Info[Context, None], input: RevisePlanInput
    ) -> PlanPayload:
        return await _plan(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"备案 File a draft plan: its items must still be in force; it becomes "
        f"read-only and public ({ROLES})."
    )
    async def file_plan(
        self, info: strawberry.Info[Context, None], input: FilePlanInput
    ) -> PlanPayload:
        return await _plan(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"新建抽查任务 Create an inspection task of a plan, as a draft ({ROLES})."
    )
    async def create_task(
        self, info: strawberry.Info[Context, None], input: CreateTaskInput
    ) -> TaskPayload:
        return await _task(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"修订抽查任务 Replace a draft task's definition ({ROLES}; a new lead "
        "department's administrator too)."
    )
    async def revise_task(
        self, info: strawberry.Info[Context, None], input: ReviseTaskInput
    ) -> TaskPayload:
        return await _task(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"发布抽查任务 Publish a draft task of a filed plan: every rule is checked "
        f"again; the task is then ready to be drawn and public ({ROLES})."
    )
    async def publish_task(
        self, info: strawberry.Info[Context, None], input: PublishTaskInput
    ) -> TaskPayload:
        return await _task(info, input.idempotency_key, input.command())

    @strawberry.mutation(
        description=f"撤销抽查任务 Cancel a draft or published task, with a reason ({ROLES})."
    )
    async def cancel_task(
        self, info: strawberry.Info[Context, None], input: CancelTaskInput
    ) -> TaskPayload:
        return await _task(info, input.idempotency_key, input.command())
