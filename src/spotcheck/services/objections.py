"""异议 Objections: filing and answering (the write path), and their answer deadlines (the SQL).

Filing reads the published result (``published_results``: only a published result may be
objected to) and, for a staff-registered objection with attachments, the evidence files (locked
shared, as results lock them).  Answering reads the inspection's amendments that cite the
objection (``inspection_records``).  The answer period is ``SPOTCHECK_OBJECTION_WORKING_DAYS``
(default 10) at filing, recorded in the event, so a later change of the setting does not move
an earlier objection's deadline.

``answer_deadlines`` is the read the deadline report and the annual report use: one row per
objection from the ``objections`` table, assessed on the working-day calendar as of a day.
"""

from __future__ import annotations

import enum
import os
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from spotcheck.clock import beijing_today
from spotcheck.domain import inspection as ins
from spotcheck.domain import objection as ob
from spotcheck.domain.aggregate import Event, from_data
from spotcheck.domain.calendar import WorkingCalendar
from spotcheck.domain.deadlines import Assessment, PublicationStatus, assess
from spotcheck.projections.inspections import RECORDS
from spotcheck.projections.publications import PUBLISHED
from spotcheck.projections.state_tables import OBJECTIONS
from spotcheck.services.evidence import attachable
from spotcheck.services.runner import Caller, CommandRunner, Outcome

WORKING_DAYS_SETTING = "SPOTCHECK_OBJECTION_WORKING_DAYS"


def answer_working_days() -> int:
    """The answer period for objections filed now (``SPOTCHECK_OBJECTION_WORKING_DAYS``)."""
    raw = os.environ.get(WORKING_DAYS_SETTING, "").strip()
    if not raw:
        return ob.DEFAULT_ANSWER_WORKING_DAYS
    value = int(raw) if raw.isdigit() else 0
    if not 1 <= value <= ob.MAX_ANSWER_WORKING_DAYS:
        raise ValueError(f"{WORKING_DAYS_SETTING} must be 1 to {ob.MAX_ANSWER_WORKING_DAYS}")
    return value


def new_key() -> str:
    """A reference number (受理编号) nobody can guess: the filer's handle on the objection."""
    return "OBJ-" + secrets.token_hex(8).upper()


async def published_record(conn: asyncpg.Connection, key: str) -> ins.PublishedRecord | None:
    data = await conn.fetchval(f"SELECT record FROM {PUBLISHED} WHERE id = $1", key)
    return None if data is None else from_data(data, ins.PublishedRecord)


async def citing_amendments(conn: asyncpg.Connection, state: ob.Objection) -> list[int]:
    data = await conn.fetchval(
        f"SELECT state FROM {RECORDS} WHERE id = $1 FOR UPDATE", state.inspection_id
    )
    if data is None:
        return []
    inspection = ins.SPEC.state_from_data(data)
    return [a.number for a in inspection.amendments if a.objection_id == state.objection_id]


async def _refs(
    conn: asyncpg.Connection,
    state: ob.Objection | None,
    command: ob.ObjectionCommand,
    caller: Caller,
) -> ob.ObjectionRefs:
    today = await beijing_today(conn)
    if isinstance(command, ob.AnswerObjection):
        amendments = await citing_amendments(conn, state) if state is not None else []
        return ob.ObjectionRefs(today=today, amendments=amendments)
    digests = sorted({a.sha256.strip().lower() for a in command.attachments})
    files = None
    if digests and not caller.actor.is_public:
        files = await attachable(conn, digests, caller.actor)
    return ob.ObjectionRefs(
        today=today,
        working_days=answer_working_days(),
        record=await published_record(conn, command.inspection_id.strip()),
        known_evidence=files.known if files else frozenset(),
        collected_evidence=files.collected if files else frozenset(),
        unreadable_evidence=files.unreadable if files else frozenset(),
    )


