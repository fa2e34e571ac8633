"""一公开 read tables: published results, abnormal-operation proposals, follow-ups.

Each is fed from the inspection events (and the proposals also from the abnormal-listing
decisions) in the append transaction, uses unqualified table names, and gives the same tables
whether events come one batch at a time or all at once (a rebuild replays the ledger).

* :class:`PublicationsProjection` (``published_results``): a row per published inspection from
  ``InspectionResultsPublished``; an ``InspectionResultAmended`` that carries a record replaces
  it (the record holds the amendments, shown as amendments).
* :class:`AbnormalProposalsProjection` (``abnormal_operation_proposals``): a published record
  with an item coded 6 raises a PROPOSED row; before the decision, an amendment updates the
  items coded 6, WITHDRAWS the row when none is left, and proposes it again when code 6 comes
  back; the decision events of stream ``abnormal-{inspection id}`` set CONFIRMED or REJECTED,
  who and when.  After the decision amendments leave the row as decided.
* :class:`FollowUpsProjection` (``follow_ups``): for each inspection a batch touches with an event
  that changes results or their tracking, the inspection's state as of that event (its stream
  folded with the aggregate's own ``evolve``) gives one row per item with a follow-up other than
  NONE, once the results are approved.

The statements the API reads them with (a published result's columns, a proposal with its
subject's maintaining department, a follow-up with its state as of today) are here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import asyncpg
import orjson

from spotcheck.domain import abnormal_listing as al
from spotcheck.domain import inspection as ins
from spotcheck.domain.aggregate import Event, to_data
from spotcheck.eventstore.envelope import RecordedEvent
from spotcheck.projections.state_tables import SUBJECTS

PUBLISHED = "published_results"
PROPOSALS = "abnormal_operation_proposals"
FOLLOW_UPS = "follow_ups"


# Reading (the API's publication queries)
PUBLISHED_COLUMNS = "id, record, published_at, amendment_count"
"""A published result's columns, as ``PublishedInspection.from_row`` reads them."""

PROPOSAL_SELECT = (
    "SELECT a.id, a.subject_key, a.subject_name, a.uscc, a.departments, a.items, a.proposed_on,"
    " a.status, a.decided_by, a.decided_at, a.reason, a.removed_by, a.removed_at,"
    " a.removal_proof, s.maintaining_department"
    f" FROM {PROPOSALS} a LEFT JOIN {SUBJECTS} s ON s.id = a.subject_key"
)

# The state of a follow-up, in SQL, given today's Beijing date as ``{today}``.
FOLLOW_UP_STATE_SQL = """CASE
  WHEN kind = 'ORDER_TO_CORRECT' THEN CASE
    WHEN corrected THEN 'DONE' WHEN correct_by < {today} THEN 'OVERDUE' ELSE 'DUE' END
  WHEN kind IN ('CASE_TRANSFER', 'JUDICIAL_TRANSFER') THEN CASE
    WHEN transfer_status IN ('CLOSED', 'DECLINED') THEN 'DONE' ELSE 'DUE' END
  ELSE 'DONE' END"""


def follow_up_select(today_arg: str) -> str:
    state = FOLLOW_UP_STATE_SQL.format(today=today_arg)
    return f"SELECT * FROM (SELECT f.*, {state} AS state FROM {FOLLOW_UPS} f) x"


def record_json(record: ins.PublishedRecord) -> orjson.Fragment:
    return orjson.Fragment(orjson.dumps(to_data(record)))


def published_record(event: Event) -> ins.PublishedRecord | None:
    """The public record an inspection event makes public, if any."""
    if isinstance(event, ins.InspectionResultsPublished | ins.InspectionResultAmended):
        return event.record
    return None


