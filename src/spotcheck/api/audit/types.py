from __future__ import annotations

import datetime as dt
from typing import cast

import strawberry
from strawberry.scalars import JSON

from spotcheck.api.scalars import SafeInt
from spotcheck.services.auditlog import LogEntry, StateAsOf


@strawberry.input(
    description=(
        "审计日志筛选 Filter for the audit log; every given condition must hold. What subject, "
        "task and inspector match is defined in docs/audit-log.md."
    )
)
class AuditLogFilter:
    stream: str | None = strawberry.field(default=None, description="事件流 One stream id.")
    stream_prefix: str | None = strawberry.field(
        default=None, description="Streams whose id starts with this, e.g. `subject-` (一类对象)."
    )
    subject: str | None = strawberry.field(
        default=None,
        description="检查对象 A subject's key: its stream, events naming it, its inspections, "
        "the draws that selected it.",
    )
    task: str | None = strawberry.field(
        default=None, description="抽查任务 A task id: its task, draw and inspection streams."
    )
    inspector: str | None = strawberry.field(
        default=None,
        description="执法检查人员 A staff id: the inspector's stream, events naming the staff id, "
        "the draws that assigned them.",
    )
    event_type: str | None = strawberry.field(
        default=None, description="事件类型 Event type, e.g. `SubjectRegistered`."
    )
    actor: str | None = strawberry.field(
        default=None, description="操作人 The acting user's id (metadata `actor`)."
    )
    department: str | None = strawberry.field(
        default=None, description="操作部门 The acting user's department (metadata `department`)."
    )
    recorded_from: dt.datetime | None = strawberry.field(
        default=None, description="Recorded at or after (记录时间, inclusive)."
    )
    recorded_before: dt.datetime | None = strawberry.field(
        default=None, description="Recorded before (exclusive)."
    )
    sealed_from: dt.datetime | None = strawberry.field(
        default=None, description="Sealed into the ledger at or after (封存时间, inclusive)."
    )
    sealed_before: dt.datetime | None = strawberry.field(
        default=None, description="Sealed before (exclusive)."
    )
    from_position: SafeInt | None = strawberry.field(
        default=None, description="账本位置 Ledger position from (inclusive)."
    )
    to_position: SafeInt | None = strawberry.field(
        default=None, description="Ledger position up to (inclusive)."
    )


@strawberry.type(
    description=(
        "审计日志条目 One sealed event: its ledger position, envelope and hashes "
        "(docs/event-store.md), so that an auditor can recompute them (全程留痕)."
    )
)
class AuditLogEntry:
    position: SafeInt = strawberry.field(description="账本位置 Ledger position (1, 2, 3, …).")
    event_id: str = strawberry.field(description="Event id (lower-case hyphenated UUID).")
    stream_id: str = strawberry.field(description="事件流 Stream id, e.g. `subject-9111…`.")
    stream_version: SafeInt = strawberry.field(description="Version within the stream (1, 2, …).")
    event_type: str = strawberry.field(description="事件类型 Event type.")
    schema_version: int = strawberry.field(description="Schema version of the event type.")
    data: JSON = strawberry.field(description="事件数据 The event's data (JSON object).")
    metadata: JSON = strawberry.field(
        description="元数据 Who and why: actor, role, department, request id, reason."
    )
    recorded_at: dt.datetime = strawberry.field(description="记录时间 When it was recorded (UTC).")
    sealed_at: dt.datetime = strawberry.field(description="封存时间 When it was sealed (UTC).")
    content_hash: str = strawberry.field(
        description="内容哈希 SHA-256 of the envelope's RFC 8785 JSON, lower-case hex."
    )
    chain_hash: str = strawberry.field(
        description="链哈希 SHA-256(previous chain hash ‖ content hash), lower-case hex."
    )

    @classmethod
    def from_entry(cls, e: LogEntry) -> AuditLogEntry:
        return cls(
            position=SafeInt(e.position),
            event_id=e.event_id,
            stream_id=e.stream_id,
            stream_version=SafeInt(e.stream_version),
            event_type=e.event_type,
            schema_version=e.schema_version,
            data=cast(JSON, e.data),
            metadata=cast(JSON, e.metadata),
            recorded_at=e.recorded_at,
            sealed_at=e.sealed_at,
            content_hash=e.content_hash.hex(),
            chain_hash=e.chain_hash.hex(),
        )


@strawberry.type(
    description=(
        "历史状态 An entity's state rebuilt from its own events up to a ledger position "
        "(time travel): what the record said then."
    )
)
class EntityStateAsOf:
    stream_id: str = strawberry.field(description="事件流 The entity's stream id.")
    aggregate: str = strawberry.field(description="The kind of entity (aggregate name).")
    state: JSON | None = strawberry.field(
        description="The state as JSON; null when the entity did not exist yet at that position."
    )
    version: SafeInt = strawberry.field(
        description="Stream version of the last event applied; 0 when none."
    )
    position: SafeInt | None = strawberry.field(
        description="Ledger position of the last event applied; null when none."
    )
    recorded_at: dt.datetime | None = strawberry.field(
        description="When the last event applied was recorded (UTC)."
    )

    @classmethod
    def from_state(cls, s: StateAsOf) -> EntityStateAsOf:
        return cls(
            stream_id=s.stream_id,
            aggregate=s.aggregate,
            state=cast(JSON, s.state) if s.state is not None else None,
            version=SafeInt(s.version),
            position=SafeInt(s.position) if s.position is not None else None,
            recorded_at=s.recorded_at,
        )
