"""检查 Inspections: the ``inspections`` read table, its two projections and its read SQL; and
the name of ``inspection_records``, the inspection aggregate's state table.

Two read models for one idea, on purpose (kept apart by issue 14, item 3):

* ``inspections`` (:data:`TABLE`): one relational row per inspection, drawn or case, with
  indexed columns (subject, task and draw, team and ``staff``, dates, lifecycle, result codes).
  It is what SQL reads across inspections: the draw's exclusions, rotation and workloads,
  publication deadlines, statistics, the keyset pages and their filters, who may read an
  evidence file.  A drawn inspection has its row from ``DrawExecuted`` on, before its own
  stream has any event, so it is fed by two projections: :class:`InspectionsProjection`
  (the draw's outcome: team, dates) and :class:`InspectionLifecycleProjection` (origin, case
  rows, lifecycle columns); rebuild them together, in catalog order.
* ``inspection_records`` (:data:`RECORDS`): the inspection aggregate's whole folded state (a
  state table, :class:`~spotcheck.projections.state_table.StateTableProjection`): results,
  amendments, who approved and published; read by key only, for the details of a record.

Their GraphQL types stay apart for the same reason: ``Inspection`` (api/draws) is public
(一公开: the drawn subject and its team, as the transcript names them) and reads
``inspections`` only; ``InspectionRecord`` (api/inspections) is staff-only, with results shown
by department, and reads both.  Merging them would put staff-only fields on a public type or
drop a public field (a breaking schema change for every frontend), and merging the tables
would make one table the output of three projections with different keys and write patterns,
for no reader that needs it.  See docs/architecture.md ("Layers and read models").
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import asyncpg

from spotcheck.domain import draw as d
from spotcheck.domain import inspection as i
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.projections.state_tables import TASKS

TABLE = "inspections"
RECORDS = "inspection_records"
"""The inspection aggregate's state table (whole state, by key)."""

OPEN = d.InspectionStatus.ASSIGNED.value
"""Inspections that count towards an inspector's workload (load)."""

# Reading
DRAWN = f"(SELECT * FROM {TABLE} WHERE task_id IS NOT NULL) AS {TABLE}"
"""Drawn inspections only: case inspections (个案, no task) are read through inspectionRecords."""
DRAWN_COLUMNS = (
    "id, task_id, draw_no, subject_key, items, departments, lead, officers, experts,"
    " start_date, end_date, status"
)
"""The columns of a drawn inspection as the draw made it (the public ``Inspection``)."""
RECORD_COLUMNS = (
    "id, task_id, draw_no, subject_key, items, departments, lead, officers, experts,"
    " start_date, end_date, origin, lifecycle, scheduled_on, inspected_on, approved_on,"
    " published_on, case_source, case_reference"
)
"""The columns of an inspection with its lifecycle (``InspectionRecord``)."""
SELECT_DRAWN = f"SELECT {DRAWN_COLUMNS} FROM {DRAWN}"
SELECT_RECORDS = f"SELECT {RECORD_COLUMNS} FROM {TABLE}"
TEAM = f"SELECT lead, officers, experts FROM {TABLE} WHERE id = $1"


# The inspections read table
# One statement, in the database: the outcome's assignments become rows without a round trip
# through Python (the blob is in the same database, written in the same transaction).
# MATERIALIZED, so that the blob is parsed once, not once per row.  The rows go in by id: the
# btree indexes whose keys follow the id (the key, (subject_key, …), (lifecycle, id)) then
# take them in order, one leaf after the other, rather than at random places: 50,000
# rows of one draw went in 15-25% faster (issue 18).  They are sorted by subject: the id is
# the draw's prefix and the subject, so that is the same order on a shorter key.  Index upkeep
# is most of the statement's time (2/3 with the secondary indexes; inspections_origin is
# partial since 20261227093000 and leaves RANDOM rows out); a COPY of the same
# rows from Python was no faster, and neither was an INSERT from arrays built in Python (the
# server's share halves, but building and sending the arrays costs the client as much).
# jsonb_to_recordset turns each assignment into a row, its JSON arrays into text[], in one
# call: the same rows as an ARRAY(SELECT jsonb_array_elements_text(…)) per array, in 0.61-0.67 s
# against 0.66-0.79 s for the bench's 50,000 (four runs each, rolled back, on one database).
_INSERT_INSPECTIONS = """
WITH o AS MATERIALIZED (
  SELECT convert_from(content, 'UTF8')::jsonb AS o FROM draw_blobs WHERE digest = $1
), draw AS MATERIALIZED (
  SELECT o->>'task' AS task, (o->>'number')::integer AS number,
         ARRAY(SELECT jsonb_array_elements_text(o->'items')) AS items,
         ARRAY(SELECT jsonb_array_elements_text(o->'departments')) AS departments,
         o->>'start' AS start_date, o->>'end' AS end_date, o->'assignments' AS assignments
    FROM o
)
INSERT INTO inspections (id, task_id, draw_no, subject_key, items, departments, lead,
                         officers, experts, start_date, end_date, status, created_at,
                         updated_at)
SELECT draw.task || '/' || draw.number || '/' || a.subject, draw.task, draw.number,
       a.subject, draw.items, draw.departments, a.lead, a.officers, a.experts,
       draw.start_date, draw.end_date, $2, $3, $3
  FROM draw CROSS JOIN LATERAL jsonb_to_recordset(draw.assignments)
       AS a(subject text, lead text, officers text[], experts text[])
 ORDER BY a.subject
"""
_WORK_MEM = "SELECT set_config('work_mem', '64MB', true)"
"""For the rest of the transaction: the two CTEs (the outcome's JSON, 14 MB for 50,000 rows)
and the sort fit in memory rather than going through temporary files under the default 4 MB
(EXPLAIN ANALYZE on the bench's draw: 34 MB written to temporary files and read back)."""


