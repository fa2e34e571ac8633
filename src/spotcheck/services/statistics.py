"""统计 Statistics per year and department, read from the read tables: the SQL reads them in one
REPEATABLE READ snapshot and returns grouped counts (``Facts``); what each figure means and the
arithmetic (``aggregate``, pure) are in ``spotcheck.domain.statistics``.
"""

from __future__ import annotations

from datetime import date

import asyncpg

from spotcheck.clock import beijing_today
from spotcheck.domain.deadlines import publication_deadline
from spotcheck.domain.inspection import InspectionOrigin, ResultCode
from spotcheck.domain.statistics import (
    DEFAULT_PUBLICATION_WORKING_DAYS,
    DRAWN_ORIGINS,
    CodeCount,
    DrawPopulation,
    Facts,
    InspectionGroup,
    ItemGroup,
    JointCount,
    RepeatRow,
    RiskClassFigure,
    StratumCount,
    WorkloadRow,
    YearFigures,
    aggregate,
    check_arguments,
    origin_of_task,
    risk_class_figures,
)
from spotcheck.services import refs
from spotcheck.services.deadlines import load_calendar


# Reading the facts (SQL over the read tables)
def year_bounds(year: int) -> tuple[str, str]:
    """ISO text bounds: ``start_date >= lo AND start_date < hi`` (ISO dates compare as text)."""
    return f"{year:04d}-01-01", f"{year + 1:04d}-01-01"


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# The year's inspections with their lead department.  Completion: a task is complete when every
# inspection of its current draw (the rows of the task: a voided draw's rows are deleted) is
# approved, on the latest approval date; a case on its own approval date.
_YEAR = """
WITH y AS MATERIALIZED (
  SELECT i.id, i.task_id, i.subject_key, i.items, i.departments, i.departments[1] AS dept,
         i.origin, i.lead, i.staff, i.inspected_on, i.approved_on, i.published_on,
         i.result_codes
    FROM inspections i
   WHERE i.start_date >= $1 AND i.start_date < $2
)
"""