async def handle(
    runner: CommandRunner, caller: Caller, command: ob.ObjectionCommand, key: str | None = None
) -> Outcome[ob.Objection]:
    """File (under a new reference number, or ``key``) or answer an objection."""
    if isinstance(command, ob.AnswerObjection):
        key = command.objection_id.strip()
    elif key is None:
        key = new_key()
    stream_key = key

    async def decide(conn: asyncpg.Connection, state: ob.Objection | None) -> list[Event]:
        refs = await _refs(conn, state, command, caller)
        return ob.decide(state, command, caller.actor, refs, stream_key)

    return await runner.run(caller, ob.SPEC, stream_key, command, decide)


# Answer deadlines
class AnswerStatus(enum.Enum):
    """答复时限 Where an objection's answer stands against its deadline."""

    DUE = "DUE"
    """待答复 Not answered, deadline not passed."""
    OVERDUE = "OVERDUE"
    """逾期未答复 Not answered, deadline passed."""
    ON_TIME = "ON_TIME"
    """按时答复 Answered by the deadline."""
    LATE = "LATE"
    """逾期答复 Answered after the deadline."""
    UNDETERMINED = "UNDETERMINED"
    """无法判定 The deadline runs into a year without a holiday schedule and the answer depends
    on it (see ``problem_year``)."""


_STATUS = {
    PublicationStatus.DUE: AnswerStatus.DUE,
    PublicationStatus.OVERDUE: AnswerStatus.OVERDUE,
    PublicationStatus.ON_TIME: AnswerStatus.ON_TIME,
    PublicationStatus.LATE: AnswerStatus.LATE,
    PublicationStatus.UNDETERMINED: AnswerStatus.UNDETERMINED,
}


@dataclass(frozen=True)
class AnswerDeadline:
    objection: ob.Objection
    deadline: date | None
    problem_year: int | None
    status: AnswerStatus


def assess_answer(calendar: WorkingCalendar, today: date, o: ob.Objection) -> AnswerDeadline:
    """The answer deadline (``working_days`` working days after filing) and its status, by the
    same rule as publication deadlines (``spotcheck.domain.deadlines.assess``)."""
    a: Assessment = assess(
        calendar,
        today,
        completed_on=o.filed_on,
        days=o.working_days,
        all_published=o.answered_on is not None,
        published_on=o.answered_on,
    )
    return AnswerDeadline(o, a.deadline, a.problem_year, _STATUS[a.status])


_ROWS = f"""
SELECT id, state FROM {OBJECTIONS}
 WHERE ($1::text IS NULL OR id > $1)
   AND ($2::text IS NULL OR department = $2)
   AND ($3::integer IS NULL OR left(filed_on, 4)::integer = $3)
   AND ($4::boolean IS NULL OR (status = 'FILED') = $4)
   AND ($5::text[] IS NULL OR id = ANY($5::text[]))
 ORDER BY id
 LIMIT $6
"""
BATCH = 200


async def answer_deadlines(
    conn: asyncpg.Connection | asyncpg.Pool,
    calendar: WorkingCalendar,
    today: date,
    *,
    after: str | None = None,
    limit: int = 1_000_000,
    department: str | None = None,
    year: int | None = None,
    open_only: bool | None = None,
    statuses: frozenset[AnswerStatus] | None = None,
    keys: list[str] | None = None,
) -> list[AnswerDeadline]:
    """Up to ``limit`` objections by id after ``after`` with their answer deadlines as of
    ``today``: of one lead department, filed in one year (the annual report's "objection
    answers on time" is the ON_TIME share of a year's answered ones), open only, in statuses."""
    out: list[AnswerDeadline] = []
    cursor = after
    while len(out) < limit:
        rows = await conn.fetch(_ROWS, cursor, department, year, open_only, keys, BATCH)
        for r in rows:
            d = assess_answer(calendar, today, ob.SPEC.state_from_data(r["state"]))
            if statuses is None or d.status in statuses:
                out.append(d)
                if len(out) == limit:
                    break
        if len(rows) < BATCH:
            break
        cursor = rows[-1]["id"]
    return out


async def load(conn: asyncpg.Connection | asyncpg.Pool, keys: list[str]) -> list[Any]:
    rows = await conn.fetch(f"SELECT id, state FROM {OBJECTIONS} WHERE id = ANY($1::text[])", keys)
    found = {r["id"]: ob.SPEC.state_from_data(r["state"]) for r in rows}
    return [found.get(k) for k in keys]
