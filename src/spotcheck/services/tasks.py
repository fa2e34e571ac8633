"""抽查任务 inspection tasks: create, revise, publish (ready to be drawn) and cancel."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import task as t
from spotcheck.domain.aggregate import Event
from spotcheck.domain.regions import Regions
from spotcheck.services.refs import (
    department_codes,
    item_statuses,
    items_in_force_detail,
    plan_state,
)
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(
    runner: CommandRunner, caller: Caller, command: t.TaskCommand, regions: Regions
) -> Outcome[t.Task]:
    """Run a task command; ``regions`` is the configured list of streets and towns."""

    async def decide(conn: asyncpg.Connection, state: t.Task | None) -> list[Event]:
        if isinstance(command, t.CreateTask):
            plan_id: str | None = command.plan_id
        else:
            plan_id = state.plan_id if state is not None else None
        if isinstance(command, t.CreateTask | t.ReviseTask):
            codes = [c.strip() for c in command.items]
        else:
            codes = list(state.items) if state is not None else []
        refs = t.TaskRefs(
            plan=await plan_state(conn, plan_id) if plan_id is not None else None,
            departments=await department_codes(conn),
            regions=regions,
            items=await items_in_force_detail(conn, codes),
            statuses=await item_statuses(conn),
        )
        return t.decide(state, command, caller.actor, refs)

    return await runner.run(caller, t.SPEC, command.task_id, command, decide)