_INSPECTIONS = (
    _YEAR
    + """
, done AS (
  SELECT task_id, bool_and(approved_on IS NOT NULL) AS complete, max(approved_on) AS completed_on
    FROM y WHERE task_id IS NOT NULL GROUP BY task_id
)
SELECT y.dept, y.origin,
       CASE WHEN y.task_id IS NULL THEN y.approved_on
            WHEN done.complete AND t.status <> 'CANCELLED' THEN done.completed_on
       END AS completed_on,
       coalesce((p.state->>'publication_working_days')::integer, $3) AS days,
       y.inspected_on IS NOT NULL AS inspected, y.approved_on IS NOT NULL AS approved,
       y.published_on, count(*) AS n
  FROM y
  LEFT JOIN done ON done.task_id = y.task_id
  LEFT JOIN tasks t ON t.id = y.task_id
  LEFT JOIN plans p ON p.id = t.plan_id
 GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
)
YEAR_INSPECTIONS = _YEAR
"""The CTE ``y``: the inspections starting in [$1, $2), with their lead department ``dept``
(the annual report's rows start from it too)."""

_ITEMS = (
    _YEAR
    + """
SELECT y.dept, y.origin, u.item, count(*) AS inspections,
       count(*) FILTER (WHERE y.inspected_on IS NOT NULL) AS inspected,
       count(DISTINCT y.subject_key) FILTER (WHERE y.inspected_on IS NOT NULL) AS subjects
  FROM y CROSS JOIN LATERAL unnest(y.items) AS u(item)
 GROUP BY 1, 2, 3
"""
)

_CODES = (
    _YEAR
    + """
SELECT y.dept, y.origin, c.code, count(*) AS n
  FROM y CROSS JOIN LATERAL unnest(y.result_codes) AS c(code)
 WHERE y.inspected_on IS NOT NULL
 GROUP BY 1, 2, 3
"""
)

_JOINT = (
    _YEAR
    + """
SELECT p.dept, y.origin, count(*) AS n
  FROM y CROSS JOIN LATERAL unnest(y.departments[2:]) AS p(dept)
 GROUP BY 1, 2
"""
)

_WORKLOAD = (
    _YEAR
    + """
SELECT u.staff_id, r.department, y.origin, count(*) AS assigned,
       count(*) FILTER (WHERE y.inspected_on IS NOT NULL) AS done,
       count(*) FILTER (WHERE y.lead = u.staff_id) AS as_lead
  FROM y CROSS JOIN LATERAL unnest(y.staff) AS u(staff_id)
  LEFT JOIN inspectors r ON r.id = u.staff_id
 GROUP BY 1, 2, 3
"""
)

# Per (lead department, subject) and per subject alone (the district): RANDOM and SPECIAL
# inspections only.
_REPEATS = (
    _YEAR
    + """
, per AS (
  SELECT CASE WHEN grouping(y.dept) = 0 THEN y.dept END AS dept, y.subject_key, count(*) AS n
    FROM y WHERE y.origin = ANY($3::text[])
   GROUP BY GROUPING SETS ((y.dept, y.subject_key), (y.subject_key))
)
SELECT dept, count(*) AS subjects, count(*) FILTER (WHERE n > 1) AS repeated
  FROM per GROUP BY dept
"""
)

# The year's current draws (the last draw of a task, when it is executed: a voided draw is
# followed by a new one or is the last and VOIDED).
_DRAWS = """
SELECT t.department AS dept, t.state->>'kind' AS kind,
       ARRAY(SELECT jsonb_array_elements_text(c.draw->'items')) AS items,
       (SELECT coalesce(sum((s->>'size')::bigint), 0)
          FROM jsonb_array_elements(c.draw->'commit'->'strata') AS s) AS size
  FROM tasks t
  JOIN draws dr ON dr.id = t.id
  CROSS JOIN LATERAL (SELECT dr.state->'draws'->-1 AS draw) AS c
 WHERE t.start_date >= $1 AND t.start_date < $2 AND c.draw->>'status' = 'EXECUTED'
"""


# Per credit risk class: the year's executed draws (a voided draw's status is VOIDED) of tasks
# stratified by class, optionally of one lead department ($3).  Population and drawn are the
# committed strata's size and k; the inspected ones are the inspections of the stratum's picks
# (the stored outcome's selection) with results submitted.
_BY_CLASS = """
WITH d AS MATERIALIZED (
  SELECT t.id AS task, (c.draw->>'number')::integer AS number, c.draw
    FROM tasks t
    JOIN draws dr ON dr.id = t.id
    CROSS JOIN LATERAL jsonb_array_elements(dr.state->'draws') AS c(draw)
   WHERE t.start_date >= $1 AND t.start_date < $2
     AND (t.state->>'stratify_by_risk_class')::boolean
     AND c.draw->>'status' = 'EXECUTED'
     AND ($3::text IS NULL OR t.department = $3)
), strata AS (
  SELECT s->>'id' AS class, count(*) AS draws, sum((s->>'size')::bigint) AS population,
         sum((s->>'k')::bigint) AS drawn
    FROM d CROSS JOIN LATERAL jsonb_array_elements(d.draw->'commit'->'strata') AS s
   GROUP BY 1
), inspected AS (
  SELECT sel->>'stratum' AS class, count(*) AS n
    FROM d
    JOIN draw_blobs b ON b.digest = d.draw->>'outcome_digest'
    CROSS JOIN LATERAL jsonb_array_elements(
      convert_from(b.content, 'UTF8')::jsonb->'selection') AS sel
    CROSS JOIN LATERAL jsonb_array_elements_text(sel->'picks') AS p(subject)
    JOIN inspections i
      ON i.task_id = d.task AND i.draw_no = d.number AND i.subject_key = p.subject
   WHERE i.inspected_on IS NOT NULL
   GROUP BY 1
)
SELECT s.class, s.draws, s.population, s.drawn, coalesce(n.n, 0) AS inspected
  FROM strata s LEFT JOIN inspected n USING (class)
"""


async def risk_class_year(
    pool: asyncpg.Pool, year: int, department: str | None = None
) -> tuple[RiskClassFigure, ...]:
    """Per credit risk class A–D, the year's class-stratified draws (of ``department``'s
    tasks if given): population, drawn, inspected (``domain/statistics.py``)."""
    async with pool.acquire() as conn:
        check_arguments(year, department, await refs.department_codes(conn))
        rows = await conn.fetch(_BY_CLASS, *year_bounds(year), department)
    return risk_class_figures(
        StratumCount(r["class"], r["draws"], r["population"], r["drawn"], r["inspected"])
        for r in rows
    )


async def read_facts(pool: asyncpg.Pool, year: int) -> Facts:
    """The year's grouped counts, all from one snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await facts_in(conn, year)


async def facts_in(conn: asyncpg.Connection, year: int) -> Facts:
    """The year's grouped counts, read on ``conn``: in one snapshot when ``conn`` is in a
    REPEATABLE READ transaction (``read_facts``, the liaison report's figures)."""
    lo, hi = year_bounds(year)
    departments = tuple(r["id"] for r in await conn.fetch("SELECT id FROM departments"))
    registry = {
        r["d"]: r["n"]
        for r in await conn.fetch(
            "SELECT maintaining_department AS d, count(*) AS n FROM subjects"
            " WHERE maintaining_department IS NOT NULL GROUP BY 1"
        )
    }
    inspections = await conn.fetch(_INSPECTIONS, lo, hi, DEFAULT_PUBLICATION_WORKING_DAYS)
    draws = await conn.fetch(_DRAWS, lo, hi)
    items = await conn.fetch(_ITEMS, lo, hi)
    codes = await conn.fetch(_CODES, lo, hi)
    joint = await conn.fetch(_JOINT, lo, hi)
    workload = await conn.fetch(_WORKLOAD, lo, hi)
    repeats = await conn.fetch(_REPEATS, lo, hi, [o.value for o in DRAWN_ORIGINS])
    return Facts(
        departments=departments,
        registry=registry,
        inspections=tuple(
            InspectionGroup(
                department=r["dept"],
                origin=InspectionOrigin(r["origin"]),
                completed_on=_date(r["completed_on"]),
                days=r["days"],
                inspected=r["inspected"],
                approved=r["approved"],
                published_on=_date(r["published_on"]),
                count=r["n"],
            )
            for r in inspections
        ),
        draws=tuple(
            DrawPopulation(
                department=r["dept"],
                origin=origin_of_task(r["kind"]),
                items=tuple(r["items"]),
                size=r["size"],
            )
            for r in draws
        ),
        items=tuple(
            ItemGroup(
                department=r["dept"],
                origin=InspectionOrigin(r["origin"]),
                item=r["item"],
                inspections=r["inspections"],
                inspected=r["inspected"],
                subjects=r["subjects"],
            )
            for r in items
        ),
        codes=tuple(
            CodeCount(r["dept"], InspectionOrigin(r["origin"]), ResultCode(r["code"]), r["n"])
            for r in codes
        ),
        joint=tuple(JointCount(r["dept"], InspectionOrigin(r["origin"]), r["n"]) for r in joint),
        workload=tuple(
            WorkloadRow(
                staff_id=r["staff_id"],
                department=r["department"],
                origin=InspectionOrigin(r["origin"]),
                assigned=r["assigned"],
                done=r["done"],
                as_lead=r["as_lead"],
            )
            for r in workload
        ),
        repeats=tuple(RepeatRow(r["dept"], r["subjects"], r["repeated"]) for r in repeats),
    )


async def year_statistics(
    pool: asyncpg.Pool, year: int, department: str | None = None, today: date | None = None
) -> YearFigures:
    """The statistics of ``year`` as of ``today`` (Beijing date; default now): per department
    (only ``department`` if given) and for the district."""
    async with pool.acquire() as conn:
        check_arguments(year, department, await refs.department_codes(conn))
        calendar = await load_calendar(conn)
    facts = await read_facts(pool, year)
    return aggregate(
        facts,
        year,
        today or await beijing_today(pool),
        lambda completed_on, days: publication_deadline(calendar, completed_on, days),
        only=department,
    )
