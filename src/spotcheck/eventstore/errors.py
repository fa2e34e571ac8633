"""Typed errors of the event store.  Each names what was wrong and the rule it broke."""

from __future__ import annotations

from uuid import UUID


class EventStoreError(Exception):
    """Base class; ``code`` is a stable machine-readable name."""

    code = "EVENT_STORE_ERROR"


class ConcurrencyError(EventStoreError):
    """The stream was not at the version the writer expected (optimistic concurrency)."""

    code = "CONCURRENCY_CONFLICT"

    def __init__(self, stream_id: str, expected: object, actual: int | None) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        super().__init__(self._message())

    def _message(self) -> str:
        actual = "changed concurrently" if self.actual is None else self.actual
        return (
            f"stream {self.stream_id!r}: expected version {self.expected}, actual version {actual}"
        )

    def set_actual(self, actual: int) -> None:
        """Fill in the actual version, read after the failed transaction rolled back."""
        self.actual = actual
        self.args = (self._message(),)


class UnknownEventType(EventStoreError):
    code = "UNKNOWN_EVENT_TYPE"

    def __init__(self, event_type: str, schema_version: int | None = None) -> None:
        self.event_type = event_type
        self.schema_version = schema_version
        what = f"{event_type!r}" + (f" schema version {schema_version}" if schema_version else "")
        super().__init__(f"unknown event type {what}: it is not registered with the store")


class InvalidEvent(EventStoreError):
    """An event broke a rule of the envelope or of the JSON value domain."""

    code = "INVALID_EVENT"

    def __init__(self, field: str, rule: str) -> None:
        self.field = field
        self.rule = rule
        super().__init__(f"{field}: {rule}")


class PayloadTooLarge(InvalidEvent):
    code = "PAYLOAD_TOO_LARGE"

    def __init__(self, field: str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(field, f"the canonical envelope is {size} bytes; the limit is {limit}")


class IdempotencyConflict(EventStoreError):
    """An event id was appended before with other content, or only part of a batch exists."""

    code = "IDEMPOTENCY_CONFLICT"

    def __init__(self, event_id: UUID, why: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id}: {why}")


class EventIdConflict(EventStoreError):
    """A concurrent transaction appended the same event id first; retry to get the original."""

    code = "EVENT_ID_CONFLICT"

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"event id {event_id} was appended concurrently by another transaction")
