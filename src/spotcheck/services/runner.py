"""Running one command: the one place that turns a decision into a committed transaction.

``execute`` opens one PostgreSQL transaction, in which it
1. returns the recorded result if the caller's idempotency key was used before (same input),
2. reads the aggregate's stream and folds it with ``evolve``,
3. asks the caller's ``decide`` (which may read reference tables on the same connection),
4. appends the events at the version it read (optimistic concurrency) with who/why metadata,
5. feeds every projection in the same transaction and records the idempotency key.
A concurrent writer makes the append fail; the whole command is then run again on fresh
state, a few times, before it reports CONCURRENT_MODIFICATION.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import asyncpg

from spotcheck.domain.actor import Actor
from spotcheck.domain.aggregate import AggregateSpec, Command, Event, to_data
from spotcheck.domain.errors import DomainError, ErrorCode
from spotcheck.eventstore.canonical import canonical_json
from spotcheck.eventstore.envelope import (
    NO_STREAM,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from spotcheck.eventstore.errors import ConcurrencyError
from spotcheck.eventstore.store import EventStore
from spotcheck.projections.base import Projection

S = TypeVar("S")

Decide = Callable[[asyncpg.Connection, S | None], Awaitable[list[Event]]]

ATTEMPTS = 4

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who runs a command, and the request's tracing and idempotency data."""

    actor: Actor
    request_id: str | None = None
    correlation_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class Outcome(Generic[S]):
    """What a command did: the aggregate's key and state after it, and the events it wrote."""

    key: str
    state: S | None
    events: list[RecordedEvent] = field(default_factory=list)
    replayed: bool = False
    """True when an earlier call with the same idempotency key is being returned."""


@dataclass(frozen=True)
class Linked:
    """Events for another stream that a command writes in its own transaction (a published
    result's credit-risk proposal; a confirmed proposal's ``SubjectChanged``), appended at the
    version the decision read: a concurrent writer of that stream makes the command run again."""

    stream_id: str
    expected_version: int
    """The stream's version when read (0: the stream must not exist)."""
    events: list[Event]


Links = Callable[[], Sequence[Linked]]
"""Called after ``decide`` (on that attempt): the linked appends it decided on."""


def metadata(caller: Caller, reason: str | None) -> Metadata:
    a = caller.actor
    return Metadata(
        actor=a.user_id or "public",
        role=a.metadata_role(),
        department=a.department,
        correlation_id=caller.correlation_id,
        request_id=caller.request_id,
        reason=reason.strip() if reason else None,
    )


def input_hash(operation: str, data: Any) -> bytes:
    return hashlib.sha256(canonical_json({"operation": operation, "input": data})).digest()


def _no_sink(what: str, seconds: float, outcome: str) -> None:
    pass


