"""What goes into the store (NewEvent, StreamAppend) and what comes out (RecordedEvent)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Final


class StreamState(enum.Enum):
    """Expectations that are not a version number."""

    ANY = "any"
    NO_STREAM = "no stream"

    def __str__(self) -> str:
        return self.value


ANY: Final = StreamState.ANY
NO_STREAM: Final = StreamState.NO_STREAM
ExpectedVersion = int | StreamState
"""A version number (0 means no stream yet), ``NO_STREAM`` or ``ANY``."""


@dataclass(frozen=True)
class Metadata:
    """Who did it and why.  Stored with every event; part of its content hash."""

    actor: str | None = None
    role: str | None = None
    department: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    request_id: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Metadata:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class NewEvent:
    """An event to append.  ``schema_version`` defaults to the type's current version."""

    event_type: str
    data: dict[str, Any]
    metadata: Metadata = field(default_factory=Metadata)
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    schema_version: int | None = None


@dataclass(frozen=True)
class StreamAppend:
    """Events for one stream, with the version the writer expects it to be at."""

    stream_id: str
    expected_version: ExpectedVersion
    events: list[NewEvent]


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored.  ``position`` and ``chain_hash`` are set once it is sealed.

    ``content_hash`` is computed from the fields (the sealer computes the same from the row).
    """

    event_id: uuid.UUID
    stream_id: str
    stream_version: int
    event_type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    recorded_at: datetime
    position: int | None = None
    chain_hash: bytes | None = None

    @classmethod
    def _new(
        cls,
        event_id: uuid.UUID,
        stream_id: str,
        stream_version: int,
        event_type: str,
        schema_version: int,
        data: dict[str, Any],
        metadata: dict[str, Any],
        recorded_at: datetime,
        position: int | None = None,
        chain_hash: bytes | None = None,
    ) -> RecordedEvent:
        """The same object as the constructor's, without its per-field ``object.__setattr__``
        (a bulk append returns tens of thousands; the store calls this with checked values)."""
        self = object.__new__(cls)
        self.__dict__.update(
            event_id=event_id,
            stream_id=stream_id,
            stream_version=stream_version,
            event_type=event_type,
            schema_version=schema_version,
            data=data,
            metadata=metadata,
            recorded_at=recorded_at,
            position=position,
            chain_hash=chain_hash,
        )
        return self

    @cached_property
    def content_hash(self) -> bytes:
        from spotcheck.eventstore.canonical import canonical_json, content_hash, envelope

        return content_hash(
            canonical_json(
                envelope(
                    event_id=str(self.event_id),
                    stream_id=self.stream_id,
                    stream_version=self.stream_version,
                    event_type=self.event_type,
                    schema_version=self.schema_version,
                    data=self.data,
                    metadata=self.metadata,
                    recorded_at=self.recorded_at,
                )
            )
        )
