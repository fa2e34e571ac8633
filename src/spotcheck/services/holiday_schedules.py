"""法定节假日安排 Publishing a year's holiday schedule (SYSTEM_ADMIN)."""

from __future__ import annotations

import asyncpg

from spotcheck.domain import holiday_schedule as h
from spotcheck.domain.aggregate import Event
from spotcheck.domain.calendar import package_years
from spotcheck.projections import state_tables
from spotcheck.services.runner import Caller, CommandRunner, Outcome

TABLE = state_tables.HOLIDAY_SCHEDULES


async def publish(
    runner: CommandRunner, caller: Caller, command: h.PublishHolidaySchedule
) -> Outcome[h.HolidaySchedule]:
    async def decide(conn: asyncpg.Connection, state: h.HolidaySchedule | None) -> list[Event]:
        return h.decide(state, command, caller.actor, package_years())

    return await runner.run(caller, h.SPEC, str(command.year), command, decide)


async def published_schedules(conn: asyncpg.Connection | asyncpg.Pool) -> list[h.HolidaySchedule]:
    """Every published schedule, by year."""
    rows = await conn.fetch(f"SELECT state FROM {TABLE} ORDER BY year")
    return [h.SPEC.state_from_data(r["state"]) for r in rows]