class CommandRunner:
    def __init__(self, store: EventStore, projections: Sequence[Projection]) -> None:
        self.store = store
        self.projections = list(projections)
        self.durations: Callable[[str, float, str], None] = _no_sink
        """Told how long each ``timed`` operation took: the server's metrics
        (``spotcheck.observe.metrics.AppMetrics.observe_duration``)."""

    @contextlib.contextmanager
    def timed(self, what: str) -> Iterator[None]:
        """Time a long operation (``draw_execute``, ``import:<registry>``): one log line and
        the ``durations`` sink, with outcome ``ok`` or ``error``."""
        started = time.perf_counter()
        outcome = "error"
        try:
            yield
            outcome = "ok"
        finally:
            seconds = time.perf_counter() - started
            log.info(
                "%s %s in %.0f ms",
                what,
                outcome,
                seconds * 1000,
                extra={"operation": what, "outcome": outcome, "duration_ms": seconds * 1000},
            )
            self.durations(what, seconds, outcome)

    async def project(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        for p in self.projections:
            await p.apply(conn, events)

    async def execute(
        self,
        caller: Caller,
        spec: AggregateSpec[S],
        key: str,
        decide: Decide[S],
        *,
        operation: str,
        input_data: Any,
        reason: str | None = None,
        linked: Links | None = None,
    ) -> Outcome[S]:
        stream_id = spec.stream_id(key)
        digest = input_hash(operation, input_data) if caller.idempotency_key else b""
        for _ in range(ATTEMPTS):
            try:
                async with self.store.unit_of_work() as uow:
                    conn = uow.conn
                    if caller.idempotency_key:
                        earlier = await _earlier(conn, caller, operation, digest)
                        if earlier is not None:
                            # The object as the first call left it, not as it is now.
                            key_then, version_then = earlier
                            rows = await uow.read_stream(spec.stream_id(key_then))
                            rows = [e for e in rows if e.stream_version <= version_then]
                            return Outcome(key_then, _fold(spec, rows), replayed=True)
                    recorded = await uow.read_stream(stream_id)
                    state = _fold(spec, recorded)
                    new = await decide(conn, state)
                    written: list[RecordedEvent] = []
                    if new:
                        meta = metadata(caller, reason)
                        appends = [
                            StreamAppend(
                                stream_id,
                                recorded[-1].stream_version if recorded else NO_STREAM,
                                [NewEvent(type(e).__name__, to_data(e), meta) for e in new],
                            ),
                            *_linked(linked, meta),
                        ]
                        every = await uow.append_many(appends)
                        written = [e for e in every if e.stream_id == stream_id]
                        await self.project(conn, every)
                        state = spec.fold(new, state)
                    if caller.idempotency_key:
                        await conn.execute(
                            "INSERT INTO idempotency_keys (actor, key, operation, input_hash,"
                            " result) VALUES ($1, $2, $3, $4, $5)",
                            caller.actor.user_id or "public",
                            caller.idempotency_key,
                            operation,
                            digest,
                            {"key": key, "version": _version(written or recorded)},
                        )
                    return Outcome(key, state, written)
            except ConcurrencyError:
                continue
            except asyncpg.UniqueViolationError as exc:
                # A concurrent call with the same idempotency key committed first.
                if exc.table_name != "idempotency_keys":
                    raise
                continue
        raise DomainError.one(
            ErrorCode.CONCURRENT_MODIFICATION,
            None,
            "others changed this record at the same time; read it again and retry",
        )

    async def run(
        self,
        caller: Caller,
        spec: AggregateSpec[S],
        key: str,
        command: Command,
        decide: Decide[S],
        linked: Links | None = None,
    ) -> Outcome[S]:
        """``execute`` for a command struct: its type names the operation, its fields the input."""
        reason = getattr(command, "reason", None)
        return await self.execute(
            caller,
            spec,
            key,
            decide,
            operation=type(command).__name__,
            input_data=to_data(command),
            reason=reason if isinstance(reason, str) else None,
            linked=linked,
        )


def _linked(linked: Links | None, meta: Metadata) -> list[StreamAppend]:
    return [
        StreamAppend(
            x.stream_id,
            x.expected_version or NO_STREAM,
            [NewEvent(type(e).__name__, to_data(e), meta) for e in x.events],
        )
        for x in (linked() if linked is not None else ())
        if x.events
    ]


def _fold(spec: AggregateSpec[S], events: Sequence[RecordedEvent]) -> S | None:
    return spec.fold(spec.decode(e.event_type, e.schema_version, e.data) for e in events)


def _version(events: Sequence[RecordedEvent]) -> int:
    return events[-1].stream_version if events else 0


async def _earlier(
    conn: asyncpg.Connection, caller: Caller, operation: str, digest: bytes
) -> tuple[str, int] | None:
    row = await conn.fetchrow(
        "SELECT operation, input_hash, result FROM idempotency_keys WHERE actor = $1 AND key = $2",
        caller.actor.user_id or "public",
        caller.idempotency_key,
    )
    if row is None:
        return None
    if row["operation"] != operation or bytes(row["input_hash"]) != digest:
        raise DomainError.one(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "idempotencyKey",
            f"this key was used for another input ({row['operation']}); use a new key",
        )
    return str(row["result"]["key"]), int(row["result"]["version"])