_HEX64 = re.compile(r"[0-9a-f]{64}")
_AHEAD: ContextVar[set[str] | None] = ContextVar("inspections_written_ahead", default=None)


@contextlib.contextmanager
def rows_written_ahead() -> Iterator[set[str]]:
    """For executeDraw: the outcome digests whose rows :func:`write_rows_ahead` wrote in this
    command's transaction; :class:`InspectionsProjection` then leaves their DrawExecuted alone.
    Cleared by the caller at each attempt of the command (a retry runs a new transaction)."""
    written: set[str] = set()
    token = _AHEAD.set(written)
    try:
        yield written
    finally:
        _AHEAD.reset(token)


async def write_rows_ahead(conn: asyncpg.Connection, outcome_digest: str) -> None:
    """The rows :class:`InspectionsProjection` makes of DrawExecuted, written by executeDraw
    before it returns the event, in the same transaction: the statement the projection runs,
    sent as one simple-protocol message (the digest checked and inlined, ``now()`` being the
    event's ``recorded_at``, the column default of ``events`` in the same transaction), so
    that the server works on it while the caller writes the transcript (run it as a task;
    nothing else may use ``conn`` until it is done).  Add the digest to
    :func:`rows_written_ahead`'s set once it is."""
    if not _HEX64.fullmatch(outcome_digest):
        raise ValueError(f"not a blob digest: {outcome_digest!r}")
    assert OPEN.isalpha()
    sql = (
        _INSERT_INSPECTIONS.replace("$1", f"'{outcome_digest}'")
        .replace("$2", f"'{OPEN}'")
        .replace("$3", "now()")
    )
    await conn.execute(f"{_WORK_MEM};\n{sql}")


class InspectionsProjection:
    """检查 one row per drawn subject with a team, of an executed draw that is not voided.

    DrawExecuted inserts the rows from the outcome it names (in ``draw_blobs``, turned into rows
    by one statement in the database); DrawVoided of an
    executed draw deletes them; InspectorReplaced sets the team.  Unqualified table names, so a
    rebuild can replay the ledger into a scratch schema.
    """

    name = TABLE
    tables: tuple[str, ...] = (TABLE,)
    stream_prefixes: tuple[str, ...] = (d.SPEC.stream_prefix,)
    reads: tuple[str, ...] = ()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for e in events:
            if not d.SPEC.owns(e.stream_id):
                continue
            event = d.SPEC.decode(e.event_type, e.schema_version, e.data)
            if isinstance(event, d.DrawExecuted):
                ahead = _AHEAD.get()
                if ahead is not None and event.outcome_digest in ahead:
                    continue  # executeDraw wrote them (write_rows_ahead)
                await conn.execute(_WORK_MEM)
                await conn.execute(_INSERT_INSPECTIONS, event.outcome_digest, OPEN, e.recorded_at)
            elif isinstance(event, d.DrawVoided) and event.status is d.DrawStatus.EXECUTED:
                await conn.execute(
                    "DELETE FROM inspections WHERE task_id = $1 AND draw_no = $2",
                    d.SPEC.key_of(e.stream_id),
                    event.number,
                )
            elif isinstance(event, d.InspectorReplaced):
                await conn.execute(
                    "UPDATE inspections SET lead = $2, officers = $3, experts = $4,"
                    " updated_at = $5 WHERE id = $1",
                    d.inspection_id(d.SPEC.key_of(e.stream_id), event.number, event.subject),
                    event.lead,
                    event.officers,
                    event.experts,
                    e.recorded_at,
                )