_UPSERT_PUBLISHED = """
INSERT INTO published_results AS p (id, subject_key, uscc, subject_name, departments, origin,
    task_id, published_on, amendment_count, last_amended_on, record, published_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
ON CONFLICT (id) DO UPDATE SET
    subject_key = excluded.subject_key, uscc = excluded.uscc,
    subject_name = excluded.subject_name, departments = excluded.departments,
    origin = excluded.origin, task_id = excluded.task_id, published_on = excluded.published_on,
    amendment_count = excluded.amendment_count, last_amended_on = excluded.last_amended_on,
    record = excluded.record, updated_at = excluded.updated_at
"""


class PublicationsProjection:
    name = PUBLISHED
    tables: tuple[str, ...] = (PUBLISHED,)
    stream_prefixes: tuple[str, ...] = (ins.SPEC.stream_prefix,)
    reads: tuple[str, ...] = ()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for e in events:
            if not ins.SPEC.owns(e.stream_id):
                continue
            record = published_record(ins.SPEC.decode(e.event_type, e.schema_version, e.data))
            if record is None:
                continue
            last = record.amendments[-1].amended_on.isoformat() if record.amendments else None
            await conn.execute(
                _UPSERT_PUBLISHED,
                record.inspection_id,
                record.subject,
                record.uscc,
                record.subject_name,
                record.departments,
                record.origin.value,
                record.task_id,
                record.published_on.isoformat(),
                len(record.amendments),
                last,
                record_json(record),
                e.recorded_at,
            )


_PROPOSE = """
INSERT INTO abnormal_operation_proposals AS a (id, subject_key, uscc, subject_name, departments,
    items, proposed_on, proposed_at, status, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'PROPOSED', $8)
ON CONFLICT (id) DO UPDATE SET
    items = excluded.items,
    proposed_on = CASE a.status WHEN 'WITHDRAWN' THEN excluded.proposed_on ELSE a.proposed_on END,
    proposed_at = CASE a.status WHEN 'WITHDRAWN' THEN excluded.proposed_at ELSE a.proposed_at END,
    status = 'PROPOSED', updated_at = excluded.updated_at
WHERE a.status IN ('PROPOSED', 'WITHDRAWN')
"""
_WITHDRAW = """
UPDATE abnormal_operation_proposals SET status = 'WITHDRAWN', updated_at = $2
 WHERE id = $1 AND status = 'PROPOSED'
"""
_REMOVE = """
UPDATE abnormal_operation_proposals
   SET status = 'REMOVED', removed_by = $2, removed_at = $3, removal_proof = $4, updated_at = $3
 WHERE id = $1
"""
_DECIDE = """
UPDATE abnormal_operation_proposals
   SET status = $2, decided_by = $3, decided_at = $4, reason = $5, updated_at = $4
 WHERE id = $1
"""


class AbnormalProposalsProjection:
    name = PROPOSALS
    tables: tuple[str, ...] = (PROPOSALS,)
    stream_prefixes: tuple[str, ...] = (ins.SPEC.stream_prefix, al.SPEC.stream_prefix)
    reads: tuple[str, ...] = ()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for e in events:
            if ins.SPEC.owns(e.stream_id):
                await self._inspection(conn, e)
            elif al.SPEC.owns(e.stream_id):
                event = al.SPEC.decode(e.event_type, e.schema_version, e.data)
                if isinstance(event, al.AbnormalListingRemoved):
                    proof = f"{event.verified_on} 核实：{event.reason}"
                    await conn.execute(
                        _REMOVE, event.inspection_id, event.removed_by, e.recorded_at, proof
                    )
                    continue
                state = al.evolve(None, event)
                await conn.execute(
                    _DECIDE,
                    state.inspection_id,
                    state.status.value,
                    state.decided_by,
                    e.recorded_at,
                    state.reason,
                )

    async def _inspection(self, conn: asyncpg.Connection, e: RecordedEvent) -> None:
        event = ins.SPEC.decode(e.event_type, e.schema_version, e.data)
        record = published_record(event)
        if record is None:
            return
        items = al.unreachable_items(record)
        if not items:
            await conn.execute(_WITHDRAW, record.inspection_id, e.recorded_at)
            return
        day = (
            record.amendments[-1].amended_on
            if isinstance(event, ins.InspectionResultAmended) and record.amendments
            else record.published_on
        )
        await conn.execute(
            _PROPOSE,
            record.inspection_id,
            record.subject,
            record.uscc,
            record.subject_name,
            record.departments,
            items,
            day.isoformat(),
            e.recorded_at,
        )


