"""联席会议 The joint meeting's write path (composition, meetings and minutes, action items) and
the office's supervision (督促指导, 第七条) of action items per department.

Each command reads what its decision needs on the command's connection, with today's Beijing
date from the database clock (the transaction's ``now()``)."""

from __future__ import annotations

from datetime import date

import asyncpg
import msgspec

from spotcheck.clock import beijing_today
from spotcheck.domain.aggregate import Event
from spotcheck.domain.jointmeeting import action_item as ai
from spotcheck.domain.jointmeeting import composition as jc
from spotcheck.domain.jointmeeting import meeting as mt
from spotcheck.projections import state_tables
from spotcheck.services.refs import department_codes
from spotcheck.services.runner import Caller, CommandRunner, Outcome


async def composition_state(conn: asyncpg.Connection | asyncpg.Pool) -> jc.Composition | None:
    data = await conn.fetchval(
        f"SELECT state FROM {state_tables.JOINT_MEETING_COMPOSITIONS} WHERE id = $1",
        jc.JOINT_MEETING,
    )
    return None if data is None else jc.SPEC.state_from_data(data)


async def meeting_state(conn: asyncpg.Connection, meeting_id: str) -> mt.Meeting | None:
    data = await conn.fetchval(
        f"SELECT state FROM {state_tables.MEETINGS} WHERE id = $1", meeting_id
    )
    return None if data is None else mt.SPEC.state_from_data(data)


async def change_composition(
    runner: CommandRunner, caller: Caller, command: jc.CompositionCommand
) -> Outcome[jc.Composition]:
    async def decide(conn: asyncpg.Connection, state: jc.Composition | None) -> list[Event]:
        user = getattr(command, "user_id", None)
        accounts = await conn.fetch(
            f"SELECT id FROM {state_tables.ACCOUNTS} WHERE id = $1", (user or "").strip()
        )
        refs = jc.CompositionRefs(
            departments=await department_codes(conn),
            accounts=frozenset(r["id"] for r in accounts),
            today=await beijing_today(conn),
        )
        return jc.decide(state, command, caller.actor, refs)

    return await runner.run(caller, jc.SPEC, jc.JOINT_MEETING, command, decide)


async def handle_meeting(
    runner: CommandRunner, caller: Caller, command: mt.MeetingCommand
) -> Outcome[mt.Meeting]:
    async def decide(conn: asyncpg.Connection, state: mt.Meeting | None) -> list[Event]:
        refs = mt.MeetingRefs(
            departments=await department_codes(conn),
            composition=await composition_state(conn),
            today=await beijing_today(conn),
        )
        return mt.decide(state, command, caller.actor, refs)

    return await runner.run(caller, mt.SPEC, command.meeting_id, command, decide)


async def handle_action_item(
    runner: CommandRunner, caller: Caller, command: ai.ActionItemCommand
) -> Outcome[ai.ActionItem]:
    async def decide(conn: asyncpg.Connection, state: ai.ActionItem | None) -> list[Event]:
        meeting = None
        if isinstance(command, ai.AssignActionItem):
            meeting = await meeting_state(conn, command.meeting_id)
        refs = ai.ActionItemRefs(
            departments=await department_codes(conn),
            meeting=meeting,
            today=await beijing_today(conn),
        )
        return ai.decide(state, command, caller.actor, refs)

    return await runner.run(caller, ai.SPEC, command.action_id, command, decide)


# Reading action items: the office's supervision (第七条) and the annual report (年度工作总结).
class DepartmentActionItems(msgspec.Struct, frozen=True, kw_only=True):
    """One department's action items due in a year, as of a day (Beijing)."""

    department: str
    total: int
    open: int
    """办理中 Open and not yet due."""
    overdue: int
    """逾期未办结 Open after the due date."""
    done: int
    done_on_time: int
    """按期办结 Done on or before the due date."""
    done_late: int
    reminders: int
    """督办 Reminders the office sent for them."""


_TALLY = f"""
SELECT department,
       count(*) AS total,
       count(*) FILTER (WHERE status = 'OPEN' AND due_date >= $2) AS open,
       count(*) FILTER (WHERE status = 'OPEN' AND due_date < $2) AS overdue,
       count(*) FILTER (WHERE status = 'DONE') AS done,
       count(*) FILTER (WHERE status = 'DONE' AND done_on <= due_date) AS done_on_time,
       count(*) FILTER (WHERE status = 'DONE' AND done_on > due_date) AS done_late,
       coalesce(sum(jsonb_array_length(state->'reminders')), 0) AS reminders
  FROM {state_tables.ACTION_ITEMS}
 WHERE ($1::integer IS NULL OR due_year = $1)
   AND ($3::text IS NULL OR department = $3)
 GROUP BY department
 ORDER BY department
"""


async def action_items_by_department(
    conn: asyncpg.Connection | asyncpg.Pool,
    today: date,
    year: int | None = None,
    department: str | None = None,
) -> list[DepartmentActionItems]:
    """Per department, the action items due in ``year`` (every year when None): open, overdue,
    done, done on time and late, as of ``today`` (a Beijing date).  The annual report reads the
    year's figures here; the rows behind them are ``action_items`` filtered the same way."""
    rows = await conn.fetch(_TALLY, year, today.isoformat(), department)
    return [
        DepartmentActionItems(
            department=r["department"],
            total=r["total"],
            open=r["open"],
            overdue=r["overdue"],
            done=r["done"],
            done_on_time=r["done_on_time"],
            done_late=r["done_late"],
            reminders=int(r["reminders"]),
        )
        for r in rows
    ]
