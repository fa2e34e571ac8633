"""年度工作总结 The SQL of the annual report: the rows each figure of ``domain.annual`` counts,
read from the read tables (and the plans' filing events) on one connection, and the sealed
ledger events that prove them, up to one ledger position."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import asyncpg

from spotcheck.domain import annual as an
from spotcheck.domain.calendar import WorkingCalendar
from spotcheck.domain.inspection import beijing_date
from spotcheck.domain.statistics import DEFAULT_PUBLICATION_WORKING_DAYS, DRAWN_ORIGINS
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.eventstore.ledger import SEALED_EVENTS
from spotcheck.eventstore.store import record_from_row
from spotcheck.projections.publications import FOLLOW_UPS
from spotcheck.projections.state_tables import ACTION_ITEMS
from spotcheck.services.jointmeeting import DepartmentActionItems, action_items_by_department
from spotcheck.services.objections import answer_deadlines
from spotcheck.services.statistics import YEAR_INSPECTIONS, year_bounds


def filing_month_day() -> tuple[int, int]:
    """The plan filing deadline (``SPOTCHECK_PLAN_FILING_DEADLINE``, MM-DD of the plan year)."""
    return an.parse_filing_deadline(os.environ.get(an.PLAN_FILING_SETTING))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# The year's plans with the recording time of their filing event, and per item the first
# inspection of a task of the plan with results submitted.
_PLANS = """
SELECT p.id, p.department, ARRAY(SELECT jsonb_array_elements_text(p.state->'items')) AS items,
       (SELECT min(e.recorded_at) FROM events e
         WHERE e.stream_id = 'plan-' || p.id AND e.event_type = 'AnnualPlanFiled') AS filed_at
  FROM plans p
 WHERE p.year = $1
 ORDER BY p.id
"""
_COVERED = """
SELECT t.plan_id, u.item, min(i.id) AS inspection_id
  FROM inspections i
  JOIN tasks t ON t.id = i.task_id
  CROSS JOIN LATERAL unnest(i.items) AS u(item)
 WHERE t.plan_id = ANY($1::text[]) AND i.inspected_on IS NOT NULL
 GROUP BY 1, 2
"""
_PUBLICATION = (
    YEAR_INSPECTIONS
    + """
, done AS (
  SELECT task_id, bool_and(approved_on IS NOT NULL) AS complete, max(approved_on) AS completed_on
    FROM y WHERE task_id IS NOT NULL GROUP BY task_id
)
SELECT y.id, y.dept,
       CASE WHEN y.task_id IS NULL THEN y.approved_on
            WHEN done.complete AND t.status <> 'CANCELLED' THEN done.completed_on
       END AS completed_on,
       coalesce((p.state->>'publication_working_days')::integer, $3) AS days,
       y.published_on
  FROM y
  LEFT JOIN done ON done.task_id = y.task_id
  LEFT JOIN tasks t ON t.id = y.task_id
  LEFT JOIN plans p ON p.id = t.plan_id
 ORDER BY y.id
"""
)
_FOLLOW_UPS = (
    YEAR_INSPECTIONS
    + f"""
SELECT f.inspection_id, f.item, f.departments[1] AS dept, f.kind, f.correct_by,
       f.rechecked_on, f.corrected, f.transfer_status
  FROM {FOLLOW_UPS} f JOIN y ON y.id = f.inspection_id
 ORDER BY f.id
"""
)
_REPEATS = (
    YEAR_INSPECTIONS
    + """
SELECT y.dept, y.subject_key, y.task_id FROM y WHERE y.origin = ANY($3::text[]) ORDER BY y.id
"""
)
_ACTIONS = f"""
SELECT id, department, state->>'due_date' AS due_date, done_on
  FROM {ACTION_ITEMS} WHERE due_year = $1 ORDER BY id
"""


@dataclass(frozen=True)
class AnnualRows:
    plans: list[an.PlanRow]
    publications: list[an.PublicationRow]
    follow_ups: list[an.FollowUpRow]
    repeats: list[an.RepeatRow]
    actions: list[an.ActionRow]
    action_tallies: list[DepartmentActionItems]
    answers: list[an.AnswerRow]


async def _plans(conn: asyncpg.Connection, year: int) -> list[an.PlanRow]:
    rows = await conn.fetch(_PLANS, year)
    covered: dict[str, dict[str, str]] = {}
    for r in await conn.fetch(_COVERED, [r["id"] for r in rows]):
        covered.setdefault(r["plan_id"], {})[r["item"]] = r["inspection_id"]
    return [
        an.PlanRow(
            plan_id=r["id"],
            department=r["department"],
            filed_on=beijing_date(r["filed_at"]) if r["filed_at"] else None,
            items=tuple(r["items"]),
            covered=covered.get(r["id"], {}),
        )
        for r in rows
    ]


async def read_rows(
    conn: asyncpg.Connection, year: int, today: date, calendar: WorkingCalendar
) -> AnnualRows:
    """Every row the year's figures count, read on ``conn`` (one snapshot when it is in a
    REPEATABLE READ transaction)."""
    lo, hi = year_bounds(year)
    publications = await conn.fetch(_PUBLICATION, lo, hi, DEFAULT_PUBLICATION_WORKING_DAYS)
    follow = await conn.fetch(_FOLLOW_UPS, lo, hi)
    repeats = await conn.fetch(_REPEATS, lo, hi, [o.value for o in DRAWN_ORIGINS])
    actions = await conn.fetch(_ACTIONS, year)
    answers = await answer_deadlines(conn, calendar, today, year=year)
    return AnnualRows(
        plans=await _plans(conn, year),
        publications=[
            an.PublicationRow(
                r["id"], r["dept"], _date(r["completed_on"]), r["days"], _date(r["published_on"])
            )
            for r in publications
        ],
        follow_ups=[
            an.FollowUpRow(
                inspection_id=r["inspection_id"],
                item=r["item"],
                department=r["dept"],
                kind=r["kind"],
                correct_by=_date(r["correct_by"]),
                rechecked_on=_date(r["rechecked_on"]),
                corrected=r["corrected"],
                transfer_status=r["transfer_status"],
            )
            for r in follow
        ],
        repeats=[an.RepeatRow(r["dept"], r["subject_key"], r["task_id"]) for r in repeats],
        actions=[
            an.ActionRow(
                r["id"], r["department"], date.fromisoformat(r["due_date"]), _date(r["done_on"])
            )
            for r in actions
        ],
        action_tallies=await action_items_by_department(conn, today, year),
        answers=[
            an.AnswerRow(a.objection.objection_id, a.objection.department, a.status.value)
            for a in answers
        ],
    )


async def ledger_head(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM ledger"))


async def proof_events(
    conn: asyncpg.Connection, head: int, refs: list[an.ProofRef]
) -> dict[tuple[str, str], list[RecordedEvent]]:
    """The sealed events (at or before ``head``) of each (stream, event type) the proofs name."""
    pairs = sorted({(r.stream_id, t) for r in refs for t in r.event_types})
    rows = await conn.fetch(
        SEALED_EVENTS + " WHERE l.position <= $1 AND (e.stream_id, e.event_type) IN"
        " (SELECT * FROM unnest($2::text[], $3::text[])) ORDER BY l.position",
        head,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    out: dict[tuple[str, str], list[RecordedEvent]] = {}
    for r in rows:
        e = record_from_row(r)
        out.setdefault((e.stream_id, e.event_type), []).append(e)
    return out
