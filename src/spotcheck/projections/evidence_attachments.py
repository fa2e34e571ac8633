"""The ``evidence_attachments`` read table: which inspections' results reference which evidence
file (read by ``spotcheck.services.evidence`` to decide who may read a file).  An objection
(异议) registered with attachments attaches them to the inspection it objects to: the files are
then never collected and the inspection's departments, which answer, may read them."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from spotcheck.domain import inspection as i
from spotcheck.domain import objection as ob
from spotcheck.eventstore.envelope import RecordedEvent

TABLE = "evidence_attachments"


class EvidenceAttachmentsProjection:
    """``evidence_attachments``: one row per (file, inspection) for every evidence file that a
    submitted or amended result references; never removed (what an event referenced stays
    referenced)."""

    name = TABLE
    tables: tuple[str, ...] = (TABLE,)
    stream_prefixes: tuple[str, ...] = (ob.SPEC.stream_prefix, i.SPEC.stream_prefix)
    reads: tuple[str, ...] = ()

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        rows: list[tuple[str, str, object]] = []
        for ev in events:
            if ev.event_type == ob.ObjectionFiled.__name__ and ob.SPEC.owns(ev.stream_id):
                filed = ob.SPEC.decode(ev.event_type, ev.schema_version, ev.data)
                assert isinstance(filed, ob.ObjectionFiled)
                rows.extend(
                    (a.sha256, filed.inspection_id, ev.recorded_at) for a in filed.attachments
                )
                continue
            if not i.SPEC.owns(ev.stream_id):
                continue
            if ev.event_type == i.InspectionResultsSubmitted.__name__:
                results = list(i.SPEC.decode(ev.event_type, ev.schema_version, ev.data).results)  # type: ignore[attr-defined]
            elif ev.event_type == i.InspectionResultAmended.__name__:
                results = [i.SPEC.decode(ev.event_type, ev.schema_version, ev.data).after]  # type: ignore[attr-defined]
            else:
                continue
            key = i.SPEC.key_of(ev.stream_id)
            rows.extend((x.sha256, key, ev.recorded_at) for r in results for x in r.evidence)
        if rows:
            await conn.executemany(
                "INSERT INTO evidence_attachments (sha256, inspection_id, attached_at)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                rows,
            )
