"""检查对象名录库 registry of inspection subjects: register and correct subjects."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import subject as s
from spotcheck.domain.aggregate import Event
from spotcheck.domain.regions import Regions
from spotcheck.services.refs import subject_refs
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(
    runner: CommandRunner, caller: Caller, command: s.SubjectCommand, regions: Regions
) -> Outcome[s.Subject]:
    """Run a registration or correction; ``regions`` is the configured list of streets and towns."""

    async def decide(conn: asyncpg.Connection, state: s.Subject | None) -> list[Event]:
        return s.decide(state, command, caller.actor, await subject_refs(conn, regions))

    return await runner.run(caller, s.SPEC, s.command_key(command), command, decide)
