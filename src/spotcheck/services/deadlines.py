"""公示时限 Publication deadlines: results are published within N working days of completion.

A task (抽查任务) is complete (完成) when every inspection of its current draw (the rows of
table ``inspections``: an executed draw that was not voided) has approved results; its
completion date is the latest approval date (``approved_on``, a Beijing date).  A case
inspection (个案) is complete when it is approved.  Its results must be published within the
plan's ``publication_working_days`` (20 by default; case inspections always 20) working days
of that date (``add_working_days``: the completion day itself is not counted, the deadline day
is still in time).

The deadline is computed when asked, over the holiday schedules known then, so publishing a
later year's schedule makes a deadline computable that was not.  When it is not computable the
deadline is null and ``problem_year`` names the year without a schedule; the status is still
given when it is certain without the exact deadline (the deadline is at least 1 January of that
year), else UNDETERMINED.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from spotcheck.domain.calendar import NoHolidaySchedule, WorkingCalendar
from spotcheck.domain.plan import DEFAULT_PUBLICATION_WORKING_DAYS
from spotcheck.services.holiday_schedules import published_schedules


async def load_calendar(conn: asyncpg.Connection | asyncpg.Pool) -> WorkingCalendar:
    """The package's schedules with every published one (which wins for its year)."""
    return WorkingCalendar.build(s.to_year_schedule() for s in await published_schedules(conn))


def publication_deadline(calendar: WorkingCalendar, completed_on: date, days: int) -> date:
    """The last day to publish: the ``days``-th working day after ``completed_on``.  Raises
    ``NoHolidaySchedule`` (NO_HOLIDAY_SCHEDULE, naming the year) when a year is missing."""
    return calendar.add_working_days(completed_on, days)


class PublicationStatus(enum.Enum):
    """公示状态 Where a task's (or case inspection's) publication stands against its deadline."""

    NOT_COMPLETE = "NOT_COMPLETE"
    """未完成 Not every inspection has approved results yet: no deadline runs."""
    DUE = "DUE"
    """待公示 Complete, not all published, deadline not passed."""
    OVERDUE = "OVERDUE"
    """逾期未公示 Complete, not all published, deadline passed."""
    ON_TIME = "ON_TIME"
    """按时公示 Every inspection published by the deadline."""
    LATE = "LATE"
    """逾期公示 Every inspection published, the last after the deadline."""
    UNDETERMINED = "UNDETERMINED"
    """无法判定 The deadline runs into a year without a holiday schedule and the answer depends
    on it (see ``problem_year``)."""


@dataclass(frozen=True)
class Assessment:
    deadline: date | None
    problem_year: int | None
    status: PublicationStatus


def assess(
    calendar: WorkingCalendar,
    today: date,
    *,
    completed_on: date | None,
    days: int,
    all_published: bool,
    published_on: date | None,
) -> Assessment:
    """The deadline and status; ``completed_on`` None means not complete."""
    if completed_on is None:
        return Assessment(None, None, PublicationStatus.NOT_COMPLETE)
    try:
        deadline = publication_deadline(calendar, completed_on, days)
    except NoHolidaySchedule as missing:
        # Every day before that year was counted without reaching ``days``: the deadline is
        # on or after its 1 January.  Decide only what that settles.
        earliest = date(missing.year, 1, 1)
        if all_published and published_on is not None:
            status = (
                PublicationStatus.ON_TIME
                if published_on < earliest
                else PublicationStatus.UNDETERMINED
            )
        else:
            status = PublicationStatus.DUE if today < earliest else PublicationStatus.UNDETERMINED
        return Assessment(None, missing.year, status)
    if all_published and published_on is not None:
        late = published_on > deadline
        return Assessment(
            deadline, None, PublicationStatus.LATE if late else PublicationStatus.ON_TIME
        )
    overdue = today > deadline
    return Assessment(
        deadline, None, PublicationStatus.OVERDUE if overdue else PublicationStatus.DUE
    )


class DeadlineKind(enum.Enum):
    TASK = "TASK"
    """抽查任务 A task's inspections, published together."""
    CASE_INSPECTION = "CASE_INSPECTION"
    """个案检查 One case inspection."""


@dataclass(frozen=True)
class Deadline:
    """One task's (or case inspection's) publication deadline, as of ``today``."""

    key: str
    """The task id, or the case inspection's id."""
    kind: DeadlineKind
    department: str
    """牵头部门 The lead department, which approves and publishes."""
    year: int
    end_date: date
    inspections: int
    approved: int
    published: int
    open: int
    """Inspections without approved results."""
    completed_on: date | None
    working_days: int
    published_on: date | None
    """The latest publication date among its inspections (null if none is published)."""
    assessment: Assessment

    @property
    def task_id(self) -> str | None:
        return self.key if self.kind is DeadlineKind.TASK else None

    @property
    def inspection_id(self) -> str | None:
        return self.key if self.kind is DeadlineKind.CASE_INSPECTION else None


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


@dataclass(frozen=True)
class OverdueInspection:
    """An inspection not yet published whose task (or itself, for a case) is past its deadline."""

    inspection_id: str
    task_id: str | None
    department: str
    subject: str
    lifecycle: str
    deadline: Deadline


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
