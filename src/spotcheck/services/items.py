"""随机抽查事项 inspection items and the district's published list (随机抽查事项清单)."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import item as i
from spotcheck.domain import item_list as il
from spotcheck.domain.aggregate import Event
from spotcheck.services.refs import department_codes, items_in_force
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def handle(
    runner: CommandRunner, caller: Caller, command: i.ItemCommand
) -> Outcome[i.InspectionItem]:
    async def decide(conn: asyncpg.Connection, state: i.InspectionItem | None) -> list[Event]:
        departments = (
            await department_codes(conn) if isinstance(command, i.CreateItem) else frozenset()
        )
        return i.decide(state, command, caller.actor, departments)

    return await runner.run(caller, i.SPEC, command.code, command, decide)


async def publish_list(
    runner: CommandRunner, caller: Caller, command: il.PublishItemList
) -> Outcome[il.ItemListRegister]:
    async def decide(conn: asyncpg.Connection, state: il.ItemListRegister | None) -> list[Event]:
        listed = [
            il.ListedItem(code=code, version=number, department=department)
            for code, number, department in await items_in_force(conn)
        ]
        return il.decide(state, command, caller.actor, listed)

    return await runner.run(caller, il.SPEC, il.KEY, command, decide)
