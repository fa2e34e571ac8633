"""年度抽查工作计划 annual plans: create, revise and file (备案)."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import plan as p
from spotcheck.domain.aggregate import Event
from spotcheck.services.refs import department_codes, item_statuses, items_in_force_detail
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(runner: CommandRunner, caller: Caller, command: p.PlanCommand) -> Outcome[p.Plan]:
    async def decide(conn: asyncpg.Connection, state: p.Plan | None) -> list[Event]:
        if isinstance(command, p.FilePlan):
            codes = list(state.items) if state is not None else []
        else:
            codes = list(command.items or []) + (list(state.items) if state is not None else [])
        refs = p.PlanRefs(
            departments=await department_codes(conn),
            items=await items_in_force_detail(conn, [c.strip() for c in codes]),
            statuses=await item_statuses(conn),
        )
        return p.decide(state, command, caller.actor, refs)

    return await runner.run(caller, p.SPEC, command.plan_id, command, decide)
