"""联络员制度 (附件2): liaison reports, replacement and coordination requests, trainings.

A report's figures are computed here, before the command's transaction, in one REPEATABLE READ
snapshot: the department's statistics of the report's year (``services/statistics.py``, the
same arithmetic as the ``statistics`` query) as of the snapshot's Beijing date, and the sealed
ledger's head in that snapshot.  The decision stores them as computed; the command's one write
transaction appends the report.
"""

from __future__ import annotations

import asyncpg

from spotcheck.clock import beijing_today
from spotcheck.domain import department as dept
from spotcheck.domain.aggregate import Event
from spotcheck.domain.deadlines import publication_deadline
from spotcheck.domain.liaison import report as r
from spotcheck.domain.liaison import requests as q
from spotcheck.domain.liaison import training as t
from spotcheck.domain.statistics import MAX_YEAR, MIN_YEAR, DepartmentFigures, aggregate
from spotcheck.domain.values import Liaison
from spotcheck.projections import state_tables
from spotcheck.services.deadlines import load_calendar
from spotcheck.services.refs import department_codes
from spotcheck.services.runner import Caller, CommandRunner, Outcome
from spotcheck.services.statistics import facts_in


async def report_figures(pool: asyncpg.Pool, department: str, year: int) -> r.ReportFigures:
    """The department's figures of ``year`` now, with the ledger position they were read at."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        today = await beijing_today(conn)
        position = await conn.fetchval("SELECT coalesce(max(position), 0) FROM ledger")
        if not MIN_YEAR <= year <= MAX_YEAR:
            return r.figures_of(DepartmentFigures(department=department), today, position)
        calendar = await load_calendar(conn)
        facts = await facts_in(conn, year)
    figures = aggregate(
        facts,
        year,
        today,
        lambda completed_on, days: publication_deadline(calendar, completed_on, days),
        only=department,
    )
    return r.figures_of(figures.departments[0], today, position)


async def submit_report(
    runner: CommandRunner, caller: Caller, command: r.SubmitLiaisonReport
) -> Outcome[r.LiaisonReport]:
    figures = await report_figures(runner.store.pool, command.department, command.year)

    async def decide(conn: asyncpg.Connection, state: r.LiaisonReport | None) -> list[Event]:
        return r.decide(state, command, caller.actor, await department_codes(conn), figures)

    key = r.report_id(command.department, command.year, command.quarter)
    return await runner.run(caller, r.SPEC, key, command, decide)


async def _liaison(conn: asyncpg.Connection, department: str) -> Liaison | None:
    data = await conn.fetchval("SELECT state FROM departments WHERE id = $1", department)
    return None if data is None else dept.SPEC.state_from_data(data).liaison


async def replacement(
    runner: CommandRunner, caller: Caller, command: q.ReplacementCommand
) -> Outcome[q.ReplacementRequest]:
    async def decide(conn: asyncpg.Connection, state: q.ReplacementRequest | None) -> list[Event]:
        department = (
            command.department
            if isinstance(command, q.RequestLiaisonReplacement)
            else (state.department if state is not None else "")
        )
        liaison = await _liaison(conn, department)
        return q.decide_replacement(
            state, command, caller.actor, liaison, await beijing_today(conn)
        )

    return await runner.run(caller, q.REPLACEMENT, command.request_id, command, decide)


async def coordination(
    runner: CommandRunner, caller: Caller, command: q.CoordinationCommand
) -> Outcome[q.CoordinationRequest]:
    async def decide(conn: asyncpg.Connection, state: q.CoordinationRequest | None) -> list[Event]:
        known = await department_codes(conn)
        return q.decide_coordination(state, command, caller.actor, known, await beijing_today(conn))

    return await runner.run(caller, q.COORDINATION, command.request_id, command, decide)


async def _inspector_departments(conn: asyncpg.Connection, staff_ids: list[str]) -> dict[str, str]:
    """The department of each of ``staff_ids`` found in the registry of inspectors."""
    rows = await conn.fetch(
        f"SELECT id, state->>'department' AS department FROM {state_tables.INSPECTORS} "
        "WHERE id = ANY($1::text[])",
        [s.strip() for s in staff_ids],
    )
    return {row["id"]: row["department"] for row in rows}


async def training(
    runner: CommandRunner, caller: Caller, command: t.TrainingCommand
) -> Outcome[t.Training]:
    async def decide(conn: asyncpg.Connection, state: t.Training | None) -> list[Event]:
        return t.decide(
            state,
            command,
            caller.actor,
            await department_codes(conn),
            await _inspector_departments(conn, command.attendees),
            await beijing_today(conn),
        )

    return await runner.run(caller, t.SPEC, command.training_id, command, decide)