# The inspections read table: lifecycle columns, and the rows of case inspections
_CASE_ROW = """
INSERT INTO inspections (id, task_id, draw_no, subject_key, items, departments, lead, officers,
                         experts, start_date, end_date, status, created_at, updated_at, origin,
                         lifecycle, case_source, case_reference)
VALUES ($1, NULL, NULL, $2, $3, $4, $5, $6, '{}', $7, $8, 'ASSIGNED', $9, $9, 'CASE',
        'ASSIGNED', $10, $11)
"""

# The task's kind is read once, as a condition on no row of inspections (a one-time filter):
# for any other task the draw's rows are not even read.  Joined to tasks, the plan walked the
# 50,000 rows of the bench's draw, one tasks lookup each, to update none (46 ms; issue 18).
_SPECIAL = """
UPDATE inspections i SET origin = 'SPECIAL'
 WHERE i.task_id = $1 AND i.draw_no = $2
   AND (SELECT t.state->>'kind' FROM tasks t WHERE t.id = $1) = 'SPECIAL'
"""


def _columns(state: i.Inspection) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "lifecycle": state.status.value,
        "scheduled_on": iso(state.scheduled_on),
        "inspected_on": iso(state.inspected_on),
        "approved_on": iso(state.approved_on),
        "published_on": iso(state.published_on),
        "result_codes": [r.code.value for r in state.results] if state.results else None,
    }


_STREAM = (
    "SELECT event_type, schema_version, data FROM events"
    " WHERE stream_id = $1 AND stream_version <= $2 ORDER BY stream_version"
)

_UPDATE = """
UPDATE inspections SET lifecycle = $2, scheduled_on = $3, inspected_on = $4, approved_on = $5,
       published_on = $6, result_codes = $7, updated_at = $8
 WHERE id = $1
"""


class InspectionLifecycleProjection:
    """Keeps the lifecycle columns of ``inspections`` in step with the inspection streams.

    * DrawExecuted (after the draws' own projection inserted the rows): origin SPECIAL for the
      rows of a task of kind SPECIAL (a task's kind is fixed once it is published).
    * CaseInspectionOpened: the case's row (origin CASE, no task, no draw).
    * every inspection event: lifecycle, dates and result codes from the folded state.

    The ``inspections`` table is fed by this projection and the draws'
    (:class:`InspectionsProjection`): rebuild the two together, in
    catalog order.  The whole state is in ``inspection_records`` (a state table).
    """

    name = "inspection_lifecycle"
    tables: tuple[str, ...] = (TABLE,)
    stream_prefixes: tuple[str, ...] = (d.SPEC.stream_prefix, i.SPEC.stream_prefix)
    reads: tuple[str, ...] = (TASKS,)  # a task's kind, for origin SPECIAL

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        last: dict[str, RecordedEvent] = {}
        for e in events:
            if d.SPEC.owns(e.stream_id) and e.event_type == d.DrawExecuted.__name__:
                await conn.execute(_SPECIAL, d.SPEC.key_of(e.stream_id), e.data["number"])
                continue
            if not i.SPEC.owns(e.stream_id):
                continue
            key = i.SPEC.key_of(e.stream_id)
            last[key] = e
            if e.event_type == i.CaseInspectionOpened.__name__:
                event = i.SPEC.decode(e.event_type, e.schema_version, e.data)
                assert isinstance(event, i.CaseInspectionOpened)
                await conn.execute(
                    _CASE_ROW,
                    key,
                    event.subject,
                    event.items,
                    event.departments,
                    event.officers[0] if event.officers else None,
                    event.officers,
                    event.start_date.isoformat(),
                    event.end_date.isoformat(),
                    e.recorded_at,
                    event.source.value,
                    event.reference,
                )
        for key, e in last.items():
            # The stream up to this event (the events table is the same in a rebuild).
            rows = await conn.fetch(_STREAM, e.stream_id, e.stream_version)
            state = i.SPEC.fold(
                i.SPEC.decode(r["event_type"], r["schema_version"], r["data"]) for r in rows
            )
            assert state is not None
            c = _columns(state)
            await conn.execute(
                _UPDATE,
                key,
                c["lifecycle"],
                c["scheduled_on"],
                c["inspected_on"],
                c["approved_on"],
                c["published_on"],
                c["result_codes"],
                e.recorded_at,
            )
