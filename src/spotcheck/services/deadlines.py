"""公示时限 Publication deadlines over the read tables: which tasks and case inspections are
complete, since when, and what is published (the SQL); the rules and the assessment are pure,
in ``spotcheck.domain.deadlines``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from spotcheck.domain.calendar import WorkingCalendar
from spotcheck.domain.deadlines import (
    Deadline,
    DeadlineKind,
    OverdueInspection,
    PublicationStatus,
    assess,
)
from spotcheck.domain.plan import DEFAULT_PUBLICATION_WORKING_DAYS
from spotcheck.services.holiday_schedules import published_schedules


async def load_calendar(conn: asyncpg.Connection | asyncpg.Pool) -> WorkingCalendar:
    """The package's schedules with every published one (which wins for its year)."""
    return WorkingCalendar.build(s.to_year_schedule() for s in await published_schedules(conn))


# One row per task with inspections (not cancelled) and per case inspection; the year is the
# plan's (a task's dates fall in its plan's year) or the case's start year.
_ROWS = f"""
WITH rows AS (
  SELECT t.id AS key, 'TASK' AS kind, t.department, pl.year, t.end_date,
         COALESCE((pl.state->>'publication_working_days')::integer,
                  {DEFAULT_PUBLICATION_WORKING_DAYS}) AS working_days,
         count(*) AS inspections, count(i.approved_on) AS approved,
         count(i.published_on) AS published, max(i.approved_on) AS last_approved,
         max(i.published_on) AS last_published
    FROM tasks t
    JOIN inspections i ON i.task_id = t.id
    JOIN plans pl ON pl.id = t.plan_id
   WHERE t.status <> 'CANCELLED'
   GROUP BY t.id, t.department, pl.year, t.end_date, pl.state
  UNION ALL
  SELECT i.id, 'CASE_INSPECTION', i.departments[1], left(i.start_date, 4)::integer,
         i.end_date, {DEFAULT_PUBLICATION_WORKING_DAYS}, 1,
         (i.approved_on IS NOT NULL)::integer, (i.published_on IS NOT NULL)::integer,
         i.approved_on, i.published_on
    FROM inspections i
   WHERE i.origin = 'CASE'
)
SELECT * FROM rows
 WHERE ($1::text IS NULL OR key > $1)
   AND ($2::text IS NULL OR department = $2)
   AND ($3::integer IS NULL OR year = $3)
   AND ($4::boolean IS NULL OR (approved = inspections) = $4)
   AND ($5::text IS NULL OR end_date < $5)
   AND ($6::text IS NULL OR kind = $6)
   AND ($7::text[] IS NULL OR key = ANY($7::text[]))
 ORDER BY key
 LIMIT $8
"""

BATCH = 200


def _date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _deadline(row: Any, calendar: WorkingCalendar, today: date) -> Deadline:
    complete = row["approved"] == row["inspections"]
    completed_on = _date(row["last_approved"]) if complete else None
    published_on = _date(row["last_published"])
    return Deadline(
        key=row["key"],
        kind=DeadlineKind(row["kind"]),
        department=row["department"],
        year=row["year"],
        end_date=date.fromisoformat(row["end_date"]),
        inspections=row["inspections"],
        approved=row["approved"],
        published=row["published"],
        open=row["inspections"] - row["approved"],
        completed_on=completed_on,
        working_days=row["working_days"],
        published_on=published_on,
        assessment=assess(
            calendar,
            today,
            completed_on=completed_on,
            days=row["working_days"],
            all_published=row["published"] == row["inspections"],
            published_on=published_on,
        ),
    )


async def deadlines(
    conn: asyncpg.Connection | asyncpg.Pool,
    calendar: WorkingCalendar,
    today: date,
    *,
    after: str | None,
    limit: int,
    department: str | None = None,
    year: int | None = None,
    statuses: frozenset[PublicationStatus] | None = None,
    complete: bool | None = None,
    ended_before: date | None = None,
    kind: DeadlineKind | None = None,
    keys: list[str] | None = None,
) -> list[Deadline]:
    """Up to ``limit`` deadlines by key after ``after``, filtered (``statuses`` in Python, the
    rest in SQL)."""
    out: list[Deadline] = []
    cursor = after
    while len(out) < limit:
        rows = await conn.fetch(
            _ROWS,
            cursor,
            department,
            year,
            complete,
            ended_before.isoformat() if ended_before else None,
            kind.value if kind else None,
            keys,
            BATCH,
        )
        for r in rows:
            d = _deadline(r, calendar, today)
            if statuses is None or d.assessment.status in statuses:
                out.append(d)
                if len(out) == limit:
                    break
        if len(rows) < BATCH:
            break
        cursor = rows[-1]["key"]
    return out


_UNPUBLISHED = """
SELECT id, task_id, departments[1] AS department, subject_key, lifecycle
  FROM inspections
 WHERE published_on IS NULL AND (task_id = ANY($1::text[]) OR id = ANY($1::text[]))
 ORDER BY id
"""


async def overdue_inspections(
    conn: asyncpg.Connection | asyncpg.Pool,
    calendar: WorkingCalendar,
    today: date,
    *,
    department: str | None,
) -> list[OverdueInspection]:
    """Every unpublished inspection of an OVERDUE task or case, by inspection id."""
    overdue: dict[str, Deadline] = {}
    after: str | None = None
    while True:
        page = await deadlines(
            conn,
            calendar,
            today,
            after=after,
            limit=BATCH,
            department=department,
            statuses=frozenset({PublicationStatus.OVERDUE}),
            complete=True,
        )
        overdue.update((d.key, d) for d in page)
        if len(page) < BATCH:
            break
        after = page[-1].key
    if not overdue:
        return []
    rows = await conn.fetch(_UNPUBLISHED, list(overdue))
    return [
        OverdueInspection(
            inspection_id=r["id"],
            task_id=r["task_id"],
            department=r["department"],
            subject=r["subject_key"],
            lifecycle=r["lifecycle"],
            deadline=overdue[r["task_id"] or r["id"]],
        )
        for r in rows
    ]
