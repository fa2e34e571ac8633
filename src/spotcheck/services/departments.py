"""Member departments (成员单位) and their liaisons."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import department as d
from spotcheck.domain.aggregate import Event
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(
    runner: CommandRunner, caller: Caller, command: d.DepartmentCommand
) -> Outcome[d.Department]:
    async def decide(conn: asyncpg.Connection, state: d.Department | None) -> list[Event]:
        return d.decide(state, command, caller.actor)

    return await runner.run(caller, d.SPEC, command.code, command, decide)
