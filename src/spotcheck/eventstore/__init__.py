"""The append-only event store, its sealed hash-chained ledger, readers and verification."""

from spotcheck.eventstore.envelope import (
    ANY,
    NO_STREAM,
    ExpectedVersion,
    Metadata,
    NewEvent,
    RecordedEvent,
    StreamAppend,
)
from spotcheck.eventstore.errors import (
    ConcurrencyError,
    EventIdConflict,
    EventStoreError,
    IdempotencyConflict,
    InvalidEvent,
    PayloadTooLarge,
    UnknownEventType,
)
from spotcheck.eventstore.registry import EventTypeRegistry
from spotcheck.eventstore.store import EventStore, UnitOfWork

__all__ = [
    "ANY",
    "NO_STREAM",
    "ConcurrencyError",
    "EventIdConflict",
    "EventStore",
    "EventStoreError",
    "EventTypeRegistry",
    "ExpectedVersion",
    "IdempotencyConflict",
    "InvalidEvent",
    "Metadata",
    "NewEvent",
    "PayloadTooLarge",
    "RecordedEvent",
    "StreamAppend",
    "UnitOfWork",
    "UnknownEventType",
]
