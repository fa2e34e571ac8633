"""Queries over annual plans (年度抽查工作计划) and inspection tasks (抽查任务)."""

from __future__ import annotations

import strawberry

from spotcheck.api.common.pagination import Connection
from spotcheck.api.context import Context
from spotcheck.api.plans.types import (
    AnnualPlan,
    InspectionTask,
    load_plan,
    load_task,
    plan_page,
    task_page,
)
from spotcheck.domain import plan as p
from spotcheck.domain import task as t


@strawberry.input(description="Filter for annual plans (every given condition must hold).")
class AnnualPlanFilter:
    year: int | None = strawberry.field(default=None, description="年度 Year.")
    department: str | None = strawberry.field(
        default=None, description="A participating department's code (the lead included)."
    )
    status: p.PlanStatus | None = strawberry.field(default=None, description="计划状态 Status.")


@strawberry.input(description="Filter for inspection tasks (every given condition must hold).")
class InspectionTaskFilter:
    plan_id: str | None = strawberry.field(default=None, description="The plan's id.")
    department: str | None = strawberry.field(
        default=None, description="A participating department's code (the lead included)."
    )
    status: t.TaskStatus | None = strawberry.field(default=None, description="任务状态 Status.")


@strawberry.type
class PlanQueries:
    @strawberry.field(
        description="年度抽查工作计划 Annual plans by id. Everyone sees filed plans; drafts only "
        "the participating departments' staff, SYSTEM_ADMIN and AUDITOR."
    )
    async def plans(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: AnnualPlanFilter | None = None,
    ) -> Connection[AnnualPlan]:
        f = filter or AnnualPlanFilter()
        return await plan_page(info, first, after, f.year, f.department, f.status)

    @strawberry.field(description="One annual plan by id; null if missing or not visible.")
    async def plan(self, info: strawberry.Info[Context, None], plan_id: str) -> AnnualPlan | None:
        return await load_plan(info, plan_id)

    @strawberry.field(
        description="抽查任务 Inspection tasks by id. Everyone sees tasks that were published; "
        "drafts only the participating departments' staff, SYSTEM_ADMIN and AUDITOR."
    )
    async def tasks(
        self,
        info: strawberry.Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        filter: InspectionTaskFilter | None = None,
    ) -> Connection[InspectionTask]:
        f = filter or InspectionTaskFilter()
        return await task_page(info, first, after, f.plan_id, f.department, f.status)

    @strawberry.field(description="One inspection task by id; null if missing or not visible.")
    async def task(
        self, info: strawberry.Info[Context, None], task_id: str
    ) -> InspectionTask | None:
        return await load_task(info, task_id)