# The events after which an inspection's follow-ups may differ.
_FOLLOW_UP_EVENTS = frozenset(
    {
        ins.InspectionResultsApproved.__name__,
        ins.InspectionResultAmended.__name__,
        ins.CorrectionRechecked.__name__,
        ins.CaseTransferUpdated.__name__,
    }
)
_STREAM = """
SELECT event_type, schema_version, data FROM events WHERE stream_id = $1 AND stream_version <= $2
 ORDER BY stream_version
"""
_INSERT_FOLLOW_UPS = """
INSERT INTO follow_ups (id, inspection_id, item, subject_key, origin, task_id, departments,
    kind, code, correct_by, receiving_body, notify_department, description, rechecked_on,
    corrected, recheck_note, transfer_status, transfer_note, approved_on, updated_at)
SELECT u.item_key, $1, u.item, $2, $3, $4, $5, u.kind, u.code, u.correct_by, u.receiving_body,
       u.notify_department, u.description, u.rechecked_on, u.corrected, u.recheck_note,
       u.transfer_status, u.transfer_note, $6, $7
  FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
              $14::text[], $15::text[], $16::text[], $17::boolean[], $18::text[], $19::text[],
              $20::text[])
    AS u(item_key, item, kind, code, correct_by, receiving_body, notify_department,
         description, rechecked_on, corrected, recheck_note, transfer_status, transfer_note)
"""


def follow_up_id(inspection_id: str, item: str) -> str:
    return f"{inspection_id}#{item}"


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _status(value: ins.TransferStatus | None) -> str | None:
    return value.value if value is not None else None


class FollowUpsProjection:
    name = FOLLOW_UPS
    tables: tuple[str, ...] = (FOLLOW_UPS,)
    stream_prefixes: tuple[str, ...] = (ins.SPEC.stream_prefix,)
    reads: tuple[str, ...] = ()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # The last relevant event of each inspection in the batch: its state as of that event.
        last: dict[str, tuple[int, datetime]] = {}
        for e in events:
            if ins.SPEC.owns(e.stream_id) and e.event_type in _FOLLOW_UP_EVENTS:
                last[e.stream_id] = (e.stream_version, e.recorded_at)
        for stream_id, (version, at) in last.items():
            rows = await conn.fetch(_STREAM, stream_id, version)
            state = ins.SPEC.fold(
                ins.SPEC.decode(r["event_type"], r["schema_version"], r["data"]) for r in rows
            )
            if state is not None:
                await self._write(conn, state, at)

    async def _write(self, conn: asyncpg.Connection, state: ins.Inspection, at: datetime) -> None:
        await conn.execute("DELETE FROM follow_ups WHERE inspection_id = $1", state.inspection_id)
        results = [r for r in state.results if r.follow_up.kind is not ins.FollowUpKind.NONE]
        if state.approved_on is None or not results:
            return
        f = [r.follow_up for r in results]
        await conn.execute(
            _INSERT_FOLLOW_UPS,
            state.inspection_id,
            state.subject,
            state.origin.value,
            state.task_id,
            state.departments,
            state.approved_on.isoformat(),
            at,
            [follow_up_id(state.inspection_id, r.item) for r in results],
            [r.item for r in results],
            [x.kind.value for x in f],
            [r.code.value for r in results],
            [_iso(x.correct_by) for x in f],
            [x.receiving_body for x in f],
            [x.notify_department for x in f],
            [x.description for x in f],
            [_iso(x.rechecked_on) for x in f],
            [x.corrected for x in f],
            [x.recheck_note for x in f],
            [_status(x.transfer_status) for x in f],
            [x.transfer_note for x in f],
        )
