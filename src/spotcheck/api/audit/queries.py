"""审计 Audit queries over the sealed ledger: ``auditLog``, ``history``, ``asOf``.

AUDITOR and SYSTEM_ADMIN only; anyone else gets a GraphQL error with ``extensions.code``
UNAUTHENTICATED (the public) or FORBIDDEN.  They read the ledger and the events, never the
read tables (services/auditlog.py).
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.relay.types import GlobalID, GlobalIDValueError

from spotcheck.api.audit.types import AuditLogEntry, AuditLogFilter, EntityStateAsOf
from spotcheck.api.common.errors import query_error
from spotcheck.api.common.pagination import Connection, connection, decode_cursor, page_size
from spotcheck.api.context import Context
from spotcheck.api.scalars import SafeInt
from spotcheck.domain import (
    account,
    department,
    draw,
    inspection,
    inspector,
    item,
    item_list,
    plan,
    subject,
    task,
)
from spotcheck.domain.aggregate import AggregateSpec
from spotcheck.domain.errors import ErrorCode
from spotcheck.domain.jointmeeting import action_item, meeting
from spotcheck.eventstore.canonical import MAX_SAFE_INTEGER
from spotcheck.services import auditlog
from spotcheck.services.catalog import AGGREGATES, PROJECTED

MAX_TEXT = 200

# Node types whose global id names an aggregate's stream: (aggregate, stream key from node key).
NODE_STREAMS: dict[str, tuple[AggregateSpec[Any], Any]] = {
    "Department": (department.SPEC, None),
    "Account": (account.SPEC, None),
    "InspectionItem": (item.SPEC, None),
    "Inspector": (inspector.SPEC, None),
    "Subject": (subject.SPEC, None),
    "AnnualPlan": (plan.SPEC, None),
    "InspectionTask": (task.SPEC, None),
    "Draw": (draw.SPEC, lambda key: key.rpartition("/")[0]),  # {task}/{number}: the task's draws
    "ItemList": (item_list.SPEC, lambda _key: "district"),  # every list is one stream
    "Inspection": (inspection.SPEC, None),
    "InspectionRecord": (inspection.SPEC, None),
    "Meeting": (meeting.SPEC, None),
    "ActionItem": (action_item.SPEC, None),
}


def _specs() -> list[AggregateSpec[Any]]:
    seen: dict[str, AggregateSpec[Any]] = {}
    for spec, _ in (*AGGREGATES, *PROJECTED):
        seen.setdefault(spec.stream_prefix, spec)
    return list(seen.values())


def require_auditor(info: strawberry.Info[Context, None]) -> None:
    actor = info.context.actor
    if actor.is_public:
        raise query_error(ErrorCode.UNAUTHENTICATED, None, "sign in as an auditor")
    if not actor.reads_everything:
        raise query_error(
            ErrorCode.FORBIDDEN, None, "only an AUDITOR or SYSTEM_ADMIN reads the audit log"
        )


def _text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not 1 <= len(value) <= MAX_TEXT:
        raise query_error(ErrorCode.OUT_OF_RANGE, field, f"{field} has 1 to {MAX_TEXT} characters")
    return value


def _log_filter(f: AuditLogFilter | None) -> auditlog.LogFilter:
    if f is None:
        return auditlog.LogFilter()
    for lo, hi, name in (
        (f.recorded_from, f.recorded_before, "filter.recordedBefore"),
        (f.sealed_from, f.sealed_before, "filter.sealedBefore"),
    ):
        if lo is not None and hi is not None and hi <= lo:
            raise query_error(ErrorCode.INVALID_DATE_RANGE, name, "must be after the start")
    for value, name in (
        (f.from_position, "filter.fromPosition"),
        (f.to_position, "filter.toPosition"),
    ):
        if value is not None and value < 1:
            raise query_error(ErrorCode.OUT_OF_RANGE, name, "a ledger position is at least 1")
    if f.from_position is not None and f.to_position is not None:
        if f.to_position < f.from_position:
            raise query_error(
                ErrorCode.OUT_OF_RANGE, "filter.toPosition", "must not be before fromPosition"
            )
    subject_key = _text(f.subject, "filter.subject")
    return auditlog.LogFilter(
        stream=_text(f.stream, "filter.stream"),
        stream_prefix=_text(f.stream_prefix, "filter.streamPrefix"),
        subject=subject.normalise_key(subject_key) if subject_key is not None else None,
        task=_text(f.task, "filter.task"),
        inspector=_text(f.inspector, "filter.inspector"),
        event_type=_text(f.event_type, "filter.eventType"),
        actor=_text(f.actor, "filter.actor"),
        department=_text(f.department, "filter.department"),
        recorded_from=f.recorded_from,
        recorded_before=f.recorded_before,
        sealed_from=f.sealed_from,
        sealed_before=f.sealed_before,
        from_position=f.from_position,
        to_position=f.to_position,
    )


def _after(after: str | None) -> int:
    key = decode_cursor(after)
    if key is None:
        return 0
    if not key.isdigit() or int(key) > MAX_SAFE_INTEGER:
        raise query_error(ErrorCode.INVALID_FORMAT, "after", "not a cursor of this list")
    return int(key)


def resolve_stream(value: str) -> tuple[AggregateSpec[Any], str]:
    """A global Node id or a stream id → (its aggregate, the stream id)."""
    value = value.strip()
    specs = _specs()
    spec = auditlog.spec_for_stream(specs, value)
    if spec is not None:
        return spec, value
    try:
        gid = GlobalID.from_id(value)
    except GlobalIDValueError:
        gid = None
    if gid is not None:
        found = NODE_STREAMS.get(gid.type_name)
        if found is not None:
            spec, to_key = found
            key = to_key(gid.node_id) if to_key is not None else gid.node_id
            if key:
                return spec, spec.stream_id(key)
        raise query_error(
            ErrorCode.INVALID_ID,
            "id",
            f"a {gid.type_name} has no event stream of its own; pass a stream id",
        )
    raise query_error(
        ErrorCode.INVALID_ID, "id", "neither a global id nor a stream id of a known aggregate"
    )


@strawberry.type
class AuditQueries:
    @strawberry.field(
        description=(
            "审计日志 The sealed ledger with each event's envelope, content hash and chain hash, "
            "in ledger order, filtered. AUDITOR and SYSTEM_ADMIN only."
        )
    )
    async def audit_log(
        self,
        info: strawberry.Info[Context, None],
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditLogEntry] | None:
        require_auditor(info)
        limit = page_size(first)
        rows = await auditlog.read_log(
            info.context.pool, _log_filter(filter), _after(after), limit + 1
        )
        return connection([(str(r.position), AuditLogEntry.from_entry(r)) for r in rows], limit)

    @strawberry.field(
        description=(
            "历史 Every sealed event of one entity (a global id, or a stream id such as "
            "`subject-…`), in ledger order. AUDITOR and SYSTEM_ADMIN only."
        )
    )
    async def history(
        self,
        info: strawberry.Info[Context, None],
        id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditLogEntry] | None:
        require_auditor(info)
        _, stream_id = resolve_stream(str(id))
        limit = page_size(first)
        rows = await auditlog.read_log(
            info.context.pool, auditlog.LogFilter(stream=stream_id), _after(after), limit + 1
        )
        return connection([(str(r.position), AuditLogEntry.from_entry(r)) for r in rows], limit)

    @strawberry.field(
        description=(
            "时间回溯 An entity's state folded from its own events up to a ledger position "
            "(inclusive). AUDITOR and SYSTEM_ADMIN only."
        )
    )
    async def as_of(
        self, info: strawberry.Info[Context, None], id: strawberry.ID, position: SafeInt
    ) -> EntityStateAsOf | None:
        require_auditor(info)
        if position < 0:
            raise query_error(ErrorCode.OUT_OF_RANGE, "position", "a position is at least 0")
        spec, stream_id = resolve_stream(str(id))
        state = await auditlog.state_as_of(info.context.pool, spec, stream_id, position)
        return EntityStateAsOf.from_state(state)
