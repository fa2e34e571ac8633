"""执法检查人员名录库 registry of inspectors: register, update, status, conflicts of interest."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import inspector as i
from spotcheck.domain.aggregate import Event
from spotcheck.services.refs import department_codes, subject_exists
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(
    runner: CommandRunner, caller: Caller, command: i.InspectorCommand
) -> Outcome[i.Inspector]:
    async def decide(conn: asyncpg.Connection, state: i.Inspector | None) -> list[Event]:
        exists = None
        if isinstance(command, i.DeclareConflict):
            exists = await subject_exists(conn, command.subject_key)
        return i.decide(state, command, caller.actor, await department_codes(conn), exists)

    return await runner.run(caller, i.SPEC, command.staff_id, command, decide)
