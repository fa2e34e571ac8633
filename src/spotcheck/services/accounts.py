"""Platform accounts (用户账号) and their roles."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import account as a
from spotcheck.domain.aggregate import Event
from spotcheck.services.refs import department_codes
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(
    runner: CommandRunner, caller: Caller, command: a.AccountCommand
) -> Outcome[a.Account]:
    async def decide(conn: asyncpg.Connection, state: a.Account | None) -> list[Event]:
        return a.decide(state, command, caller.actor, await department_codes(conn))

    return await runner.run(caller, a.SPEC, command.user_id, command, decide)
